import { copyFileSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import bcrypt from 'bcryptjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Registry } from 'prom-client';
import { createApp } from '../../src/app.js';
import { silentLogger } from '../../src/log.js';
import { createWebGuards } from '../../src/web/guards.js';
import { createStatusRouter } from '../../src/web/router.js';
import { createTlsServer, type WebServer } from '../../src/web/server.js';
import { WebConfigSource } from '../../src/web/source.js';
import { everyStateSources } from './helpers/fixtures.js';
import { request, type Answer } from './helpers/http.js';
import { createPki, type Pki } from './helpers/pki.js';

const PASSWORD = 'canary-web-password-41d2';
const HASH = bcrypt.hashSync(PASSWORD, 4);

let pki: Pki;
let webFile: string;
let server: WebServer;
let base: string;
let ca: Buffer;

/** Replaces a file the way Kubernetes and editors do: a new inode renamed over the old one. */
function replace(file: string, text: string): void {
  writeFileSync(`${file}.tmp`, text);
  renameSync(`${file}.tmp`, file);
}

function writeWebConfig(tls: string): void {
  replace(
    webFile,
    `tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n${tls}` +
      `http_server_config:\n  headers:\n    X-Frame-Options: deny\n` +
      `basic_auth_users:\n  alice: ${HASH}\n`,
  );
}

const alice = { user: 'alice', password: PASSWORD };
const statusOf = (a: Answer) => (a.ok ? a.status : a.code);

beforeAll(async () => {
  pki = createPki();
  ca = readFileSync(pki.caCert);
  webFile = path.join(pki.dir, 'web.yml');
  writeWebConfig('');
  const logger = silentLogger();
  const web = await WebConfigSource.open(webFile, logger);
  const app = createApp({
    registry: new Registry(),
    telemetryPath: '/metrics',
    runtime: { reload: async () => ({ ok: true }), isReady: () => true },
    logger,
    guards: createWebGuards({ current: () => web.current() }),
    routers: [createStatusRouter({ sources: everyStateSources(Date.now()), config: () => ({ file: 'x.yml', lastReloadSuccessful: true, lastReloadSuccessMs: 0 }) })],
  });
  server = createTlsServer({ app, settings: () => web.tls(), logger });
  const address = await server.listen('127.0.0.1', 0);
  base = `127.0.0.1:${address.port}`;
});

afterAll(async () => {
  await server?.close();
});

describe('TLS from --web.config.file', () => {
  it('serves HTTPS only: plain HTTP to the TLS port gets no answer', async () => {
    const plain = await request(`http://${base}/-/healthy`);
    expect(plain.ok).toBe(false);
    const tls = await request(`https://${base}/-/healthy`, { ca, auth: alice });
    expect(statusOf(tls)).toBe(200);
  });

  it('is refused by a client that does not trust the test CA', async () => {
    expect(statusOf(await request(`https://${base}/-/healthy`))).toBe('UNABLE_TO_VERIFY_LEAF_SIGNATURE');
  });

  it('serves a rotated server certificate on the next connection, without a restart', async () => {
    const first = await request(`https://${base}/-/healthy`, { ca, auth: alice });
    expect(first.ok && first.peer?.subject.CN).toBe('server-one');
    const next = pki.issueServer('server-two', 'server-two');
    copyFileSync(next.key, `${pki.serverKey}.new`);
    copyFileSync(next.cert, `${pki.serverCert}.new`);
    renameSync(`${pki.serverKey}.new`, pki.serverKey);
    renameSync(`${pki.serverCert}.new`, pki.serverCert);
    const second = await request(`https://${base}/-/healthy`, { ca, auth: alice });
    expect(second.ok && second.peer?.subject.CN).toBe('server-two');
  });
});

describe('basic auth from --web.config.file', () => {
  it('answers 401 with WWW-Authenticate: Basic without credentials, with a wrong password and for an unknown user', async () => {
    for (const auth of [undefined, { user: 'alice', password: 'wrong' }, { user: 'mallory', password: PASSWORD }]) {
      const answer = await request(`https://${base}/`, { ca, ...(auth ? { auth } : {}) });
      expect(answer.ok && [answer.status, answer.headers['www-authenticate'], answer.body]).toEqual([401, 'Basic', 'Unauthorized\n']);
    }
  });

  it('protects every endpoint, the page and the API included', async () => {
    for (const p of ['/', '/api/v1/status', '/metrics', '/-/healthy', '/-/ready', '/nope']) {
      expect(statusOf(await request(`https://${base}${p}`, { ca })), p).toBe(401);
    }
  });

  it('lets the right password through and adds the configured headers to every answer', async () => {
    const page = await request(`https://${base}/`, { ca, auth: alice });
    expect(page.ok && [page.status, page.headers['x-frame-options']]).toEqual([200, 'deny']);
    const refused = await request(`https://${base}/`, { ca });
    expect(refused.ok && refused.headers['x-frame-options']).toBe('deny');
  });

  it('re-reads the users on the next request after the file changes', async () => {
    const newHash = bcrypt.hashSync('rotated', 4);
    replace(webFile, `tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\nbasic_auth_users:\n  alice: ${newHash}\n`);
    expect(statusOf(await request(`https://${base}/`, { ca, auth: alice }))).toBe(401);
    expect(statusOf(await request(`https://${base}/`, { ca, auth: { user: 'alice', password: 'rotated' } }))).toBe(200);
    writeWebConfig('');
  });
});

describe('client certificates (client_auth_type)', () => {
  const get = (client?: 'good' | 'stranger') =>
    request(`https://${base}/-/healthy`, {
      ca,
      auth: alice,
      ...(client === 'good' ? { cert: Buffer.from(readText(pki.clientCert)), key: Buffer.from(readText(pki.clientKey)) } : {}),
      ...(client === 'stranger' ? { cert: Buffer.from(readText(pki.strangerCert)), key: Buffer.from(readText(pki.strangerKey)) } : {}),
    }).then(statusOf);

  it('RequireAndVerifyClientCert: only a certificate from client_ca_file gets in', async () => {
    writeWebConfig(`  client_auth_type: RequireAndVerifyClientCert\n  client_ca_file: test-ca.crt\n`);
    expect(await get('good')).toBe(200);
    expect(await get()).not.toBe(200);
    expect(await get('stranger')).not.toBe(200);
  });

  it('client_allowed_sans: a verified certificate without an allowed SAN is refused', async () => {
    writeWebConfig(`  client_auth_type: RequireAndVerifyClientCert\n  client_ca_file: test-ca.crt\n  client_allowed_sans: [someone.else]\n`);
    expect(await get('good')).not.toBe(200);
    writeWebConfig(`  client_auth_type: RequireAndVerifyClientCert\n  client_ca_file: test-ca.crt\n  client_allowed_sans: [prometheus.monitoring]\n`);
    expect(await get('good')).toBe(200);
  });

  it('RequireAnyClientCert: any certificate, verified or not, but one is required', async () => {
    writeWebConfig(`  client_auth_type: RequireAnyClientCert\n`);
    expect(await get('stranger')).toBe(200);
    expect(await get()).not.toBe(200);
  });

  it('VerifyClientCertIfGiven: no certificate is fine, an unverifiable one is not', async () => {
    writeWebConfig(`  client_auth_type: VerifyClientCertIfGiven\n  client_ca_file: test-ca.crt\n`);
    expect(await get()).toBe(200);
    expect(await get('good')).toBe(200);
    expect(await get('stranger')).not.toBe(200);
  });

  it('RequestClientCert: asks, but lets anyone in', async () => {
    writeWebConfig(`  client_auth_type: RequestClientCert\n`);
    expect(await get()).toBe(200);
    expect(await get('stranger')).toBe(200);
    writeWebConfig('');
  });
});

describe('a web config broken at run time', () => {
  it('fails closed, then recovers when the file is fixed', async () => {
    replace(webFile, 'tls_server_config: [oops\n');
    expect(statusOf(await request(`https://${base}/-/healthy`, { ca, auth: alice }))).not.toBe(200);
    writeWebConfig('');
    expect(statusOf(await request(`https://${base}/-/healthy`, { ca, auth: alice }))).toBe(200);
  });
});

function readText(file: string): string {
  return readFileSync(file, 'utf8');
}
