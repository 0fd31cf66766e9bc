// One real scenario per cause of SPEC's table: real HTTP/HTTPS/mTLS servers, openssl certificates, real files,
// probed through --diagnose's own code path. Each scenario first proves its setup (the target really answers 401
// to that token, the certificate really is expired), then checks the cause the exporter names.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes, X509Certificate, createPrivateKey } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import path from 'node:path';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runDiagnose } from '../../src/diagnosis/run.js';
import type { DiagnoseRow } from '../../src/diagnosis/report.js';
import { makePki, METRICS_BODY, startServer, startTcp, tmpDir, type Pki, type TestServer } from '../probe/helpers.js';

const CANARY_TOKEN = `canary-token-${randomBytes(6).toString('hex')}`;
const CANARY_PASSWORD = `canary-pass-${randomBytes(6).toString('hex')}`;
const CANARY_PROXY = `canary-proxy-${randomBytes(6).toString('hex')}`;
const KUBELET_403 = 'Forbidden (user=system:serviceaccount:monitoring:prometheus, verb=get, resource=nodes, subresource=metrics)\n';

let pki: Pki;
let dir: string;
const servers: { close(): Promise<void> }[] = [];
let rows: DiagnoseRow[];
let exitCode: number;
let stdout = '';
let stderr = '';
const jwt: Record<string, string> = {};
const addr: Record<string, string> = {};

function openssl(args: string[]): void {
  execFileSync('openssl', args, { cwd: pki.dir, stdio: 'pipe' });
}

/** A client certificate issued by test-ca that expired yesterday (openssl -days -1). */
function expiredClientCert(): void {
  openssl(['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', 'old-client.key']);
  openssl(['req', '-new', '-key', 'old-client.key', '-subj', '/CN=old-prometheus', '-out', 'old-client.csr']);
  writeFileSync(pki.file('old-client.ext'), 'extendedKeyUsage=clientAuth\n');
  openssl(['x509', '-req', '-in', 'old-client.csr', '-CA', 'test-ca.crt', '-CAkey', 'test-ca.key', '-set_serial', '77', '-days', '-1', '-extfile', 'old-client.ext', '-out', 'old-client.crt']);
  // A client certificate from a CA the server does not trust.
  openssl(['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', 'stranger.key']);
  openssl(['req', '-new', '-key', 'stranger.key', '-subj', '/CN=stranger', '-out', 'stranger.csr']);
  openssl(['x509', '-req', '-in', 'stranger.csr', '-CA', 'other-ca.crt', '-CAkey', 'other-ca.key', '-set_serial', '78', '-days', '5', '-extfile', 'old-client.ext', '-out', 'stranger.crt']);
}

async function token(claims: { exp: number; nbf?: number }): Promise<string> {
  const t = new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setSubject('system:serviceaccount:monitoring:prometheus').setIssuer('https://kubernetes.default.svc').setExpirationTime(claims.exp);
  if (claims.nbf !== undefined) t.setNotBefore(claims.nbf);
  return t.sign(randomBytes(32));
}

/** GET with a bearer token, answering the status (or the error code): proves what a target does. */
function statusOf(url: string, headers: Record<string, string> = {}, tls: https.RequestOptions = {}): Promise<number | string> {
  return new Promise((resolve) => {
    const lib = url.startsWith('https:') ? https : http;
    const req = lib.get(url, { headers, ...tls }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message));
  });
}

function row(job: string): DiagnoseRow {
  const found = rows.find((r) => r.scrape_job === job);
  if (!found) throw new Error(`no row for ${job}: ${JSON.stringify(rows.map((r) => r.scrape_job))}`);
  return found;
}

/**
 * An mTLS server that answers a refused client certificate the way Go and nginx servers do, with a TLS alert (a
 * Node server drops the connection without one): `openssl s_server`, stopped by PID after the tests.
 */
