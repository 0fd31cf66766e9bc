// The credential-file component: watches every file the config names, keeps its state, serves metrics and status.
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { watch, type FSWatcher } from 'chokidar';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { LoadedConfig } from '../config/load.js';
import type { Component } from '../runtime.js';
import type { CredentialFileStatus } from '../status/types.js';
import { publicKeysMatch } from './inspect.js';
import { registerCredentialMetrics } from './metrics.js';
import { ExhaustionReporter, isDescriptorExhaustion } from '../exhaustion.js';
import { longTimers } from '../timers.js';
import { nodeObserverFs, observeFile, type ObserverFs } from './observe.js';
import type { Config } from '../config/schema.js';
import type { NamedFilesContext } from '../config/check.js';
import { planCredentials, type CertKeyPair, type FileUse, type KeyMaterial } from './plan.js';
import { advance, initialState, type FileState } from './state.js';

/** Told after every observation that changed what the metrics show; the state is already visible then. */
export interface CredentialFileEvent {
  path: string;
  /** The content differs from before: a rotation. */
  contentChanged: boolean;
  /** The file appeared, disappeared, or became readable or unreadable (a deletion, a re-creation, a chmod). */
  presenceChanged: boolean;
  changes: number;
  exists: boolean;
  readable: boolean;
  /** Unix ms (the watcher's clock) when the new state became visible. */
  atMs: number;
}

export interface Timers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
  setInterval(fn: () => void, ms: number): unknown;
  clearInterval(handle: unknown): void;
}

/** A poll interval past 2^31-1 ms (25d) must not fire every millisecond: chained, unref'd timers (src/timers.ts). */
const nodeTimers: Timers = longTimers;

export interface CredentialWatcherOptions {
  registry: Registry;
  logger: Logger;
  /** Unix ms. */
  now?: () => number;
  fs?: ObserverFs;
  timers?: Timers;
  /** Quiet time after the last event in a directory before its files are read (a writer may still be writing). */
  debounceMs?: number;
  /** Longest an event waits for quiet: a file written without pause is still read this often. */
  maxDelayMs?: number;
  /** Files read at once during a poll or a reload. */
  concurrency?: number;
  /** False: no file system watch, only the poll (and pollNow()). */
  watch?: boolean;
  /** Files named outside the config proper, e.g. the service-account token the RBAC checks use. */
  namedFiles?: (config: Config) => NamedFilesContext;
}

interface Entry {
  path: string;
  labels: Record<string, string>;
  uses: FileUse[];
  state: FileState;
  /** Directories whose events may change this file. */
  dirs: string[];
  running: Promise<void> | undefined;
  again: boolean;
  removed: boolean;
}

interface DirWatch {
  /** Inode of the directory when the watch was set up; undefined when it did not exist. */
  ino: number | undefined;
  watcher: FSWatcher | undefined;
}

export class CredentialWatcher implements Component {
  readonly name = 'credentials';
  private readonly entries = new Map<string, Entry>();
  private readonly byDir = new Map<string, Set<Entry>>();
  private readonly dirs = new Map<string, DirWatch>();
  private pairs: CertKeyPair[] = [];
  private readonly listeners = new Set<(event: CredentialFileEvent) => void>();
  /** Directory → names that had events, or null when any file there may have changed. */
  private pending = new Map<string, Set<string> | null>();
  private flushTimer: unknown;
  private firstPendingMs: number | undefined;
  private pollTimer: unknown;
  private pollIntervalMs: number | undefined;
  private polling: Promise<void> | undefined;
  private stopped = false;
  private readonly now: () => number;
  private readonly fs: ObserverFs;
  private readonly timers: Timers;
  private readonly logger: Logger;
  private readonly exhaustion: ExhaustionReporter;

  constructor(private readonly options: CredentialWatcherOptions) {
    this.now = options.now ?? Date.now;
    this.fs = options.fs ?? nodeObserverFs;
    this.timers = options.timers ?? nodeTimers;
    this.logger = options.logger;
    this.exhaustion = new ExhaustionReporter(options.registry, 'credentials', options.logger, this.now);
    registerCredentialMetrics(options.registry, {
      files: () => this.entries.values(),
      keyMatches: () => this.keyMatches(),
      now: this.now,
    });
  }

