// Looks at one credential file once: stat, then a capped read of regular files only. The bytes never leave this module.
import { createHash } from 'node:crypto';
import { lstat, realpath, stat } from 'node:fs/promises';
import { inspectCredential, type Inspection } from './inspect.js';
import { describeErrno, nonRegularKind, readCredentialFile, type ReadOutcome } from './read.js';

/** The file system as the observer uses it; tests and the benchmark may wrap it. */
export interface ObserverFs {
  stat: typeof stat;
  lstat: typeof lstat;
  realpath: (path: string) => Promise<string>;
  read: (path: string) => Promise<ReadOutcome>;
}

export const nodeObserverFs: ObserverFs = { stat, lstat, realpath, read: (path) => readCredentialFile(path) };

export interface Observation {
  /** False when nothing is there, also for a dangling symlink or a symlink loop. */
  exists: boolean;
  /** This process opened and read it. */
  readable: boolean;
  /** Why it is not readable, e.g. "permission denied", "is a FIFO, not a regular file". Never content. */
  problem: string | undefined;
  sizeBytes: number | undefined;
  modifiedMs: number | undefined;
  mode: number | undefined;
  /** The path itself is a symlink (Kubernetes' `token` → `..data/token`): a swap anywhere in its directory may change it. */
  isSymlink: boolean;
  /** Where the path resolves to, when it exists. */
  realPath: string | undefined;
  /** SHA-256 of the trimmed content: what "the content changed" compares. Kept in memory only. */
  hash: string | undefined;
  /** The content is empty after trimming, as Prometheus trims it. */
  empty: boolean | undefined;
  /** Set only when the hash differs from the one passed in: parsing happens once per content. */
  inspection: Inspection | undefined;
}

const MISSING_PATH = new Set(['ENOENT', 'ENOTDIR', 'ELOOP']);

/** Observes `path`; `knownHash` is the hash of the content already inspected, to skip parsing it again. */
export async function observeFile(path: string, knownHash: string | undefined, fs: ObserverFs = nodeObserverFs): Promise<Observation> {
  const none: Observation = {
    exists: false,
    readable: false,
    problem: undefined,
    sizeBytes: undefined,
    modifiedMs: undefined,
    mode: undefined,
    isSymlink: false,
    realPath: undefined,
    hash: undefined,
    empty: undefined,
    inspection: undefined,
  };
  try {
    none.isSymlink = (await fs.lstat(path)).isSymbolicLink();
  } catch {
    // Reported by the stat below.
  }
  let info;
  try {
    // stat follows symlinks: a dangling link is ENOENT here, i.e. "exists 0".
    info = await fs.stat(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? '';
    return { ...none, exists: !MISSING_PATH.has(code), problem: describeErrno(err) };
  }
  const seen: Observation = { ...none, exists: true, sizeBytes: info.size, modifiedMs: info.mtimeMs, mode: info.mode };
  try {
    seen.realPath = await fs.realpath(path);
  } catch {
    // Swapped away between the two calls; the next event or poll sees the new state.
  }
  const kind = nonRegularKind(info);
  // Never opened: opening a FIFO blocks, a device or a directory is not a credential.
  if (kind) return { ...seen, problem: `is a ${kind}, not a regular file` };

  const outcome = await fs.read(path);
  if (!outcome.ok) return { ...seen, exists: outcome.exists, problem: outcome.problem };
  const trimmed = trimAsciiSpace(outcome.content);
  const hash = createHash('sha256').update(trimmed).digest('hex');
  return {
    ...seen,
    readable: true,
    sizeBytes: outcome.size,
    modifiedMs: outcome.mtimeMs,
    mode: outcome.mode,
    hash,
    empty: outcome.content.toString('utf8').trim().length === 0,
    inspection: hash === knownHash ? undefined : inspectCredential(trimmed),
  };
}

/** Surrounding white space is not part of a credential (Prometheus trims it): an added newline is no rotation. */
function trimAsciiSpace(bytes: Buffer): Buffer {
  const space = (b: number) => b === 0x20 || (b >= 0x09 && b <= 0x0d);
  let start = 0;
  let end = bytes.length;
  while (start < end && space(bytes[start]!)) start++;
  while (end > start && space(bytes[end - 1]!)) end--;
  return bytes.subarray(start, end);
}
