// Credential files as a probe reads them: looked at on every use, read again whenever they may have changed.
import { stat, statfs, type Stats } from 'node:fs';
import type { FileVersion, ReadOutcome } from './read.js';

/**
 * A file whose last change is younger than this is read on every use. Linux stamps ctime from a coarse clock (one
 * tick, 1–10 ms), so two writes of the same size in one tick can leave the stat unchanged; once the stamp is older
 * than any tick, every later write, chmod, truncate or `..data` swap gives a newer ctime or another inode.
 */
export const SETTLED_MS = 2000;
/** Distinct secret files remembered (a job has a handful; file SD and oauth2 add a few). */
const MAX_ENTRIES = 4096;

/**
 * File systems whose stat is the truth the moment a write returns (statfs f_type magic numbers): tmpfs (Kubernetes
 * Secrets and projected tokens), ramfs, ext2/3/4, xfs, btrfs, overlayfs (a container's own files), zfs, f2fs. On
 * anything else (NFS, SMB, FUSE …) a client may answer a stat from its attribute cache while a read revalidates,
 * so files there are read in full on every use, as before.
 */
const LOCAL_FILE_SYSTEMS: ReadonlySet<number> = new Set([0x01021994, 0x858458f6, 0xef53, 0x58465342, 0x9123683e, 0x794c7630, 0x2fc12fc1, 0xf2f52010]);

export type SecretOutcome = { ok: true; value: string } | { ok: false; problem: string };

interface Entry {
  file: FileVersion;
  value: string;
}

export interface SecretFilesDeps {
  read: (path: string) => Promise<ReadOutcome>;
  stat?: (path: string) => Promise<Stats | undefined>;
  /** The statfs f_type of the file system holding `path`; undefined when unknown. */
  fileSystem?: (path: string) => Promise<number | undefined>;
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

function fileSystemOf(path: string): Promise<number | undefined> {
  return new Promise((resolve) => {
    try {
      statfs(path, (err, info) => resolve(err ? undefined : Number(info.type)));
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
 * is the same bytes; anything else is read in full (and every file on a network file system, every time). A stat costs one system call where a read costs five
 * (stat, open, fstat, read, close: about a sixth of a kept-alive mTLS probe's CPU, docs/benchmarks.md).
 */
export class SecretFiles {
  private readonly entries = new Map<string, Entry>();
  /** Whether each path's file system answers stat truthfully (LOCAL_FILE_SYSTEMS). */
  private readonly local = new Map<string, boolean>();
  private readonly readFile: SecretFilesDeps['read'];
  private readonly statFile: NonNullable<SecretFilesDeps['stat']>;
  private readonly fileSystem: NonNullable<SecretFilesDeps['fileSystem']>;
  private readonly now: () => number;
  private readonly settledMs: number;

  constructor(deps: SecretFilesDeps) {
    this.readFile = deps.read;
    this.statFile = deps.stat ?? statOf;
    this.fileSystem = deps.fileSystem ?? fileSystemOf;
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
    if (this.now() - changedAt >= this.settledMs && (await this.isLocal(path))) this.remember(path, { file: outcome.file, value });
    return { ok: true, value };
  }

  /** Asked once per path: a file on NFS would otherwise cost a statfs on top of its full read at every use. */
  private async isLocal(path: string): Promise<boolean> {
    let local = this.local.get(path);
    if (local === undefined) {
      local = LOCAL_FILE_SYSTEMS.has((await this.fileSystem(path)) ?? -1);
      if (this.local.size >= MAX_ENTRIES) this.local.clear();
      this.local.set(path, local);
    }
    return local;
  }

  private remember(path: string, entry: Entry): void {
    this.entries.set(path, entry);
    if (this.entries.size > MAX_ENTRIES) {
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
  }
}