async function opensslServer(): Promise<{ address: string; close(): Promise<void> }> {
  const free = net.createServer();
  await new Promise<void>((r) => free.listen(0, '127.0.0.1', r));
  const port = (free.address() as net.AddressInfo).port;
  await new Promise<void>((r) => free.close(() => r()));
  const child: ChildProcess = spawn(
    'openssl',
    ['s_server', '-accept', `127.0.0.1:${port}`, '-cert', pki.file('server.crt'), '-key', pki.file('server.key'), '-Verify', '1', '-verify_return_error', '-CAfile', pki.file('test-ca.crt'), '-www'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  await new Promise<void>((resolve, reject) => {
    let seen = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      seen += chunk.toString();
      if (seen.includes('ACCEPT')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`openssl s_server exited with ${code}`)));
  });
  child.stdout!.resume();
  child.stderr!.resume();
  return {
    address: `127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        process.kill(child.pid!, 'SIGTERM');
      }),
  };
}

async function track<T extends { close(): Promise<void> }>(server: T): Promise<T> {
  servers.push(server);
  return server;
}

beforeAll(async () => {
  pki = makePki();
  expiredClientCert();
  dir = tmpDir('diagnosis-scenarios-');
  const now = Math.floor(Date.now() / 1000);
  jwt['good'] = await token({ exp: now + 3600 });
  jwt['expired'] = await token({ exp: now - 3 * 3600 - 12 * 60 });
  jwt['early'] = await token({ exp: now + 7200, nbf: now + 3600 });

  // A bearer target that accepts only the good token; a basic-auth one; a kubelet-style 403.
  const bearer = await track(
    await startServer((req, res) => {
      const auth = req.headers.authorization ?? '';
      if (auth === `Bearer ${jwt['good']}`) return void res.writeHead(200, { 'Content-Type': 'text/plain; version=0.0.4' }).end(METRICS_BODY);
      if (auth === `Bearer ${CANARY_TOKEN}-forbidden`) return void res.writeHead(403, { 'Content-Type': 'text/plain' }).end(KUBELET_403);
      res.writeHead(401, { 'WWW-Authenticate': 'Bearer realm="test"' }).end('Unauthorized\n');
    }),
  );
  addr['bearer'] = bearer.address;
  const mtlsOptions = { cert: pki.serverCert, key: pki.serverKey, ca: pki.caCert, requestCert: true, rejectUnauthorized: true };
  const mtls = await track(await startServer((_req, res) => void res.writeHead(200, { 'Content-Type': 'text/plain' }).end(METRICS_BODY), mtlsOptions));
  addr['mtls'] = mtls.address;
  addr['mtls-openssl'] = (await track(await opensslServer())).address;
  const tlsServer = (cert: string) => startServer((_req, res) => void res.writeHead(200, { 'Content-Type': 'text/plain' }).end(METRICS_BODY), { cert, key: pki.serverKey });
  // The expired, other-CA and wrong-name certificates share server.key's name but not its key: their own keys.
  addr['expired'] = (await track(await startServer((_q, r) => void r.end(METRICS_BODY), { cert: pki.expiredCert, key: readFileSync(pki.file('expired.key'), 'utf8') }))).address;
  addr['otherca'] = (await track(await startServer((_q, r) => void r.end(METRICS_BODY), { cert: pki.otherCaServerCert, key: readFileSync(pki.file('other.key'), 'utf8') }))).address;
  addr['wrongname'] = (await track(await startServer((_q, r) => void r.end(METRICS_BODY), { cert: pki.wrongNameCert, key: readFileSync(pki.file('wrongname.key'), 'utf8') }))).address;
  addr['tls'] = (await track(await tlsServer(pki.serverCert))).address;
  addr['tls12'] = (await track(await startServer((_q, r) => void r.end(METRICS_BODY), { cert: pki.serverCert, key: pki.serverKey, maxVersion: 'TLSv1.2' }))).address;
  addr['plain'] = (await track(await startServer((_q, r) => void r.writeHead(200, { 'Content-Type': 'text/plain' }).end(METRICS_BODY)))).address;
  addr['notfound'] = (await track(await startServer((_q, r) => void r.writeHead(404).end('404 page not found\n')))).address;
  addr['html'] = (await track(await startServer((_q, r) => void r.writeHead(200, { 'Content-Type': 'text/html' }).end('<html><body><h1>Grafana</h1></body></html>')))).address;
  // An identity provider that refuses the client (oauth2 client credentials).
  addr['idp'] = (await track(await startServer((_q, r) => void r.writeHead(401, { 'Content-Type': 'application/json' }).end('{"error":"invalid_client"}')))).address;
  addr['json'] = (await track(await startServer((_q, r) => void r.writeHead(200, { 'Content-Type': 'application/json' }).end('{"status":"up"}')))).address;
  // An SSO proxy: /metrics redirects to its sign-in form.
  addr['sso'] = (
    await track(
      await startServer((req, res) => {
        if (req.url?.startsWith('/oauth2/sign_in')) {
          return void res.writeHead(200, { 'Content-Type': 'text/html' }).end('<!DOCTYPE html><html><head><title>Sign In</title></head><body><form method="post"><input name="username"><input type="password" name="password"></form></body></html>');
        }
        res.writeHead(302, { Location: '/oauth2/sign_in?rd=%2Fmetrics' }).end();
      }),
    )
  ).address;
  // A forward proxy that wants credentials of its own, and quotes what it got.
  const proxy = await track(
    await startTcp((socket) => {
      socket.once('data', (chunk) => {
        socket.end(`HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm="proxy"\r\nContent-Length: ${chunk.length}\r\n\r\n${chunk.toString('latin1')}`);
      });
    }),
  );
  addr['proxy'] = `127.0.0.1:${proxy.port}`;
  // A tarpit (accepts, never answers), a port that drops every connection, a port nothing listens on.
  addr['tarpit'] = `127.0.0.1:${(await track(await startTcp(() => undefined))).port}`;
  addr['reset'] = `127.0.0.1:${(await track(await startTcp((s) => s.destroy()))).port}`;
  const closed = net.createServer();
  await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
  addr['closed'] = `127.0.0.1:${(closed.address() as net.AddressInfo).port}`;
  await new Promise<void>((r) => closed.close(() => r()));

  // Credential files: canary secrets everywhere a secret goes.
  mkdirSync(path.join(dir, 'secrets'));
  const secret = (name: string, content: string) => writeFileSync(path.join(dir, 'secrets', name), content, { mode: 0o640 });
  secret('good-token', `${jwt['good']}\n`);
  secret('expired-token', `${jwt['expired']}\n`);
  secret('early-token', `${jwt['early']}\n`);
  secret('wrong-token', `${CANARY_TOKEN}\n`);
  secret('forbidden-token', `${CANARY_TOKEN}-forbidden\n`);
  secret('empty-token', '\n');
  secret('password', `${CANARY_PASSWORD}\n`);
  execFileSync('mkfifo', [path.join(dir, 'secrets', 'fifo-token')]);

  const t = (name: string) => `[${JSON.stringify(addr[name])}]`;
  const config = `
global: { probe_interval: 30s, probe_timeout: 5s, credential_poll_interval: 1h, max_concurrent_probes: 8 }
scrape_configs:
  - { job_name: ok, authorization: { credentials_file: secrets/good-token }, static_configs: [ { targets: ${t('bearer')} } ] }
  - { job_name: file-missing, authorization: { credentials_file: secrets/no-such-token }, static_configs: [ { targets: ${t('bearer')} } ] }
  - { job_name: file-unreadable, authorization: { credentials_file: secrets/fifo-token }, static_configs: [ { targets: ${t('bearer')} } ] }
  - job_name: cert-key-mismatch
    scheme: https
    tls_config: { ca_file: ${pki.file('test-ca.crt')}, cert_file: ${pki.file('client.crt')}, key_file: ${pki.file('stranger.key')} }
    static_configs: [ { targets: ${t('mtls')} } ]
  - job_name: client-cert-expired
    scheme: https
    tls_config: { ca_file: ${pki.file('test-ca.crt')}, cert_file: ${pki.file('old-client.crt')}, key_file: ${pki.file('old-client.key')} }
    static_configs: [ { targets: ${t('mtls')} } ]
  - { job_name: file-empty, authorization: { credentials_file: secrets/empty-token }, static_configs: [ { targets: ${t('bearer')} } ] }
  - { job_name: token-expired, authorization: { credentials_file: secrets/expired-token }, static_configs: [ { targets: ${t('bearer')} } ] }
  - { job_name: token-early, authorization: { credentials_file: secrets/early-token }, static_configs: [ { targets: ${t('bearer')} } ] }
  - { job_name: no-credentials, static_configs: [ { targets: ${t('bearer')} } ] }
  - { job_name: rejected, basic_auth: { username: prometheus, password_file: secrets/password }, static_configs: [ { targets: ${t('bearer')} } ] }
  - { job_name: forbidden, authorization: { credentials_file: secrets/forbidden-token }, static_configs: [ { targets: ${t('bearer')} } ] }
  - { job_name: cert-required, scheme: https, tls_config: { ca_file: ${pki.file('test-ca.crt')} }, static_configs: [ { targets: ${t('mtls')} } ] }
  - job_name: cert-rejected
    scheme: https
    tls_config: { ca_file: ${pki.file('test-ca.crt')}, cert_file: ${pki.file('stranger.crt')}, key_file: ${pki.file('stranger.key')} }
    static_configs: [ { targets: ${t('mtls-openssl')} } ]
  - job_name: cert-rejected-node
    scheme: https
    tls_config: { ca_file: ${pki.file('test-ca.crt')}, cert_file: ${pki.file('stranger.crt')}, key_file: ${pki.file('stranger.key')} }
    static_configs: [ { targets: ${t('mtls')} } ]
  - { job_name: plain-html, static_configs: [ { targets: ${t('html')} } ] }
  - { job_name: untrusted, scheme: https, tls_config: { ca_file: ${pki.file('test-ca.crt')} }, static_configs: [ { targets: ${t('otherca')} } ] }
  - { job_name: server-expired, scheme: https, tls_config: { ca_file: ${pki.file('test-ca.crt')} }, static_configs: [ { targets: ${t('expired')} } ] }
  - { job_name: name-mismatch, scheme: https, tls_config: { ca_file: ${pki.file('test-ca.crt')}, server_name: localhost }, static_configs: [ { targets: ${t('wrongname')} } ] }
  - { job_name: https-to-http, scheme: https, static_configs: [ { targets: ${t('plain')} } ] }
  - { job_name: http-to-https, scheme: http, static_configs: [ { targets: ${t('tls')} } ] }
  - job_name: proxy-407
    scheme: https
    proxy_url: http://prometheus:${CANARY_PROXY}@${addr['proxy']}
    static_configs: [ { targets: ["metrics.example:443"] } ]
  - job_name: oauth2-refused
    oauth2: { client_id: prometheus, client_secret_file: secrets/password, token_url: "http://${addr['idp']}/token" }
    static_configs: [ { targets: ${t('bearer')} } ]
  - { job_name: login, authorization: { credentials_file: secrets/good-token }, static_configs: [ { targets: ${t('sso')} } ] }
  - { job_name: refused, static_configs: [ { targets: ${t('closed')} } ] }
  - { job_name: slow, probe: { timeout: 1s }, static_configs: [ { targets: ${t('tarpit')} } ] }
  - { job_name: dns, static_configs: [ { targets: ["nowhere.invalid:9100"] } ] }
  - { job_name: reset, static_configs: [ { targets: ${t('reset')} } ] }
  - { job_name: not-found, static_configs: [ { targets: ${t('notfound')} } ] }
  - { job_name: json, static_configs: [ { targets: ${t('json')} } ] }
  - { job_name: tls-version, scheme: https, tls_config: { ca_file: ${pki.file('test-ca.crt')}, min_version: TLS13 }, static_configs: [ { targets: ${t('tls12')} } ] }
`;
  writeFileSync(path.join(dir, 'scrape-auth.yml'), config);
  const lookup = async (host: string) => {
    if (host === 'nowhere.invalid') throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND', syscall: 'getaddrinfo', hostname: host });
    return { address: '127.0.0.1', family: 4 };
  };
  exitCode = await runDiagnose(
    { configFile: path.join(dir, 'scrape-auth.yml'), jobs: [], output: 'json', logLevel: 'debug', logFormat: 'logfmt' },
    { stdout: { write: (s: string) => (stdout += s) }, stderr: { write: (s: string) => (stderr += s) }, env: {}, lookup },
  );
  rows = JSON.parse(stdout) as DiagnoseRow[];
  if (process.env.DIAG_DEBUG) console.log(rows.map((r) => `${r.scrape_job}: ${r.result} ${r.cause} ${r.error}`).join("\n"));
}, 60_000);

afterAll(async () => {
  await Promise.all(servers.map((s) => s.close()));
  rmSync(dir, { recursive: true, force: true });
  rmSync(pki.dir, { recursive: true, force: true });
});

describe('every cause of the SPEC table from a real scenario', () => {
  it('ok: the bearer target answers 200 to the good token', async () => {
    expect(await statusOf(`http://${addr['bearer']}/metrics`, { Authorization: `Bearer ${jwt['good']}` })).toBe(200);
    expect(row('ok')).toMatchObject({ result: 'ok', cause: 'ok', status_code: 200, error: null });
  });

  it('credential_file_missing: the file is not there', () => {
    expect(() => statSync(path.join(dir, 'secrets/no-such-token'))).toThrow();
    expect(row('file-missing')).toMatchObject({ result: 'credentials_error', cause: 'credential_file_missing' });
    expect(row('file-missing').fix).toContain(path.join(dir, 'secrets/no-such-token'));
  });

  it('credential_file_unreadable: a FIFO is never read as a credential', () => {
    expect(statSync(path.join(dir, 'secrets/fifo-token')).isFIFO()).toBe(true);
    expect(row('file-unreadable')).toMatchObject({ result: 'credentials_error', cause: 'credential_file_unreadable' });
    expect(row('file-unreadable').summary).toContain('FIFO');
  });

  it('client_cert_key_mismatch: the certificate and the key are not a pair', () => {
    expect(new X509Certificate(readFileSync(pki.file('client.crt'))).checkPrivateKey(createPrivateKey(readFileSync(pki.file('stranger.key'))))).toBe(false);
    expect(row('cert-key-mismatch')).toMatchObject({ cause: 'client_cert_key_mismatch' });
    expect(row('cert-key-mismatch').summary).toContain(pki.file('stranger.key'));
  });

  it('client_cert_expired: the client certificate is past notAfter', () => {
    expect(Date.parse(new X509Certificate(readFileSync(pki.file('old-client.crt'))).validTo)).toBeLessThan(Date.now());
    // A Node mTLS server drops the connection without an alert (EOF): the expired certificate is the cause anyway.
    expect(row('client-cert-expired')).toMatchObject({ cause: 'client_cert_expired' });
    expect(row('client-cert-expired').summary).toMatch(/expired \d+[dhms]/);
  });

  it('credential_file_empty: an empty token file sends "Bearer " and gets 401', async () => {
    expect(await statusOf(`http://${addr['bearer']}/metrics`, { Authorization: 'Bearer ' })).toBe(401);
    expect(row('file-empty')).toMatchObject({ result: 'unauthorized', cause: 'credential_file_empty', status_code: 401 });
  });

  it('token_expired: the JWT expired 3h12m ago and the target answers 401 to it', async () => {
    expect(await statusOf(`http://${addr['bearer']}/metrics`, { Authorization: `Bearer ${jwt['expired']}` })).toBe(401);
    expect(row('token-expired')).toMatchObject({ result: 'unauthorized', cause: 'token_expired' });
    expect(row('token-expired').summary).toMatch(/expired 3h1[12]m ago, at \d{4}-\d\d-\d\dT/);
    expect(row('token-expired').fix).toContain(path.join(dir, 'secrets/expired-token'));
  });

  it('token_not_yet_valid: the JWT has an nbf an hour ahead and the target answers 401', async () => {
    expect(await statusOf(`http://${addr['bearer']}/metrics`, { Authorization: `Bearer ${jwt['early']}` })).toBe(401);
    expect(row('token-early')).toMatchObject({ result: 'unauthorized', cause: 'token_not_yet_valid' });
  });

  it('no_credentials_configured: the target answers 401 to a bare request', async () => {
    expect(await statusOf(`http://${addr['bearer']}/metrics`)).toBe(401);
    expect(row('no-credentials')).toMatchObject({ result: 'unauthorized', cause: 'no_credentials_configured' });
  });

  it('credentials_rejected: the target answers 401 to the basic auth password', async () => {
    expect(await statusOf(`http://${addr['bearer']}/metrics`, { Authorization: `Basic ${Buffer.from(`prometheus:${CANARY_PASSWORD}`).toString('base64')}` })).toBe(401);
    expect(row('rejected')).toMatchObject({ result: 'unauthorized', cause: 'credentials_rejected' });
    expect(row('rejected').fix).toContain(path.join(dir, 'secrets/password'));
  });

  it('permission_denied: a kubelet-style 403 names the permission, the kubectl command and the rule', async () => {
    expect(await statusOf(`http://${addr['bearer']}/metrics`, { Authorization: `Bearer ${CANARY_TOKEN}-forbidden` })).toBe(403);
    const r = row('forbidden');
    expect(r).toMatchObject({ result: 'forbidden', cause: 'permission_denied' });
    expect(r.fix).toContain('kubectl auth can-i get nodes/metrics --as=system:serviceaccount:monitoring:prometheus');
    expect(r.fix).toContain('{apiGroups: [""], resources: ["nodes/metrics"], verbs: ["get"]}');
  });

  it('client_cert_required: the mTLS server refuses a handshake without a client certificate', async () => {
    expect(await statusOf(`https://${addr['mtls']}/metrics`, {}, { ca: pki.caCert })).not.toBe(200);
    expect(await statusOf(`https://${addr['mtls']}/metrics`, {}, { ca: pki.caCert, cert: pki.clientCert, key: pki.clientKey })).toBe(200);
    expect(row('cert-required')).toMatchObject({ result: 'tls_error', cause: 'client_cert_required' });
  });

  it('client_cert_rejected: an OpenSSL mTLS server refuses a certificate of another CA with an alert', async () => {
    expect(new X509Certificate(readFileSync(pki.file('stranger.crt'))).issuer).toContain('other-ca');
    expect(await statusOf(`https://${addr['mtls-openssl']}/`, {}, { ca: pki.caCert, cert: pki.clientCert, key: pki.clientKey })).toBe(200);
    expect(row('cert-rejected')).toMatchObject({ result: 'tls_error', cause: 'client_cert_rejected' });
  });

  it('client_cert_rejected: a Node.js mTLS server drops the connection on a certificate of another CA (no alert)', () => {
    expect(row('cert-rejected-node')).toMatchObject({ result: 'network_error', cause: 'client_cert_rejected' });
    expect(row('cert-rejected-node').summary).toContain(pki.file('stranger.crt'));
  });

  it('server_cert_untrusted: the target presents a certificate of another CA', () => {
    expect(row('untrusted')).toMatchObject({ result: 'tls_error', cause: 'server_cert_untrusted' });
    expect(row('untrusted').fix).toContain(pki.file('test-ca.crt'));
  });

  it('server_cert_expired: the target presents an expired certificate', () => {
    expect(Date.parse(new X509Certificate(pki.expiredCert).validTo)).toBeLessThan(Date.now());
    expect(row('server-expired')).toMatchObject({ result: 'tls_error', cause: 'server_cert_expired' });
    expect(row('server-expired').summary).toMatch(/expired \d/);
  });

  it('server_name_mismatch: the certificate names elsewhere.example, not localhost', () => {
    expect(new X509Certificate(pki.wrongNameCert).subjectAltName).toBe('DNS:elsewhere.example');
    expect(row('name-mismatch')).toMatchObject({ result: 'tls_error', cause: 'server_name_mismatch' });
    expect(row('name-mismatch').fix).toContain('elsewhere.example');
  });

  it('wrong_scheme: https to a plain HTTP port ("use http")', async () => {
    expect(await statusOf(`http://${addr['plain']}/metrics`)).toBe(200);
    expect(row('https-to-http')).toMatchObject({ result: 'tls_error', cause: 'wrong_scheme' });
    expect(row('https-to-http').fix).toContain('use http');
  });

  it('wrong_scheme: http to a TLS port ("use https"), found by asking the port for a handshake', async () => {
    expect(typeof (await statusOf(`http://${addr['tls']}/metrics`))).toBe('string');
    expect(row('http-to-https')).toMatchObject({ cause: 'wrong_scheme' });
    expect(row('http-to-https').fix).toContain('use https');
  });

  it('proxy_auth_required: the proxy answers 407 to CONNECT (and quotes the credentials it got)', () => {
    expect(row('proxy-407')).toMatchObject({ cause: 'proxy_auth_required' });
    expect(row('proxy-407').summary).toContain(addr['proxy']);
  });

  it('oauth2_token_error: the token endpoint refuses the client, the scrape is never sent', async () => {
    expect(await statusOf(`http://${addr['idp']}/token`)).toBe(401);
    const before = rows.length;
    expect(before).toBeGreaterThan(0);
    expect(row('oauth2-refused')).toMatchObject({ cause: 'oauth2_token_error' });
    expect(row('oauth2-refused').summary).toContain(`http://${addr['idp']}/token`);
    expect(row('oauth2-refused').error).toContain('oauth2: cannot fetch token');
  });

  it('login_page: /metrics redirects to an SSO sign-in form', async () => {
    expect(await statusOf(`http://${addr['sso']}/metrics`)).toBe(302);
    expect(row('login')).toMatchObject({ result: 'invalid_response', cause: 'login_page' });
    expect(row('login').summary).toContain(`http://${addr['sso']}/oauth2/sign_in`);
    expect(row('login').summary).not.toContain('rd=');
  });

  it('login_page: any HTML instead of metrics, worded as a page when it is no sign-in form', async () => {
    expect(await statusOf(`http://${addr['html']}/metrics`)).toBe(200);
    expect(row('plain-html')).toMatchObject({ result: 'invalid_response', cause: 'login_page' });
    expect(row('plain-html').summary).toContain('HTML page');
  });

  it.each([
    ['refused', 'connection_refused', 'connection_refused'],
    ['slow', 'timeout', 'timeout'],
    ['dns', 'dns_error', 'dns_error'],
    ['reset', 'network_error', 'network_error'],
    ['not-found', 'http_error', 'http_error'],
    ['json', 'invalid_response', 'invalid_response'],
    ['tls-version', 'tls_error', 'tls_error'],
  ])('%s: the result is the cause when nothing more is known (%s)', (job, result, cause) => {
    expect(row(job)).toMatchObject({ result, cause });
  });
});

describe('--diagnose as a CI step', () => {
  it('probes every target once and exits 1 because some are not ok', () => {
    expect(rows).toHaveLength(30);
    expect(new Set(rows.map((r) => r.cause)).size).toBe(27);
    expect(exitCode).toBe(1);
  });

  it('prints SPEC\'s JSON fields for every row', () => {
    for (const r of rows) expect(Object.keys(r)).toEqual(['scrape_job', 'scrape_instance', 'url', 'result', 'status_code', 'cause', 'summary', 'fix', 'error']);
  });

  it('never prints a secret: not the tokens, the password or the proxy password, in any form', () => {
    const everything = `${stdout}\n${stderr}`;
    for (const secret of [CANARY_TOKEN, CANARY_PASSWORD, CANARY_PROXY, jwt['good']!, jwt['expired']!, Buffer.from(`prometheus:${CANARY_PASSWORD}`).toString('base64')]) {
      expect(everything).not.toContain(secret);
    }
    for (const r of rows) expect(`${r.summary} ${r.fix}`).not.toMatch(/canary-/);
  });
});
