import { randomBytes } from 'node:crypto';
import { SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { collectEvidence, jobFacts, type EvidenceSources } from '../../src/diagnosis/evidence.js';
import type { CredentialFileStatus } from '../../src/status/types.js';
import { job } from '../probe/helpers.js';

const NOW = Date.parse('2026-11-30T10:00:00Z');

function sources(files: Record<string, Partial<CredentialFileStatus>> = {}, match?: boolean): EvidenceSources & { asked: string[] } {
  const asked: string[] = [];
  return {
    asked,
    credentialFile: (p) => {
      asked.push(p);
      const f = files[p];
      return f ? ({ path: p, exists: true, readable: true, empty: false, type: 'opaque', ...f } as CredentialFileStatus) : undefined;
    },
    clientCertKeyMatch: () => match,
    rbac: () => undefined,
  };
}

describe('collectEvidence', () => {
  const mtls = job({
    scheme: 'https',
    authorization: { credentials_file: '/s/token' },
    tls_config: { ca_file: '/s/ca.crt', cert_file: '/s/tls.crt', key_file: '/s/tls.key' },
  });

  it('takes the job\'s files with their usage and field, and the TLS ones only for an https URL', () => {
    const https = collectEvidence({ job: 'test', instance: 'h:1', url: 'https://h:1/metrics' }, mtls, sources({ '/s/token': { type: 'jwt', expiresMs: NOW } }, false), { nowMs: NOW });
    expect(https.files.map((f) => [f.path, f.usage, f.field])).toEqual([
      ['/s/token', 'bearer_token', 'authorization.credentials_file'],
      ['/s/ca.crt', 'ca', 'tls_config.ca_file'],
      ['/s/tls.crt', 'client_cert', 'tls_config.cert_file'],
      ['/s/tls.key', 'client_key', 'tls_config.key_file'],
    ]);
    expect(https.files[0]).toMatchObject({ observed: true, type: 'jwt', expiresMs: NOW });
    expect(https.files[1]).toMatchObject({ observed: false, exists: true, readable: true });
    expect(https.clientCertKeyMatch).toBe(false);

    const http = collectEvidence({ job: 'test', instance: 'h:1', url: 'http://h:1/metrics' }, mtls, sources({}, false), { nowMs: NOW });
    expect(http.files.map((f) => f.usage)).toEqual(['bearer_token']);
    expect(http.clientCertKeyMatch).toBeUndefined();
  });

  it('inspects an inline bearer token for its exp, never keeping the token', async () => {
    const token = await new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setSubject('system:serviceaccount:a:b').setExpirationTime(NOW / 1000 - 60).sign(randomBytes(32));
    const e = collectEvidence({ job: 'test', instance: 'h:1', url: 'http://h:1/metrics' }, job({ bearer_token: token }), sources(), { nowMs: NOW });
    expect(e.inline).toEqual([{ usage: 'bearer_token', type: 'jwt', subject: 'system:serviceaccount:a:b', issuer: undefined, expiresMs: NOW - 60_000, notBeforeMs: undefined }]);
    expect(JSON.stringify(e)).not.toContain(token);
  });

  it('describes the job by the shape of its auth, never by a secret: the proxy by host:port only', () => {
    const facts = jobFacts(job({ basic_auth: { username: 'u', password: 'canary-pw' }, proxy_url: 'http://user:canary-proxy@proxy.example:3128', http_headers: { 'X-Key': { secrets: ['canary-h'] } } }));
    expect(facts).toMatchObject({ basicAuth: true, authorizationType: undefined, headerCredentials: true, proxy: 'proxy.example:3128' });
    expect(JSON.stringify(facts)).not.toMatch(/canary/);
  });
});
