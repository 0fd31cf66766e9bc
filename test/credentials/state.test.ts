import { describe, expect, it } from 'vitest';
import type { Observation } from '../../src/credentials/observe.js';
import { advance, initialState } from '../../src/credentials/state.js';

const opaque = { type: 'opaque' as const, subject: undefined, issuer: undefined, expiresMs: undefined, issuedMs: undefined, refreshDueMs: undefined, certPublicKey: undefined, keyPublicKey: undefined };

function readable(hash: string, modifiedMs: number, inspect = true): Observation {
  return { exists: true, readable: true, problem: undefined, sizeBytes: 5, modifiedMs, mode: 0o100640, isSymlink: false, realPath: '/x', hash, empty: false, inspection: inspect ? opaque : undefined };
}
const gone: Observation = { ...readable('', 0), exists: false, readable: false, problem: 'no such file or directory', sizeBytes: undefined, modifiedMs: undefined, mode: undefined, hash: undefined, empty: undefined, inspection: undefined };

describe('advance', () => {
  it('takes the first content as the baseline: no change counted, last change is its mtime', () => {
    const t = advance(initialState(), readable('a', 1000), 5000);
    expect(t).toMatchObject({ contentChanged: false, changed: true });
    expect(t.state).toMatchObject({ changes: 0, lastChangeMs: 1000, hash: 'a' });
  });

  it('does not count a touch (new mtime, same content) as a change', () => {
    const first = advance(initialState(), readable('a', 1000), 5000).state;
    const t = advance(first, readable('a', 2000, false), 6000);
    expect(t.contentChanged).toBe(false);
    expect(t.changed).toBe(true);
    expect(t.state).toMatchObject({ changes: 0, lastChangeMs: 1000, modifiedMs: 2000, inspection: opaque });
  });

  it('counts different content as a change at the time it was seen', () => {
    const first = advance(initialState(), readable('a', 1000), 5000).state;
    const t = advance(first, readable('b', 1000), 6000);
    expect(t.contentChanged).toBe(true);
    expect(t.state).toMatchObject({ changes: 1, lastChangeMs: 6000 });
  });

  it('keeps the count while a file is gone and counts its return with new content', () => {
    let s = advance(initialState(), readable('a', 1000), 5000).state;
    s = advance(s, readable('b', 1000), 6000).state;
    const missing = advance(s, gone, 7000);
    expect(missing.state).toMatchObject({ exists: false, readable: false, changes: 1, empty: undefined, problem: 'no such file or directory' });
    const back = advance(missing.state, readable('c', 8000), 8000);
    expect(back.contentChanged).toBe(true);
    expect(back.state.changes).toBe(2);
  });

  it('does not count a file that comes back with the content it had', () => {
    const s = advance(initialState(), readable('a', 1000), 5000).state;
    const back = advance(advance(s, gone, 6000).state, readable('a', 7000, false), 7000);
    expect(back.contentChanged).toBe(false);
    expect(back.state.changes).toBe(0);
  });

  it('reports no change when nothing a metric shows moved', () => {
    const s = advance(initialState(), readable('a', 1000), 5000).state;
    expect(advance(s, readable('a', 1000, false), 9000).changed).toBe(false);
  });
});
