import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Secret } from '../../src/config/secret.js';
import { httpGet } from '../../src/sidecar/client.js';
import { makePki, type Pki } from '../e2e/targets.js';

// Asking a Prometheus that serves its API over mTLS (--web.config.file with client_auth_type), as the
// prometheus block's tls_config allows.
describe('GET with the prometheus block\'s TLS settings', () => {
  let dir: string;
  let pki: Pki;
  let server: https.Server;
  let url: string;
  const seen: { cert: string | undefined; headers: Record<string, unknown> }[] = [];

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'sidecar-client-'));
    pki = makePki(dir);
    server = https.createServer(
      { cert: readFileSync(pki.serverCertFile), key: readFileSync(pki.serverKeyFile), ca: readFileSync(pki.caFile), requestCert: true, rejectUnauthorized: true },
      (req, res) => {
        const peer = (req.socket as import('node:tls').TLSSocket).getPeerCertificate();
        seen.push({ cert: String(peer.subject?.CN), headers: req.headers });
        res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"success","data":{"activeTargets":[]}}');
      },
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `https://127.0.0.1:${(server.address() as AddressInfo).port}/api/v1/targets?state=active`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    await rm(dir, { recursive: true, force: true });
  });

  const options = { timeoutMs: 3000, maxBytes: 1024 };

  it('presents the client certificate and trusts the CA from files', async () => {
    const outcome = await httpGet(
      url,
      {
        tls_config: { ca_file: pki.caFile, cert_file: pki.clientCertFile, key_file: pki.clientKeyFile, insecure_skip_verify: false },
        http_headers: { 'X-Scope-OrgID': { values: ['tenant-a'], secrets: [new Secret('s3cret')] } },
      },
      options,
    );
    expect(outcome).toMatchObject({ ok: true, status: 200 });
    expect(seen.at(-1)?.cert).toBe('scrape-auth-exporter');
    expect(seen.at(-1)?.headers['x-scope-orgid']).toBe('tenant-a, s3cret');
  });

  it('fails with a TLS error, not a throw, without the CA', async () => {
    const outcome = await httpGet(url, { tls_config: { cert_file: pki.clientCertFile, key_file: pki.clientKeyFile, insecure_skip_verify: false } }, options);
    expect(outcome.ok).toBe(false);
    expect(!outcome.ok && outcome.error).toMatch(/^Get "https:\/\/127\.0\.0\.1:\d+\/api\/v1\/targets\?state=active": .*(certificate|CERT)/i);
  });

  it('names an unreadable key file without reading or showing anything else', async () => {
    const outcome = await httpGet(url, { tls_config: { ca_file: pki.caFile, cert_file: pki.clientCertFile, key_file: path.join(dir, 'missing.key'), insecure_skip_verify: false } }, options);
    expect(outcome).toEqual({ ok: false, error: `unable to read client key: unable to read file ${path.join(dir, 'missing.key')}: open ${path.join(dir, 'missing.key')}: no such file or directory` });
  });

  it('refuses an answer larger than the cap', async () => {
    const outcome = await httpGet(url, { tls_config: { ca_file: pki.caFile, cert_file: pki.clientCertFile, key_file: pki.clientKeyFile, insecure_skip_verify: false } }, { timeoutMs: 3000, maxBytes: 10 });
    expect(outcome).toEqual({ ok: false, error: expect.stringMatching(/response body larger than 10 bytes$/) });
  });
});
