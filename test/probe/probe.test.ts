// The probe against real servers on 127.0.0.1: every result, every auth form, TLS, redirects, proxies, bad targets.
import { mkdirSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import type http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import tls from 'node:tls';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { probe, type ProbeDeps, type ProbeTarget } from '../../src/probe/probe.js';
import { TargetConnections } from '../../src/probe/keep-alive.js';
import { SecureContextCache } from '../../src/probe/tls-context.js';
import { job, makePki, METRICS_BODY, startServer, startTcp, tmpDir, type Pki, type TestServer } from './helpers.js';

const CANARY = 'canary-s3cr3t-7f9d';
const TOKEN = 'good-token';
const FORBIDDEN_BODY = 'Forbidden (user=system:serviceaccount:monitoring:prometheus, verb=get, resource=nodes, subresource=metrics)';

let pki: Pki;
let app: TestServer;
let other: TestServer;
let tlsServer: TestServer;
let mtls: TestServer;
let expired: TestServer;
let otherCa: TestServer;
let wrongName: TestServer;
let dir: string;
const closers: (() => Promise<void>)[] = [];

// probe-kept.test.ts runs this whole file again on kept-alive connections (as scheduled probes run): same verdicts.
const kept = (globalThis as { keptConnections?: TargetConnections }).keptConnections;
const deps = (extra: Partial<ProbeDeps> = {}): ProbeDeps => ({ timeoutMs: 3000, tlsContexts: new SecureContextCache(), ...(kept ? { connections: kept } : {}), ...extra });
const target = (url: string): ProbeTarget => ({ job: 'test', instance: new URL(url).host, url, labels: {} });

function appHandler(req: http.IncomingMessage, res: http.ServerResponse): void {
  const url = new URL(req.url ?? '/', 'http://x');
  const auth = req.headers.authorization;
  const send = (status: number, body = '', type = 'text/plain; version=0.0.4') => {
    res.writeHead(status, { 'content-type': type });
    res.end(body);
  };
  switch (url.pathname) {
    case '/metrics':
      if (auth === `Bearer ${TOKEN}` || auth === `Bearer ${CANARY}`) return send(200, METRICS_BODY);
      if (auth === 'Bearer forbidden-token') return send(403, `${FORBIDDEN_BODY}\n`);
      return send(401, 'Unauthorized\n');
    case '/basic':
      return auth === `Basic ${Buffer.from('prometheus:pa55').toString('base64')}` ? send(200, METRICS_BODY) : send(401);
    case '/custom':
      return auth === `Token ${TOKEN}` ? send(200, METRICS_BODY) : send(401);
    case '/headers':
      return req.headers['x-scope'] === 'a' && req.headers['x-key'] === TOKEN ? send(200, METRICS_BODY) : send(403);
    case '/params':
      return url.searchParams.getAll('module').join(',') === 'a,b' ? send(200, METRICS_BODY) : send(400);
    case '/open':
      return send(200, METRICS_BODY);
    case '/html':
      return send(200, '<!DOCTYPE html><html><body><form>Login</form></body></html>', 'text/html');
    case '/html-plain':
      return send(200, '<!DOCTYPE html>\n<html><body>Sign in</body></html>\n');
    case '/json':
      return send(200, '{"status":"ok"}');
    case '/empty':
      return send(204);
    case '/error':
      return send(500, 'boom');
    case '/gzip':
      res.writeHead(200, { 'content-type': 'text/plain', 'content-encoding': 'gzip' });
      return void res.end(gzipSync(METRICS_BODY));
    case '/redirect-same':
      res.writeHead(302, { location: '/metrics' });
      return void res.end();
    case '/redirect-other':
      res.writeHead(302, { location: `${other.origin}/metrics` });
      return void res.end();
    case '/loop':
      res.writeHead(302, { location: '/loop' });
      return void res.end();
    case '/endless': {
      res.writeHead(200, { 'content-type': 'text/plain' });
      const line = 'endless_metric{label="xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"} 1\n'.repeat(200);
      const pump = () => {
        while (res.write(line)) {
          /* keep the pipe full */
        }
      };
      res.on('drain', pump);
      res.on('error', () => undefined);
      return pump();
    }
    default:
      return send(404);
  }
}

beforeAll(async () => {
  pki = makePki();
  dir = tmpDir();
  app = await startServer(appHandler);
  other = await startServer((_req, res) => res.writeHead(200, { 'content-type': 'text/plain' }).end(METRICS_BODY));
  const metricsOnly = (_req: http.IncomingMessage, res: http.ServerResponse) => res.writeHead(200, { 'content-type': 'text/plain' }).end(METRICS_BODY);
  tlsServer = await startServer(appHandler, { cert: pki.serverCert, key: pki.serverKey });
  mtls = await startServer(metricsOnly, { cert: pki.serverCert, key: pki.serverKey, ca: pki.caCert, requestCert: true, rejectUnauthorized: true });
  expired = await startServer(metricsOnly, { cert: pki.expiredCert, key: readKey('expired') });
  otherCa = await startServer(metricsOnly, { cert: pki.otherCaServerCert, key: readKey('other') });
  wrongName = await startServer(metricsOnly, { cert: pki.wrongNameCert, key: readKey('wrongname') });
  closers.push(app.close, other.close, tlsServer.close, mtls.close, expired.close, otherCa.close, wrongName.close);
});

afterAll(async () => {
  await Promise.all(closers.map((c) => c()));
});

function readKey(name: string): string {
  return readFileSync(pki.file(`${name}.key`), 'utf8');
}

function writeFile(name: string, content: string): string {
  const file = path.join(dir, name);
  writeFileSync(file, content);
  return file;
}

describe('results', () => {
  it('reports "ok" for a 200 with a metrics exposition, sending Prometheus\'s headers', async () => {
    const r = await probe(target(`${app.origin}/metrics`), job({ authorization: { credentials: TOKEN } }), deps());
    expect(r).toMatchObject({ result: 'ok', statusCode: 200, error: undefined });
    const seen = app.requests.at(-1)!;
    expect(seen.headers.accept).toContain('application/openmetrics-text;version=1.0.0');
    expect(seen.headers['user-agent']).toBe('Prometheus/scrape-auth-exporter');
    expect(seen.headers['x-prometheus-scrape-timeout-seconds']).toBe('3');
    expect(r.durationSeconds).toBeGreaterThan(0);
  });

  it('classifies a 401 as "unauthorized" with Prometheus\'s error text', async () => {
    const r = await probe(target(`${app.origin}/metrics`), job({ authorization: { credentials: 'wrong' } }), deps());
    expect(r).toMatchObject({ result: 'unauthorized', statusCode: 401, error: 'server returned HTTP status 401 Unauthorized' });
  });

  it('classifies a 403 from a known token as "forbidden" and reads the missing permission from the body', async () => {
    const r = await probe(target(`${app.origin}/metrics`), job({ authorization: { credentials: 'forbidden-token' } }), deps());
    expect(r).toMatchObject({ result: 'forbidden', statusCode: 403, error: 'server returned HTTP status 403 Forbidden' });
    expect(r.forbidden).toEqual({ user: 'system:serviceaccount:monitoring:prometheus', verb: 'get', resource: 'nodes', subresource: 'metrics' });
  });

  it.each([
    ['/empty', 204, 'server returned HTTP status 204 No Content'],
    ['/error', 500, 'server returned HTTP status 500 Internal Server Error'],
    ['/nowhere', 404, 'server returned HTTP status 404 Not Found'],
  ])('classifies %s (status %i) as "http_error": only 200 succeeds', async (p, code, message) => {
    const r = await probe(target(`${app.origin}${p}`), job({}), deps());
    expect(r).toMatchObject({ result: 'http_error', statusCode: code, error: message });
  });

  it.each(['/html', '/html-plain', '/json'])('classifies a 200 that is not an exposition (%s) as "invalid_response"', async (p) => {
    const r = await probe(target(`${app.origin}${p}`), job({}), deps());
    expect(r.result).toBe('invalid_response');
    expect(r.statusCode).toBe(200);
  });

  it('decompresses a gzip body before judging it', async () => {
    const r = await probe(target(`${app.origin}/gzip`), job({}), deps());
    expect(r.result).toBe('ok');
    expect(app.requests.at(-1)!.headers['accept-encoding']).toBe('gzip');
  });

  it('sends params and metrics_path as configured', async () => {
    const r = await probe(target(`${app.origin}/params?module=a&module=b`), job({}), deps());
    expect(r.result).toBe('ok');
  });

  it('classifies a closed port as "connection_refused" with Go\'s dial error', async () => {
    const closed = await startTcp(() => undefined);
    await closed.close();
    const url = `http://127.0.0.1:${closed.port}/metrics`;
    const r = await probe(target(url), job({}), deps());
    expect(r).toMatchObject({ result: 'connection_refused', statusCode: 0, error: `Get "${url}": dial tcp 127.0.0.1:${closed.port}: connect: connection refused` });
  });

  it('classifies a tarpit as "timeout" after the probe timeout', async () => {
    const tarpit = await startTcp(() => undefined);
    try {
      const url = `http://127.0.0.1:${tarpit.port}/metrics`;
      const started = Date.now();
      const r = await probe(target(url), job({}), deps({ timeoutMs: 1000 }));
      expect(r).toMatchObject({ result: 'timeout', statusCode: 0, error: `Get "${url}": context deadline exceeded` });
      expect(Date.now() - started).toBeLessThan(2500);
    } finally {
      await tarpit.close();
    }
  });

  it('classifies a DNS failure as "dns_error" with the lookup injected, so no query leaves the machine', async () => {
    const lookup = (hostname: string) => Promise.reject(Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND', syscall: 'getaddrinfo', hostname }));
    const url = 'http://no-such-host.invalid:9100/metrics';
    const r = await probe(target(url), job({}), deps({ lookup }));
    expect(r).toMatchObject({ result: 'dns_error', error: `Get "${url}": dial tcp: lookup no-such-host.invalid: no such host` });
  });

  it('resolves names through the injected lookup', async () => {
    const lookup = () => Promise.resolve({ address: '127.0.0.1', family: 4 });
    const r = await probe(target(`http://app.test:${app.port}/open`), job({}), deps({ lookup }));
    expect(r.result).toBe('ok');
    expect(app.requests.at(-1)!.headers.host).toBe(`app.test:${app.port}`);
  });

  it('classifies a reset in the middle of the headers as "network_error"', async () => {
    const resetter = await startTcp((socket) => {
      socket.once('data', () => {
        socket.write('HTTP/1.1 200 OK\r\nContent-Type: text/pl');
        setImmediate(() => socket.resetAndDestroy());
      });
    });
    try {
      const r = await probe(target(`http://127.0.0.1:${resetter.port}/metrics`), job({}), deps());
      expect(r.result).toBe('network_error');
      expect(r.error).toMatch(/^Get "http:\/\/127\.0\.0\.1:\d+\/metrics": /);
    } finally {
      await resetter.close();
    }
  });

  it('reports a connection closed before any answer as Go\'s "EOF"', async () => {
    const closer = await startTcp((socket) => {
      socket.once('data', () => socket.end());
    });
    try {
      const r = await probe(target(`http://127.0.0.1:${closer.port}/metrics`), job({}), deps());
      expect(r.result).toBe('network_error');
      expect(r.error).toBe(`Get "http://127.0.0.1:${closer.port}/metrics": EOF`);
    } finally {
      await closer.close();
    }
  });

  it('keeps a TLS handshake the server cuts short out of the HTTP-level "EOF"', async () => {
    const closer = await startTcp((socket) => {
      socket.once('data', () => socket.end());
    });
    try {
      const r = await probe(target(`https://127.0.0.1:${closer.port}/metrics`), job({ tls_config: { ca: pki.caCert } }), deps());
      expect(r.result).toBe('network_error');
      expect(r.error).toMatch(/: read tcp 127\.0\.0\.1:\d+->127\.0\.0\.1:\d+: read: connection reset by peer$/);
    } finally {
      await closer.close();
    }
  });

  it('reports a reset before any answer as "connection reset by peer", not EOF', async () => {
    const resetter = await startTcp((socket) => {
      socket.once('data', () => socket.resetAndDestroy());
    });
    try {
      const r = await probe(target(`http://127.0.0.1:${resetter.port}/metrics`), job({}), deps());
      expect(r.result).toBe('network_error');
      expect(r.error).toMatch(/: read tcp 127\.0\.0\.1:\d+->127\.0\.0\.1:\d+: read: connection reset by peer$/);
    } finally {
      await resetter.close();
    }
  });

  it('reports response headers over 64 KiB as Go\'s size limit, not as a malformed response', async () => {
    const huge = await startTcp((socket) => {
      socket.once('data', () => {
        socket.write(`HTTP/1.1 200 OK\r\nX-Big: ${'a'.repeat(70 * 1024)}\r\n\r\n`);
      });
      socket.on('error', () => undefined);
    });
    try {
      const r = await probe(target(`http://127.0.0.1:${huge.port}/metrics`), job({}), deps());
      expect(r.result).toBe('network_error');
      expect(r.error).toBe(`Get "http://127.0.0.1:${huge.port}/metrics": net/http: server response headers exceeded the size limit; aborted`);
    } finally {
      await huge.close();
    }
  });

  it('reports a body cut short by the server closing as "EOF"', async () => {
    const cut = await startTcp((socket) => {
      socket.once('data', () => socket.end('HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 1000\r\n\r\nup 1\n'));
    });
    try {
      const r = await probe(target(`http://127.0.0.1:${cut.port}/metrics`), job({}), deps());
      expect(r.result).toBe('network_error');
      expect(r.error).toBe(`Get "http://127.0.0.1:${cut.port}/metrics": EOF`);
    } finally {
      await cut.close();
    }
  });

  it('reads at most 64 KiB of an endless body and drops the connection', async () => {
    const before = process.memoryUsage().arrayBuffers;
    for (let i = 0; i < 5; i++) {
      const r = await probe(target(`${app.origin}/endless`), job({}), deps());
      expect(r.result).toBe('ok');
      expect(r.bodyBytesRead).toBeLessThanOrEqual(64 * 1024);
      expect(r.bodyBytesRead).toBeGreaterThan(32 * 1024);
    }
    const growth = process.memoryUsage().arrayBuffers - before;
    expect(growth).toBeLessThan(32 * 1024 * 1024);
  });

  it('classifies a missing credential file as "credentials_error" and sends nothing', async () => {
    const count = app.requests.length;
    const missing = path.join(dir, 'no-such-token');
    const r = await probe(target(`${app.origin}/metrics`), job({ authorization: { credentials_file: missing } }), deps());
    expect(r.result).toBe('credentials_error');
    expect(r.error).toContain(`unable to read authorization credentials: unable to read file ${missing}: open ${missing}: no such file or directory`);
    expect(app.requests.length).toBe(count);
  });

  it('classifies a credential path that is a directory as "credentials_error"', async () => {
    const r = await probe(target(`${app.origin}/metrics`), job({ bearer_token_file: dir }), deps());
    expect(r.result).toBe('credentials_error');
    expect(r.error).toContain('is a directory');
  });
});

describe('authentication forms', () => {
  const cases: [string, string, Record<string, unknown>, string][] = [
    ['basic_auth inline', '/basic', { basic_auth: { username: 'prometheus', password: 'pa55' } }, 'ok'],
    ['basic_auth wrong password', '/basic', { basic_auth: { username: 'prometheus', password: 'nope' } }, 'unauthorized'],
    ['authorization credentials', '/metrics', { authorization: { credentials: TOKEN } }, 'ok'],
    ['authorization with a custom type', '/custom', { authorization: { type: 'Token', credentials: TOKEN } }, 'ok'],
    ['authorization with the wrong type', '/custom', { authorization: { type: 'Bearer', credentials: TOKEN } }, 'unauthorized'],
    ['bearer_token', '/metrics', { bearer_token: TOKEN }, 'ok'],
    ['bearer_token wrong', '/metrics', { bearer_token: 'nope' }, 'unauthorized'],
    ['no authentication', '/metrics', {}, 'unauthorized'],
    ['http_headers values and secrets', '/headers', { http_headers: { 'X-Scope': { values: ['a'] }, 'X-Key': { secrets: [TOKEN] } } }, 'ok'],
    ['http_headers wrong secret', '/headers', { http_headers: { 'X-Scope': { values: ['a'] }, 'X-Key': { secrets: ['nope'] } } }, 'forbidden'],
  ];
  it.each(cases)('%s', async (_name, p, fields, result) => {
    const r = await probe(target(`${app.origin}${p}`), job(fields), deps());
    expect(r.result).toBe(result);
  });

  it('reads username_file, password_file, credentials_file, bearer_token_file and header files, trimmed', async () => {
    const user = writeFile('user', 'prometheus\n');
    const pass = writeFile('pass', '  pa55\n');
    const token = writeFile('token', `${TOKEN}\n`);
    expect((await probe(target(`${app.origin}/basic`), job({ basic_auth: { username_file: user, password_file: pass } }), deps())).result).toBe('ok');
    expect((await probe(target(`${app.origin}/metrics`), job({ authorization: { credentials_file: token } }), deps())).result).toBe('ok');
    expect((await probe(target(`${app.origin}/metrics`), job({ bearer_token_file: token }), deps())).result).toBe('ok');
    const headers = job({ http_headers: { 'X-Scope': { values: ['a'] }, 'X-Key': { files: [token] } } });
    expect((await probe(target(`${app.origin}/headers`), headers, deps())).result).toBe('ok');
  });

  it('sends "Bearer " for an empty token file, as Prometheus does, and gets a 401', async () => {
    const empty = writeFile('empty', '\n');
    const r = await probe(target(`${app.origin}/metrics`), job({ bearer_token_file: empty }), deps());
    expect(r.result).toBe('unauthorized');
    expect(app.requests.at(-1)!.headers.authorization).toBe('Bearer');
  });

  it('re-reads a rotated token file (Kubernetes ..data symlink swap) between two probes', async () => {
    const volume = path.join(dir, 'volume');
    mkdirSync(volume);
    const generation = (name: string, token: string) => {
      mkdirSync(path.join(volume, name));
      writeFileSync(path.join(volume, name, 'token'), token);
      symlinkSync(name, path.join(volume, '..data_tmp'));
      renameSync(path.join(volume, '..data_tmp'), path.join(volume, '..data'));
    };
    generation('..2024_01', TOKEN);
    symlinkSync('..data/token', path.join(volume, 'token'));
    const j = job({ authorization: { credentials_file: path.join(volume, 'token') } });
    expect((await probe(target(`${app.origin}/metrics`), j, deps())).result).toBe('ok');
    generation('..2024_02', 'rotated-but-unknown');
    rmSync(path.join(volume, '..2024_01'), { recursive: true });
    expect((await probe(target(`${app.origin}/metrics`), j, deps())).result).toBe('unauthorized');
  });

  it('never puts a secret in the result, whatever the credential form', async () => {
    const secretFile = writeFile('canary', CANARY);
    const forms: Record<string, unknown>[] = [
      { basic_auth: { username: 'prometheus', password: CANARY } },
      { basic_auth: { username: 'prometheus', password_file: secretFile } },
      { authorization: { credentials: CANARY } },
      { authorization: { credentials_file: secretFile } },
      { bearer_token: CANARY },
      { http_headers: { 'X-Key': { secrets: [CANARY] } } },
      { http_headers: { 'X-Key': { files: [secretFile] } } },
      { proxy_url: `http://user:${CANARY}@127.0.0.1:1` },
    ];
    for (const fields of forms) {
      for (const p of ['/metrics', '/basic', '/nowhere']) {
        const r = await probe(target(`${app.origin}${p}`), job(fields), deps({ trace: true }));
        expect(JSON.stringify(r)).not.toContain(CANARY);
        expect(JSON.stringify(r)).not.toContain(Buffer.from(`prometheus:${CANARY}`).toString('base64'));
      }
    }
  });
});

describe('TLS', () => {
  const ca = () => ({ ca: pki.caCert });

  it('verifies the server against the configured CA and reports the chain\'s earliest notAfter', async () => {
    const r = await probe(target(`${tlsServer.origin}/open`), job({ scheme: 'https', tls_config: ca() }), deps());
    expect(r.result).toBe('ok');
    expect(r.tlsCertExpiryMs).toBeGreaterThan(Date.now() + 9 * 86400_000);
    expect(r.tlsCertExpiryMs).toBeLessThan(Date.now() + 11 * 86400_000);
  });

  it('sees a rotated server certificate at the very next probe (the parsed chain is kept per leaf)', async () => {
    const key = (name: string) => readFileSync(pki.file(`${name}.key`), 'utf8');
    const server = https.createServer({ cert: pki.serverCert, key: pki.serverKey }, (_req, res) => res.writeHead(200, { 'content-type': 'text/plain' }).end(METRICS_BODY));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `https://127.0.0.1:${(server.address() as net.AddressInfo).port}/metrics`;
    // On a kept connection the server's new certificate shows at the next handshake: a clock that passes
    // max_connection_age between probes makes every probe that handshake.
    let t = 0;
    const deps = (): ProbeDeps => ({ timeoutMs: 3000, tlsContexts: new SecureContextCache(), ...(kept ? { connections: new TargetConnections(() => (t += 600_000)) } : {}) });
    try {
      const first = await probe(target(url), job({ tls_config: ca() }), deps());
      expect(first.result).toBe('ok');
      expect(first.tlsCertExpiryMs).toBeGreaterThan(Date.now());
      server.setSecureContext({ cert: pki.expiredCert, key: key('expired') });
      const second = await probe(target(url), job({ tls_config: ca() }), deps());
      expect(second.result).toBe('tls_error');
      expect(second.tlsCertExpiryMs).toBeLessThan(Date.now());
      server.setSecureContext({ cert: pki.wrongNameCert, key: key('wrongname') });
      const third = await probe(target(url), job({ tls_config: { ...ca(), server_name: 'app.example' } }), deps());
      expect(third.error).toMatch(/x509: certificate is valid for elsewhere\.example, not app\.example$/);
      server.setSecureContext({ cert: pki.serverCert, key: pki.serverKey });
      const fourth = await probe(target(url), job({ tls_config: ca() }), deps());
      expect(fourth.result).toBe('ok');
      expect(fourth.tlsCertExpiryMs).toBe(first.tlsCertExpiryMs);
    } finally {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  it('parses the detailed chain at most once for a leaf seen probe after probe (Node\'s own check included)', async () => {
    const proto = tls.TLSSocket.prototype;
    const original = proto.getPeerCertificate;
    let detailed = 0;
    proto.getPeerCertificate = function (this: tls.TLSSocket, full?: boolean) {
      if (full) detailed++;
      return original.call(this, full as false);
    } as typeof original;
    try {
      for (let i = 0; i < 5; i++) {
        const r = await probe(target(`${tlsServer.origin}/open`), job({ scheme: 'https', tls_config: ca() }), deps());
        expect(r.result).toBe('ok');
        expect(r.tlsCertExpiryMs).toBeGreaterThan(Date.now());
      }
    } finally {
      proto.getPeerCertificate = original;
    }
    expect(detailed).toBeLessThanOrEqual(1);
  });

  it('reads the CA from ca_file', async () => {
    const r = await probe(target(`${tlsServer.origin}/open`), job({ tls_config: { ca_file: pki.file('test-ca.crt') } }), deps());
    expect(r.result).toBe('ok');
  });

  it('reports an unknown authority as "tls_error" in Go\'s words, with the expiry still captured', async () => {
    const url = `${otherCa.origin}/metrics`;
    const r = await probe(target(url), job({ tls_config: ca() }), deps());
    expect(r).toMatchObject({ result: 'tls_error', statusCode: 0 });
    expect(r.error).toBe(`Get "${url}": tls: failed to verify certificate: x509: certificate signed by unknown authority`);
    expect(r.tlsCertExpiryMs).toBeGreaterThan(Date.now());
  });

  it('reports an expired certificate as "tls_error" and its notAfter in the past', async () => {
    const r = await probe(target(`${expired.origin}/metrics`), job({ tls_config: ca() }), deps());
    expect(r.result).toBe('tls_error');
    expect(r.error).toContain('x509: certificate has expired or is not yet valid');
    expect(r.tlsCertExpiryMs).toBeLessThan(Date.now());
  });

  it('reports a name mismatch the way Go does', async () => {
    const r = await probe(target(`${wrongName.origin}/metrics`), job({ tls_config: ca() }), deps());
    expect(r.result).toBe('tls_error');
    expect(r.error).toContain("x509: cannot validate certificate for 127.0.0.1 because it doesn't contain any IP SANs");
    const named = await probe(target(`${wrongName.origin}/metrics`), job({ tls_config: { ...ca(), server_name: 'other.example' } }), deps());
    expect(named.error).toContain('x509: certificate is valid for elsewhere.example, not other.example');
  });

  it('accepts the certificate for server_name', async () => {
    const r = await probe(target(`${wrongName.origin}/metrics`), job({ tls_config: { ...ca(), server_name: 'elsewhere.example' } }), deps());
    expect(r.result).toBe('ok');
  });

  it('skips verification with insecure_skip_verify but still reports the expiry', async () => {
    const r = await probe(target(`${expired.origin}/metrics`), job({ tls_config: { insecure_skip_verify: true } }), deps());
    expect(r.result).toBe('ok');
    expect(r.tlsCertExpiryMs).toBeLessThan(Date.now());
  });

  it('presents the client certificate to an mTLS target (files and inline)', async () => {
    const files = job({ tls_config: { ca_file: pki.file('test-ca.crt'), cert_file: pki.file('client.crt'), key_file: pki.file('client.key') } });
    expect((await probe(target(`${mtls.origin}/metrics`), files, deps())).result).toBe('ok');
    expect(mtls.requests.at(-1)!.clientCert).toBe(true);
    const inline = job({ tls_config: { ca: pki.caCert, cert: pki.clientCert, key: pki.clientKey } });
    expect((await probe(target(`${mtls.origin}/metrics`), inline, deps())).result).toBe('ok');
  });

  it('reports a missing client certificate as the TLS alert the server sends', async () => {
    const r = await probe(target(`${mtls.origin}/metrics`), job({ tls_config: ca() }), deps());
    expect(r.result).toBe('tls_error');
    expect(r.error).toMatch(/remote error: tls: (certificate required|handshake failure|bad certificate)/);
  });

  it('reports a missing key file as "credentials_error"', async () => {
    const j = job({ tls_config: { ca: pki.caCert, cert_file: pki.file('client.crt'), key_file: path.join(dir, 'gone.key') } });
    const r = await probe(target(`${mtls.origin}/metrics`), j, deps());
    expect(r.result).toBe('credentials_error');
    expect(r.error).toContain('unable to read client key');
  });

  it('honours max_version', async () => {
    const r = await probe(target(`${tlsServer.origin}/open`), job({ tls_config: { ...ca(), max_version: 'TLS12' } }), deps({ trace: true }));
    expect(r.result).toBe('ok');
    expect(r.hops[0]!.tls?.protocol).toBe('TLSv1.2');
  });

  it('reports plain HTTP on an https URL as Go does', async () => {
    const r = await probe(target(`https://127.0.0.1:${app.port}/metrics`), job({}), deps());
    expect(r.result).toBe('tls_error');
    expect(r.error).toContain('http: server gave HTTP response to HTTPS client');
  });

  it('builds one secure context per distinct material and does a full handshake every probe', async () => {
    const cache = new SecureContextCache();
    const sessions: unknown[] = [];
    for (let i = 0; i < 3; i++) {
      const r = await probe(target(`${tlsServer.origin}/open`), job({ tls_config: ca() }), deps({ tlsContexts: cache, trace: true }));
      expect(r.result).toBe('ok');
      sessions.push(r.hops[0]!.tls?.protocol);
    }
    expect(cache.size).toBe(1);
    // Each probe opened its own connection: three connections reached the server.
    expect(tlsServer.requests.filter((q) => q.url === '/open').length).toBeGreaterThanOrEqual(3);
  });
});

describe('redirects', () => {
  it('keeps the credentials on a redirect to the same host', async () => {
    const r = await probe(target(`${app.origin}/redirect-same`), job({ authorization: { credentials: TOKEN } }), deps());
    expect(r.result).toBe('ok');
  });

  it('does not send the Authorization header to another host', async () => {
    const r = await probe(target(`${app.origin}/redirect-other`), job({ authorization: { credentials: CANARY }, http_headers: { 'X-Key': { secrets: [CANARY] }, 'X-Scope': { values: ['a'] } } }), deps());
    expect(r.result).toBe('ok');
    const seen = other.requests.at(-1)!;
    expect(seen.headers.authorization).toBeUndefined();
    expect(seen.headers['x-key']).toBeUndefined();
    expect(seen.headers['x-scope']).toBe('a');
  });

  it('reports the redirect itself when follow_redirects is false', async () => {
    const r = await probe(target(`${app.origin}/redirect-same`), job({ follow_redirects: false }), deps());
    expect(r).toMatchObject({ result: 'http_error', statusCode: 302, error: 'server returned HTTP status 302 Found' });
  });

  it('stops after 10 redirects, as Go does', async () => {
    const r = await probe(target(`${app.origin}/loop`), job({}), deps());
    expect(r.result).toBe('http_error');
    expect(r.error).toContain('stopped after 10 redirects');
  });
});

describe('proxy_url', () => {
  let proxy: { port: number; close(): Promise<void> };
  const seen: string[] = [];

  beforeAll(async () => {
    // A small forward proxy: CONNECT tunnels, anything else answered by the proxy itself.
    proxy = await startTcp((client) => {
      let head = Buffer.alloc(0);
      const onData = (chunk: Buffer) => {
        head = Buffer.concat([head, chunk]);
        const end = head.indexOf('\r\n\r\n');
        if (end < 0) return;
        client.off('data', onData);
        const text = head.subarray(0, end).toString('latin1');
        seen.push(text);
        const [method, authority] = text.split(' ');
        if (method === 'CONNECT') {
          const [host, port] = authority!.split(':');
          const upstream = net.connect(Number(port), host, () => {
            client.write('HTTP/1.1 200 Connection established\r\n\r\n');
            const rest = head.subarray(end + 4);
            if (rest.length) upstream.write(rest);
            client.pipe(upstream).pipe(client);
          });
          upstream.on('error', () => client.destroy());
        } else {
          client.end(`HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: ${METRICS_BODY.length}\r\nConnection: close\r\n\r\n${METRICS_BODY}`);
        }
      };
      client.on('data', onData);
    });
    closers.push(proxy.close);
  });

  it('tunnels an https target through CONNECT and sends proxy credentials only to the proxy', async () => {
    const j = job({ proxy_url: `http://puser:${CANARY}@127.0.0.1:${proxy.port}`, tls_config: { ca: pki.caCert }, authorization: { credentials: TOKEN } });
    const r = await probe(target(`${tlsServer.origin}/metrics`), j, deps());
    expect(r.result).toBe('ok');
    const connect = seen.find((s) => s.startsWith(`CONNECT 127.0.0.1:${tlsServer.port}`));
    expect(connect).toContain(`Proxy-Authorization: Basic ${Buffer.from(`puser:${CANARY}`).toString('base64')}`);
    expect(tlsServer.requests.at(-1)!.headers['proxy-authorization']).toBeUndefined();
    expect(tlsServer.requests.at(-1)!.headers.authorization).toBe(`Bearer ${TOKEN}`);
  });

  it('sends an http target to the proxy in absolute form', async () => {
    const r = await probe(target(`http://10.255.255.1:9100/metrics`), job({ proxy_url: `http://127.0.0.1:${proxy.port}` }), deps());
    expect(r.result).toBe('ok');
    expect(seen.at(-1)).toMatch(/^GET http:\/\/10\.255\.255\.1:9100\/metrics HTTP\/1\.1/);
  });

  it('reports an unreachable proxy in Go\'s words without its credentials', async () => {
    const r = await probe(target(`${tlsServer.origin}/metrics`), job({ proxy_url: `http://u:${CANARY}@127.0.0.1:1` }), deps());
    expect(r.result).toBe('connection_refused');
    expect(r.error).toContain('proxyconnect tcp: dial tcp 127.0.0.1:1: connect: connection refused');
    expect(r.error).not.toContain(CANARY);
  });
});

describe('check_unauthenticated', () => {
  it('reports auth enforced when the bare request gets a 401', async () => {
    const r = await probe(target(`${app.origin}/metrics`), job({ authorization: { credentials: TOKEN }, probe: { check_unauthenticated: true } }), deps());
    expect(r.result).toBe('ok');
    expect(r.unauthenticated).toMatchObject({ statusCode: 401, authEnforced: true });
    expect(app.requests.at(-1)!.headers.authorization).toBeUndefined();
  });

  it('reports auth not enforced when metrics are served to anyone', async () => {
    const r = await probe(target(`${app.origin}/open`), job({ bearer_token: TOKEN, probe: { check_unauthenticated: true } }), deps());
    expect(r.unauthenticated).toMatchObject({ statusCode: 200, authEnforced: false });
  });

  it('sends no client certificate in the bare request: an mTLS target refuses it', async () => {
    const j = job({ tls_config: { ca: pki.caCert, cert: pki.clientCert, key: pki.clientKey }, probe: { check_unauthenticated: true } });
    const r = await probe(target(`${mtls.origin}/metrics`), j, deps());
    expect(r.result).toBe('ok');
    expect(r.unauthenticated).toMatchObject({ statusCode: 0, authEnforced: true, result: 'tls_error' });
  });
});
