// Credential files as a probe reads them: looked at on every use, read again whenever they may have changed.
import { stat, type Stats } from 'node:fs';
import type { FileVersion, ReadOutcome } from './read.js';

/**
 * A file whose last change is younger than this is read on every use. Linux stamps ctime from a coarse clock (one
 * tick, 1–10 ms), so two writes of the same size in one tick can leave the stat unchanged; once the stamp is older
 * than any tick, every later write, chmod, truncate or `..data` swap gives a newer ctime or another inode.
 */
export const SETTLED_MS = 2000;
/** Distinct secret files remembered (a job has a handful; file SD and oauth2 add a few). */
const MAX_ENTRIES = 4096;

export type SecretOutcome = { ok: true; value: string } | { ok: false; problem: string };

interface Entry {
  file: FileVersion;
  value: string;
}

export interface SecretFilesDeps {
  read: (path: string) => Promise<ReadOutcome>;
  stat?: (path: string) => Promise<Stats | undefined>;
  now?: () => number;
  settledMs?: number;
}

function statOf(path: string): Promise<Stats | undefined> {
  return new Promise((resolve) => {
    try {
      stat(path, (err, info) => resolve(err ? undefined : info));
    } catch {
      resolve(undefined);
    }
  });
}

function unchanged(a: FileVersion, b: FileVersion): boolean {
  return a.ino === b.ino && a.dev === b.dev && a.size === b.size && a.mtimeMs === b.mtimeMs && a.ctimeMs === b.ctimeMs && a.mode === b.mode;
}

/**
 * Prometheus re-reads a credential file on every request. Here every use costs one stat: while the file's identity
 * (inode, size, mtime, ctime, mode) is the one whose content was read, and that content had settled, the content
 * is the same bytes; anything else is read in full. A stat costs one system call where a read costs five
 * (stat, open, fstat, read, close: about a sixth of a kept-alive mTLS probe's CPU, docs/benchmarks.md).
 */
export class SecretFiles {
  private readonly entries = new Map<string, Entry>();
  private readonly readFile: SecretFilesDeps['read'];
  private readonly statFile: NonNullable<SecretFilesDeps['stat']>;
  private readonly now: () => number;
  private readonly settledMs: number;

  constructor(deps: SecretFilesDeps) {
    this.readFile = deps.read;
    this.statFile = deps.stat ?? statOf;
    this.now = deps.now ?? Date.now;
    this.settledMs = deps.settledMs ?? SETTLED_MS;
  }

  async read(path: string): Promise<SecretOutcome> {
    const cached = this.entries.get(path);
    if (cached) {
      const info = await this.statFile(path);
      if (info && unchanged(cached.file, { dev: info.dev, ino: info.ino, size: info.size, mtimeMs: info.mtimeMs, ctimeMs: info.ctimeMs, mode: info.mode })) return { ok: true, value: cached.value };
      this.entries.delete(path);
    }
    const outcome = await this.readFile(path);
    if (!outcome.ok) return { ok: false, problem: outcome.problem };
    const value = outcome.content.toString('utf8').trim();
    const changedAt = Math.max(outcome.file.mtimeMs, outcome.file.ctimeMs);
    if (this.now() - changedAt >= this.settledMs) this.remember(path, { file: outcome.file, value });
    return { ok: true, value };
  }

  private remember(path: string, entry: Entry): void {
    this.entries.set(path, entry);
    if (this.entries.size > MAX_ENTRIES) {
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
  }
}
