// What is known about one watched file over time, and how a new observation changes it (pure: no I/O, no clock).
import type { Observation } from './observe.js';

/**
 * The last observation, carried forward: `hash` (and the `inspection` of that content) are kept while the file is
 * gone, so its return is compared with what was there before.
 */
export interface FileState extends Observation {
  /** False until the first observation finished. */
  observed: boolean;
  changes: number;
  lastChangeMs: number | undefined;
}

export function initialState(): FileState {
  return {
    observed: false,
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
    changes: 0,
    lastChangeMs: undefined,
  };
}

export interface Transition {
  state: FileState;
  /** The content differs from the last content read: a rotation. */
  contentChanged: boolean;
  /** Anything a metric shows changed (except age, which moves by itself). */
  changed: boolean;
}

/** The next state after `seen` was observed at `nowMs`. Only a different content counts as a change: a touch does not. */
export function advance(prev: FileState, seen: Observation, nowMs: number): Transition {
  let { hash, inspection, changes, lastChangeMs } = prev;
  let contentChanged = false;
  if (seen.readable) {
    if (hash === undefined) {
      // First sight: the best estimate of when the content last changed is its mtime.
      lastChangeMs = seen.modifiedMs;
    } else if (seen.hash !== hash) {
      contentChanged = true;
      changes += 1;
      lastChangeMs = nowMs;
    }
    if (seen.hash !== hash || inspection === undefined) inspection = seen.inspection ?? inspection;
    hash = seen.hash;
  }
  const state: FileState = {
    observed: true,
    exists: seen.exists,
    readable: seen.readable,
    problem: seen.problem,
    sizeBytes: seen.sizeBytes,
    modifiedMs: seen.modifiedMs,
    mode: seen.mode,
    isSymlink: seen.isSymlink,
    realPath: seen.realPath,
    hash,
    empty: seen.readable ? seen.empty : undefined,
    inspection,
    changes,
    lastChangeMs,
  };
  const changed =
    !prev.observed ||
    contentChanged ||
    (['exists', 'readable', 'problem', 'sizeBytes', 'modifiedMs', 'mode', 'empty'] as const).some((k) => prev[k] !== state[k]);
  return { state, contentChanged, changed };
}