  async apply(loaded: LoadedConfig): Promise<void> {
    if (this.stopped) return;
    const plan = planCredentials(loaded.config, this.options.namedFiles?.(loaded.config));
    for (const [file, entry] of this.entries) {
      if (plan.files.has(file)) continue;
      // No longer named: its series disappear with it.
      entry.removed = true;
      this.entries.delete(file);
      await this.index(entry, []);
    }
    const fresh: Entry[] = [];
    for (const planned of plan.files.values()) {
      let entry = this.entries.get(planned.path);
      if (!entry) {
        entry = { path: planned.path, labels: {}, uses: [], state: initialState(), dirs: [], running: undefined, again: false, removed: false };
        this.entries.set(planned.path, entry);
        fresh.push(entry);
        await this.index(entry, [path.dirname(planned.path)]);
      }
      entry.labels = planned.labels;
      entry.uses = planned.uses;
    }
    this.pairs = plan.pairs;
    this.schedulePoll(loaded.config.global.credential_poll_interval);
    // Read new files now, so the first scrape after a (re)load already shows them.
    await forEachLimited(fresh, this.options.concurrency ?? 32, (entry) => this.refresh(entry));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.pollTimer !== undefined) this.timers.clearInterval(this.pollTimer);
    if (this.flushTimer !== undefined) this.timers.clearTimeout(this.flushTimer);
    this.pollTimer = undefined;
    this.flushTimer = undefined;
    const closing = [...this.dirs.values()].map((d) => d.watcher?.close());
    this.dirs.clear();
    await Promise.all(closing);
  }

  /** Re-checks every watched file now, as the poll does; re-arms watches on directories that were re-created. */
  pollNow(): Promise<void> {
    this.polling ??= this.pollAll().finally(() => {
      this.polling = undefined;
    });
    return this.polling;
  }

  /** Listens for state changes (for the benchmark's change → metric latency); returns the unsubscribe function. */
  subscribe(listener: (event: CredentialFileEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** The status page's view: plain facts, no content. */
  status(): CredentialFileStatus[] {
    return [...this.entries.values()]
      .filter((e) => e.state.observed)
      .sort((a, b) => a.path.localeCompare(b.path))
      .map(statusOf);
  }

  /** One file's status (absolute path), for the diagnosis; undefined when not watched or not yet observed. */
  file(file: string): CredentialFileStatus | undefined {
    const entry = this.entries.get(path.resolve(file));
    return entry?.state.observed ? statusOf(entry) : undefined;
  }

  /** Whether the job's client certificate and key belong together; undefined when it has not both. */
  clientCertKeyMatch(job: string): boolean | undefined {
    for (const pair of this.keyMatches()) if (pair.job === job) return pair.match;
    return undefined;
  }

  private *keyMatches(): Iterable<{ job: string; match: boolean }> {
    for (const pair of this.pairs) {
      yield { job: pair.job, match: publicKeysMatch(this.material(pair.cert)?.certPublicKey, this.material(pair.key)?.keyPublicKey) };
    }
  }

  private material(m: KeyMaterial) {
    if ('inline' in m) return m.inline;
    const state = this.entries.get(m.file)?.state;
    return state?.readable ? state.inspection : undefined;
  }

  private schedulePoll(intervalMs: number): void {
    if (this.pollIntervalMs === intervalMs && this.pollTimer !== undefined) return;
    if (this.pollTimer !== undefined) this.timers.clearInterval(this.pollTimer);
    this.pollIntervalMs = intervalMs;
    this.pollTimer = this.timers.setInterval(() => void this.pollNow(), intervalMs);
  }

  private async pollAll(): Promise<void> {
    for (const [dir, watched] of [...this.dirs]) {
      const ino = await inodeOf(dir);
      if (ino !== watched.ino && this.dirs.get(dir) === watched) await this.rearm(dir);
    }
    await forEachLimited([...this.entries.values()], this.options.concurrency ?? 32, (entry) => this.refresh(entry));
  }

  /** Observes one file; never two observations of the same file at once, and none lost while one runs. */
  private refresh(entry: Entry): Promise<void> {
    if (entry.running) {
      entry.again = true;
      return entry.running;
    }
    entry.running = (async () => {
      do {
        entry.again = false;
        try {
          await this.observe(entry);
        } catch (err) {
          // Our own bug, not the file's: keep watching the other files and this one at the next event or poll.
          // Only the error's name: a parser's message may quote the content it choked on.
          this.logger.error({ path: entry.path, err: err instanceof Error ? err.name : typeof err }, 'Error checking credential file');
        }
      } while (entry.again && !entry.removed && !this.stopped);
    })().finally(() => {
      entry.running = undefined;
    });
    return entry.running;
  }

  private async observe(entry: Entry): Promise<void> {
    const seen = await observeFile(entry.path, entry.state.hash, this.fs);
    if (entry.removed || this.stopped) return;
    if (isDescriptorExhaustion(seen.problem)) {
      // Out of descriptors says nothing about the file: keep what was last seen, count and log our trouble.
      this.exhaustion.report({ path: entry.path });
      return;
    }
    const prev = entry.state;
    const { state, contentChanged, changed } = advance(prev, seen, this.now());
    entry.state = state;
    if (state.problem !== prev.problem) {
      // Once per new problem, not once per poll.
      if (state.problem !== undefined) this.logger.warn({ path: entry.path, problem: state.problem }, 'Credential file is not readable');
      else if (prev.observed) this.logger.info({ path: entry.path }, 'Credential file is readable again');
    }
    if (contentChanged) this.logger.debug({ path: entry.path, type: state.inspection?.type, changes: state.changes }, 'Credential file content changed');
    else if (!prev.observed && state.readable) this.logger.debug({ path: entry.path, type: state.inspection?.type }, 'Watching credential file');
    await this.index(entry, watchDirsOf(entry.path, state.realPath));
    if (changed) {
      const event: CredentialFileEvent = {
        path: entry.path,
        contentChanged,
        presenceChanged: prev.observed && (prev.exists !== state.exists || prev.readable !== state.readable),
        changes: state.changes,
        exists: state.exists,
        readable: state.readable,
        atMs: this.now(),
      };
      for (const listener of this.listeners) listener(event);
    }
  }

  /** Files are found by the directories whose events concern them; a directory no file needs is unwatched. */
  private async index(entry: Entry, dirs: string[]): Promise<void> {
    if (sameMembers(entry.dirs, dirs)) return;
    for (const dir of entry.dirs) {
      const set = this.byDir.get(dir);
      set?.delete(entry);
      if (set && set.size === 0) {
        this.byDir.delete(dir);
        await this.disarm(dir);
      }
    }
    entry.dirs = dirs;
    for (const dir of dirs) {
      let set = this.byDir.get(dir);
      if (!set) {
        set = new Set();
        this.byDir.set(dir, set);
        await this.arm(dir);
      }
      set.add(entry);
    }
  }

  /**
   * Watches the directory, not the file: Kubernetes replaces the `..data` symlink of a Secret or projected volume
   * atomically, and a watch on `token` itself (which resolves through it) never hears of that. One watch per
   * directory, whatever the number of files in it: every entry is ignored, and the raw events of the directory say
   * which names changed.
   */
  private async arm(dir: string): Promise<void> {
    if (this.stopped || this.dirs.has(dir)) return;
    const watched: DirWatch = { ino: undefined, watcher: undefined };
    this.dirs.set(dir, watched);
    watched.ino = await inodeOf(dir);
    if (this.dirs.get(dir) !== watched || this.options.watch === false || watched.ino === undefined) return;
    const watcher = watch(dir, { depth: 0, ignoreInitial: true, followSymlinks: false, ignored: (p: string) => p !== dir });
    watched.watcher = watcher;
    watcher.on('raw', (_event: string, name: string | null) => this.onEvent(dir, name));
    watcher.on('error', (err: unknown) => {
      this.logger.warn({ dir, err: err instanceof Error ? err.message : String(err) }, 'Cannot watch credential directory, relying on the poll');
    });
    await new Promise<void>((resolve) => watcher.once('ready', () => resolve()));
    if (this.dirs.get(dir) !== watched || this.stopped) await watcher.close();
  }

  private async disarm(dir: string): Promise<void> {
    const watched = this.dirs.get(dir);
    this.dirs.delete(dir);
    await watched?.watcher?.close();
  }

  /** The directory was deleted and re-created (or created late): the old watch hears nothing any more. */
  private async rearm(dir: string): Promise<void> {
    await this.disarm(dir);
    if (this.byDir.has(dir)) await this.arm(dir);
    this.onEvent(dir, null);
  }

  private onEvent(dir: string, name: string | null): void {
    if (this.stopped) return;
    const names = this.pending.get(dir);
    if (name === null || name === path.basename(dir)) this.pending.set(dir, null);
    else if (names === undefined) this.pending.set(dir, new Set([name]));
    else names?.add(name);
    // Debounced: wait for a quiet moment after the last event, but never longer than maxDelayMs after the first.
    const now = this.now();
    this.firstPendingMs ??= now;
    const quiet = this.options.debounceMs ?? 30;
    const wait = Math.max(0, Math.min(quiet, this.firstPendingMs + (this.options.maxDelayMs ?? 150) - now));
    if (this.flushTimer !== undefined) this.timers.clearTimeout(this.flushTimer);
    this.flushTimer = this.timers.setTimeout(() => void this.flush(), wait);
  }

  private async flush(): Promise<void> {
    const pending = this.pending;
    this.pending = new Map();
    this.flushTimer = undefined;
    this.firstPendingMs = undefined;
    const due = new Set<Entry>();
    for (const [dir, names] of pending) {
      for (const entry of this.byDir.get(dir) ?? []) {
        if (names === null || concerns(entry, dir, names)) due.add(entry);
      }
      if (names === null && this.dirs.has(dir)) {
        const watched = this.dirs.get(dir)!;
        if ((await inodeOf(dir)) !== watched.ino) await this.rearm(dir);
      }
    }
    await Promise.all([...due].map((entry) => this.refresh(entry)));
  }
}

/** The status of one watched file: plain facts, no content. */
function statusOf({ path: file, labels, uses, state: s }: Entry): CredentialFileStatus {
  const shown = s.readable ? s.inspection : undefined;
  return {
    path: file,
    labels: { ...labels },
    exists: s.exists,
    readable: s.readable,
    problem: s.problem,
    sizeBytes: s.sizeBytes,
    modifiedMs: s.modifiedMs,
    empty: s.empty,
    worldReadable: s.mode === undefined ? undefined : (s.mode & 0o004) !== 0,
    type: shown?.type,
    subject: shown?.subject,
    issuer: shown?.issuer,
    expiresMs: shown?.expiresMs,
    issuedMs: shown?.issuedMs,
    notBeforeMs: shown?.notBeforeMs,
    refreshDueMs: shown?.refreshDueMs,
    changes: s.changes,
    lastChangeMs: s.lastChangeMs,
    usedBy: uses.map((u) => ({ job: u.job, usage: u.usage })),
  };
}

/** Whether events for `names` in `dir` may change the file: its own name, its target's name, or any name for a symlink. */
function concerns(entry: Entry, dir: string, names: Set<string>): boolean {
  const s = entry.state;
  // A symlink (Kubernetes' token → ..data/token) changes when any link in its directory is swapped.
  if (!s.observed || s.isSymlink) return true;
  if (path.dirname(entry.path) === dir && names.has(path.basename(entry.path))) return true;
  return s.realPath !== undefined && path.dirname(s.realPath) === dir && names.has(path.basename(s.realPath));
}

/** The file's directory, and its target's when a symlink leads elsewhere (not below it, as Kubernetes' `..data` does). */
export function watchDirsOf(file: string, realPath: string | undefined): string[] {
  const own = path.dirname(file);
  if (realPath === undefined) return [own];
  const target = path.dirname(realPath);
  const rel = path.relative(own, target);
  const below = rel === '' || (!rel.startsWith('..' + path.sep) && rel !== '..' && !path.isAbsolute(rel));
  return below ? [own] : [own, target];
}

async function inodeOf(dir: string): Promise<number | undefined> {
  try {
    const info = await stat(dir);
    return info.isDirectory() ? info.ino : undefined;
  } catch {
    return undefined;
  }
}

function sameMembers(a: string[], b: string[]): boolean {
  return a.length === b.length && a.every((x) => b.includes(x));
}

async function forEachLimited<T>(items: T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await fn(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

/** Resolves with the next event for `file` that `match` accepts, or rejects after `timeoutMs`: for tests and the benchmark. */
export function nextCredentialEvent(
  watcher: Pick<CredentialWatcher, 'subscribe'>,
  file: string,
  match: (event: CredentialFileEvent) => boolean = (e) => e.contentChanged,
  timeoutMs = 5000,
): Promise<CredentialFileEvent> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      unsubscribe();
      reject(new Error(`no matching credential event for ${file} within ${timeoutMs} ms`));
    }, timeoutMs);
    const unsubscribe = watcher.subscribe((event) => {
      if (event.path !== path.resolve(file) || !match(event)) return;
      clearTimeout(timer);
      unsubscribe();
      resolve(event);
    });
  });
}
