import bcrypt from 'bcryptjs';
import { describe, expect, it } from 'vitest';
import { Secret } from '../../src/config/secret.js';
import { BasicAuthChecker, parseBasicAuth } from '../../src/web/basic-auth.js';

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
      compare: async () => {
        running++;
        most = Math.max(most, running);
        await new Promise((r) => setImmediate(r));
        running--;
        return false;
      },
    });
    await Promise.all(Array.from({ length: 8 }, (_, i) => checker.check(users, 'alice', `guess-${i}`)));
    expect(most).toBe(1);
  });

  it('keeps at most maxEntries answers', async () => {
    const { calls } = countingChecker();
    const checker = new BasicAuthChecker({ maxEntries: 2, compare: async (p, h) => (calls.push(p), bcrypt.compare(p, h)) });
    for (const p of ['a', 'b', 'c', 'a']) await checker.check(users, 'alice', p);
    // "a" was evicted by "c", so it is checked again.
    expect(calls).toEqual(['a', 'b', 'c', 'a']);
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
