// Attack: a watched credential file built to make the PEM or JWT inspection blow up. Each inspection must finish.
// Before the linear PEM scan, 1 MiB of `-----BEGIN A-----` lines froze the process ~30 s per content change.
import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_CREDENTIAL_BYTES } from '../../src/credentials/read.js';
import { inspectCredential, MAX_CERTIFICATES_PER_BUNDLE, MAX_JWT_BYTES, MAX_PEM_BLOCKS, pemBlocks } from '../../src/credentials/inspect.js';
import { randomInputs } from '../helpers/fuzz.js';
import { jwt, notAfterSeconds, selfSigned, tempDir } from './helpers.js';

const TIMEOUT = 15_000;
const fill = (unit: string) => unit.repeat(Math.floor(MAX_CREDENTIAL_BYTES / unit.length));

describe('inspectCredential under attack', () => {
  it.each([
    ['1 MiB of BEGIN markers', fill('-----BEGIN A-----\n')],
    ['1 MiB of BEGIN CERTIFICATE markers', fill('-----BEGIN CERTIFICATE-----\n')],
    ['BEGIN markers with mismatched ENDs', fill('-----BEGIN A-----\n-----END B-----\n')],
    ['a marker with an endless label', `-----BEGIN ${'A'.repeat(MAX_CREDENTIAL_BYTES - 20)}`],
    ['1 MiB of dashes', fill('-')],
    ['empty blocks', fill('-----BEGIN X-----\n-----END X-----\n')],
  ])('finishes on %s', (_name, text) => {
    expect(inspectCredential(Buffer.from(text)).type).toBe('opaque');
  }, TIMEOUT);

  it('looks at no more than MAX_PEM_BLOCKS blocks', () => {
    const text = '-----BEGIN X-----\nAA==\n-----END X-----\n'.repeat(MAX_PEM_BLOCKS + 50);
    expect(pemBlocks(text)).toHaveLength(MAX_PEM_BLOCKS);
  });

  it('finishes on 200 random PEM-like files', () => {
    const inputs = randomInputs(56, ['-----BEGIN ', '-----END ', 'CERTIFICATE', 'PRIVATE KEY', 'A', '-----', '\n', 'MII', '='], 200, 64 * 1024);
    for (const text of inputs) inspectCredential(Buffer.from(text));
  }, TIMEOUT);

  it('reports a JWT over MAX_JWT_BYTES as opaque, without decoding it', async () => {
    const small = await jwt({ sub: 'robot', exp: 2_000_000_000 });
    expect(inspectCredential(Buffer.from(small)).type).toBe('jwt');
    const big = await jwt({ sub: 'robot', exp: 2_000_000_000, pad: 'x'.repeat(MAX_JWT_BYTES) });
    expect(inspectCredential(Buffer.from(big)).type).toBe('opaque');
  });

  it.each([
    ['dots', fill('.')],
    ['a JWS shape with 1 MiB of parts', `${'a'.repeat(MAX_CREDENTIAL_BYTES / 2)}.${'b'.repeat(MAX_CREDENTIAL_BYTES / 2 - 10)}.c`],
    ['deeply nested claims', `eyJhbGciOiJIUzI1NiJ9.${Buffer.from('{"a":'.repeat(5000) + '1' + '}'.repeat(5000)).toString('base64url')}.x`],
  ])('finishes on %s', (_name, text) => {
    expect(['opaque', 'jwt']).toContain(inspectCredential(Buffer.from(text)).type);
  }, TIMEOUT);
});

describe('certificates per bundle', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  beforeAll(async () => ({ dir, cleanup } = await tempDir('inspect-fuzz-')));
  afterAll(async () => cleanup());

  it(`inspects the first ${MAX_CERTIFICATES_PER_BUNDLE} certificates of a bundle and no more`, async () => {
    const good = await selfSigned(dir, 'good', '/CN=good', 365);
    const expired = await selfSigned(dir, 'expired', '/CN=expired', -1);
    const goodPem = await readFile(good.cert, 'utf8');
    const expiredPem = await readFile(expired.cert, 'utf8');
    // The expired certificate inside the cap wins; the same one past the cap is never parsed.
    const inside = goodPem.repeat(MAX_CERTIFICATES_PER_BUNDLE - 1) + expiredPem;
    expect(inspectCredential(Buffer.from(inside)).expiresMs).toBe(notAfterSeconds(expired.cert) * 1000);
    const past = goodPem.repeat(MAX_CERTIFICATES_PER_BUNDLE) + expiredPem;
    expect(Buffer.byteLength(past)).toBeLessThan(MAX_CREDENTIAL_BYTES);
    expect(inspectCredential(Buffer.from(past)).expiresMs).toBe(notAfterSeconds(good.cert) * 1000);
  }, TIMEOUT);
});
