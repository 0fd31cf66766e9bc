import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inspectCredential, oneLineDn, publicKeysMatch } from '../../src/credentials/inspect.js';
import { jwt, notAfterSeconds, selfSigned, tempDir, type CertFiles } from './helpers.js';

const inspect = (text: string) => inspectCredential(Buffer.from(text));

describe('inspectCredential: JWT', () => {
  it('reads exp, iat, sub and iss of a JWT without verifying it', async () => {
    const token = await jwt({ exp: 2_000_000_000, iat: 1_900_000_000, sub: 'system:serviceaccount:monitoring:prometheus', iss: 'https://kubernetes.default.svc' });
    const i = inspect(`${token}\n`);
    expect(i).toMatchObject({
      type: 'jwt',
      expiresMs: 2_000_000_000_000,
      issuedMs: 1_900_000_000_000,
      subject: 'system:serviceaccount:monitoring:prometheus',
      issuer: 'https://kubernetes.default.svc',
      refreshDueMs: undefined,
    });
  });

  it('leaves the expiry absent for a JWT without exp, and uses nbf when iat is missing', async () => {
    const i = inspect(await jwt({ sub: 'robot', nbf: 1_800_000_000 }));
    expect(i.type).toBe('jwt');
    expect(i.expiresMs).toBeUndefined();
    expect(i.issuedMs).toBe(1_800_000_000_000);
  });

  it('reads the kubernetes.io warnafter claim of a projected service-account token as refresh due', async () => {
    const token = await jwt({
      aud: ['https://kubernetes.default.svc'],
      exp: 1_830_000_000,
      iat: 1_798_000_000,
      iss: 'https://kubernetes.default.svc.cluster.local',
      'kubernetes.io': { namespace: 'monitoring', serviceaccount: { name: 'prometheus', uid: 'u' }, warnafter: 1_798_003_607 },
      nbf: 1_798_000_000,
      sub: 'system:serviceaccount:monitoring:prometheus',
    });
    expect(inspect(token)).toMatchObject({ type: 'jwt', refreshDueMs: 1_798_003_607_000, expiresMs: 1_830_000_000_000 });
  });

  it.each([
    ['two parts only', 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0'],
    ['a payload that is not JSON', 'eyJhbGciOiJIUzI1NiJ9.bm90IGpzb24.c2ln'],
    ['characters outside base64url', 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0=.sig'],
    ['a plain password', 'hunter2'],
  ])('calls a malformed JWT (%s) opaque', (_case, text) => {
    expect(inspect(text)).toMatchObject({ type: 'opaque', expiresMs: undefined, subject: undefined });
  });

  it('caps a huge sub claim so it cannot become a huge label', async () => {
    const i = inspect(await jwt({ sub: 'x'.repeat(10_000) }));
    expect(i.subject!.length).toBeLessThanOrEqual(257);
  });
});

describe('inspectCredential: X.509 and keys', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  let long: CertFiles;
  let short: CertFiles;
  let expired: CertFiles;
  beforeAll(async () => {
    ({ dir, cleanup } = await tempDir());
    long = await selfSigned(dir, 'long', '/C=DE/O=Acme, Inc./CN=long.example', 400);
    short = await selfSigned(dir, 'short', '/O=Acme/CN=short.example', 10);
    expired = await selfSigned(dir, 'expired', '/CN=expired.example', -1);
  });
  afterAll(() => cleanup());

  it('reads a certificate: expiry, notBefore, subject and issuer DNs on one line', async () => {
    const i = inspectCredential(await readFile(long.cert));
    expect(i.type).toBe('x509');
    expect(i.expiresMs! / 1000).toBe(notAfterSeconds(long.cert));
    expect(i.issuedMs!).toBeLessThanOrEqual(Date.now());
    expect(i.subject).toBe('CN=long.example,O=Acme\\, Inc.,C=DE');
    expect(i.issuer).toBe(i.subject);
  });

  it('takes the earliest notAfter of a bundle of two certificates, whichever comes first in the file', async () => {
    const bundle = Buffer.concat([await readFile(long.cert), await readFile(short.cert)]);
    const i = inspectCredential(bundle);
    expect(i.expiresMs! / 1000).toBe(notAfterSeconds(short.cert));
    expect(i.subject).toBe('CN=short.example,O=Acme');
  });

  it('reports an expired certificate with its past expiry', async () => {
    const i = inspectCredential(await readFile(expired.cert));
    expect(i.type).toBe('x509');
    expect(i.expiresMs!).toBeLessThan(Date.now());
  });

  it('recognises a private key as private_key, without subject or expiry', async () => {
    const i = inspectCredential(await readFile(long.key));
    expect(i).toMatchObject({ type: 'private_key', subject: undefined, expiresMs: undefined });
    expect(i.keyPublicKey).toBeInstanceOf(Buffer);
  });

  it('matches a certificate with its own key and not with another one', async () => {
    const cert = inspectCredential(await readFile(long.cert));
    expect(publicKeysMatch(cert.certPublicKey, inspectCredential(await readFile(long.key)).keyPublicKey)).toBe(true);
    expect(publicKeysMatch(cert.certPublicKey, inspectCredential(await readFile(short.key)).keyPublicKey)).toBe(false);
    expect(publicKeysMatch(cert.certPublicKey, undefined)).toBe(false);
  });

  it('calls a damaged PEM block opaque', () => {
    expect(inspect('-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----\n').type).toBe('opaque');
    expect(inspect('-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n').type).toBe('opaque');
  });

  it('writes a multi-line DN most specific first', () => {
    expect(oneLineDn('C=US\nO=Acme\nCN=app')).toBe('CN=app,O=Acme,C=US');
  });
});
