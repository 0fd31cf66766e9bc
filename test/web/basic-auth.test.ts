import bcrypt from 'bcryptjs';
import { describe, expect, it } from 'vitest';
import { Secret } from '../../src/config/secret.js';
import { BasicAuthChecker, decoyHash, MAX_BCRYPT_IN_FLIGHT, MAX_BCRYPT_QUEUE, MAX_CACHED_FAILURES, parseBasicAuth } from '../../src/web/basic-auth.js';

const HASH = bcrypt.hashSync('right', 4);
const users = new Map([['alice', new Secret(HASH)]]);

function countingChecker() {
  const calls: string[] = [];
  const checker = new BasicAuthChecker({
    compare: async (password, hash) => {
      calls.push(hash === HASH ? 'alice' : 'decoy');
      return bcrypt.compare(password, hash);
    },
  });
  return { checker, calls };
}

describe('BasicAuthChecker', () => {
  it('accepts the right password and refuses a wrong one', async () => {
    const { checker } = countingChecker();
    expect(await checker.check(users, 'alice', 'right')).toBe(true);
    expect(await checker.check(users, 'alice', 'wrong')).toBe(false);
  });

  it('runs bcrypt once per user, hash and password, then answers from the cache', async () => {
    const { checker, calls } = countingChecker();
    for (let i = 0; i < 5; i++) expect(await checker.check(users, 'alice', 'right')).toBe(true);
    expect(calls).toEqual(['alice']);
  });

  it('does not let a cached answer outlive a changed hash', async () => {
    const { checker } = countingChecker();
    expect(await checker.check(users, 'alice', 'right')).toBe(true);
    const rotated = new Map([['alice', new Secret(bcrypt.hashSync('new', 4))]]);
    expect(await checker.check(rotated, 'alice', 'right')).toBe(false);
    expect(await checker.check(rotated, 'alice', 'new')).toBe(true);
  });

  it('spends a bcrypt on an unknown user too, so timing does not reveal user names', async () => {
    const { checker, calls } = countingChecker();
    expect(await checker.check(users, 'mallory', 'fakepassword')).toBe(false);
    expect(calls).toEqual(['decoy']);
  });

  it('runs one bcrypt at a time', async () => {
    let running = 0;
    let most = 0;
    const checker = new BasicAuthChecker({
      maxQueue: 100,
      compare: async () => {
        running++;
        most = Math.max(most, running);
        await new Promise((r) => setImmediate(r));
        running--;
        return false;
      },
    });
    await Promise.all(Array.from({ length: 8 }, (_, i) => checker.check(users, 'alice', `guess-${i}`)));
    expect(most).toBe(MAX_BCRYPT_IN_FLIGHT);
  });

  it('keeps at most maxSuccesses successes', async () => {
    const calls: string[] = [];
    const many = new Map(['a', 'b', 'c'].map((u) => [u, new Secret(HASH)]));
    const checker = new BasicAuthChecker({ maxSuccesses: 2, compare: async (p, h) => (calls.push(p), bcrypt.compare(p, h)) });
    for (const u of ['a', 'b', 'c', 'a']) expect(await checker.check(many, u, 'right')).toBe(true);
    // "a" was evicted by "c", so it is checked again.
    expect(calls).toEqual(['right', 'right', 'right', 'right']);
  });

  it('keeps at most maxFailures failures: the oldest is checked again', async () => {
    const calls: string[] = [];
    const checker = new BasicAuthChecker({ maxFailures: 2, compare: async (p, h) => (calls.push(p), bcrypt.compare(p, h)) });
    for (const p of ['a', 'b', 'a', 'c', 'a']) expect(await checker.check(users, 'alice', p)).toBe(false);
    // The hit on "a" made "b" the oldest, so "c" pushed "b" out and "a" is still remembered.
    expect(calls).toEqual(['a', 'b', 'c']);
  });

  it('never lets failures evict a success', async () => {
    const { checker, calls } = countingChecker();
    expect(await checker.check(users, 'alice', 'right')).toBe(true);
    for (let i = 0; i < MAX_CACHED_FAILURES * 3; i++) expect(await checker.check(users, 'alice', `wrong-${i}`)).toBe(false);
    const before = calls.length;
    expect(checker.verify(users, 'alice', 'right')).toBe('ok');
    expect(calls.length).toBe(before);
  });

  it(`answers "busy" at once beyond ${MAX_BCRYPT_IN_FLIGHT} running and ${MAX_BCRYPT_QUEUE} waiting, and a cached user "ok" without waiting`, async () => {
    const release: (() => void)[] = [];
    let compares = 0;
    const checker = new BasicAuthChecker({
      compare: (password, hash) => {
        compares++;
        if (password === 'right') return bcrypt.compare(password, hash);
        return new Promise<boolean>((resolve) => release.push(() => resolve(false)));
      },
    });
    expect(await checker.verify(users, 'alice', 'right')).toBe('ok');
    const flood = Array.from({ length: MAX_BCRYPT_IN_FLIGHT + MAX_BCRYPT_QUEUE + 50 }, (_, i) => checker.verify(users, i % 2 ? 'alice' : `nobody-${i}`, `wrong-${i}`));
    const busy = flood.filter((o) => o === 'busy');
    expect(busy.length).toBe(50);
    // The remembered success is a plain value, not a promise queued behind the flood.
    expect(checker.verify(users, 'alice', 'right')).toBe('ok');
    while (release.length > 0 || compares < MAX_BCRYPT_IN_FLIGHT + MAX_BCRYPT_QUEUE + 1) {
      release.shift()?.();
      await new Promise((r) => setImmediate(r));
    }
    expect(await Promise.all(flood.filter((o) => o !== 'busy'))).toEqual(Array(MAX_BCRYPT_IN_FLIGHT + MAX_BCRYPT_QUEUE).fill('denied'));
  });

  it('checks an unknown user against a decoy at the configured cost', async () => {
    const hashes: string[] = [];
    const costly = new Map([['alice', new Secret(bcrypt.hashSync('right', 6))]]);
    const checker = new BasicAuthChecker({ compare: async (p, h) => (hashes.push(h), bcrypt.compare(p, h)) });
    expect(await checker.check(costly, 'mallory', 'right')).toBe(false);
    expect(hashes[0]).toMatch(/^\$2b\$06\$/);
    expect(decoyHash(new Map([['a', new Secret(HASH)], ['b', new Secret(bcrypt.hashSync('x', 5))]]))).toMatch(/^\$2b\$05\$/);
    expect(decoyHash(new Map())).toMatch(/^\$2b\$10\$/);
  });
});

describe('parseBasicAuth', () => {
  const header = (s: string) => `Basic ${Buffer.from(s).toString('base64')}`;
  it.each([
    [header('alice:pa:ss'), { user: 'alice', password: 'pa:ss' }],
    [header('alice:'), { user: 'alice', password: '' }],
    [`basic   ${Buffer.from('u:p').toString('base64')}`, { user: 'u', password: 'p' }],
    [header('no-colon'), undefined],
    ['Bearer abc', undefined],
    ['Basic !!!', undefined],
    [undefined, undefined],
  ])('%s → %o', (value, expected) => {
    expect(parseBasicAuth(value)).toEqual(expected);
  });
});
