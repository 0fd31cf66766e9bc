// Scheduled probes keep their connection alive as Prometheus does, and open a new one exactly when SPEC says so.
import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type net from 'node:net';
import path from 'node:path';
import type { TLSSocket } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KeepAliveBudget, MAX_KEPT_CONNECTIONS, TargetConnections } from '../../src/probe/keep-alive.js';
import { MAX_BODY_BYTES, probe, type ProbeDeps, type ProbeTarget } from '../../src/probe/probe.js';
import { SecureContextCache } from '../../src/probe/tls-context.js';
import { job, makePki, METRICS_BODY, startTcp, tmpDir, until, type Pki } from './helpers.js';

let pki: Pki;
let dir: string;
const closers: (() => Promise<void>)[] = [];

beforeAll(() => {
  pki = makePki();
  dir = tmpDir('keep-alive-');
  // A second client certificate from the same CA: the rotated one.
  const openssl = (args: string[]) => execFileSync('openssl', args, { cwd: pki.dir, stdio: 'pipe' });
  openssl(['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', 'client2.key']);
  openssl(['req', '-new', '-key', 'client2.key', '-subj', '/CN=prometheus-rotated', '-out', 'client2.csr']);
  writeFileSync(pki.file('client2.ext'), 'extendedKeyUsage=clientAuth\n');
  openssl(['x509', '-req', '-in', 'client2.csr', '-CA', 'test-ca.crt', '-CAkey', 'test-ca.key', '-set_serial', '77', '-days', '10', '-extfile', 'client2.ext', '-out', 'client2.crt']);
});

afterAll(async () => {
  await Promise.all(closers.map((c) => c()));
  rmSync(dir, { recursive: true, force: true });
  rmSync(pki.dir, { recursive: true, force: true });
});

const target = (url: string): ProbeTarget => ({ job: 'test', instance: new URL(url).host, url, labels: {} });

/** A server that counts the TCP connections (each one a full handshake on TLS) and who sent each request. */
async function countingServer(
  handler: http.RequestListener,
  options: { tls?: https.ServerOptions; keepAliveTimeout?: number } = {},
): Promise<{ url: string; connections: () => number; open: () => number; peers: string[] }> {
  let connections = 0;
  const open = new Set<net.Socket>();
  const peers: string[] = [];
  const wrapped: http.RequestListener = (req, res) => {
    const cert = (req.socket as TLSSocket).getPeerCertificate?.();
    peers.push(cert?.subject?.CN !== undefined ? String(cert.subject.CN) : '-');
    handler(req, res);
  };
  const server = options.tls ? https.createServer(options.tls, wrapped) : http.createServer(wrapped);
  server.keepAliveTimeout = options.keepAliveTimeout ?? 60_000;
  server.on('connection', (s: net.Socket) => {
    connections++;
    open.add(s);
    s.on('close', () => open.delete(s));
  });
  server.on('tlsClientError', () => undefined);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  closers.push(
    () =>
      new Promise<void>((resolve) => {
        for (const s of open) s.destroy();
        server.close(() => resolve());
      }),
  );
  const port = (server.address() as net.AddressInfo).port;
  return { url: `${options.tls ? 'https' : 'http'}://127.0.0.1:${port}/metrics`, connections: () => connections, open: () => open.size, peers };
}

const metrics: http.RequestListener = (_req, res) => res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }).end(METRICS_BODY);

function deps(connections: TargetConnections, extra: Partial<ProbeDeps> = {}): ProbeDeps {
  return { timeoutMs: 3000, tlsContexts: new SecureContextCache(), connections, ...extra };
}

describe('kept-alive scheduled probes', () => {
  it('reuses one connection between probes, while /probe (no kept connections) dials every time', async () => {
    const server = await countingServer(metrics);
    const pool = new TargetConnections(Date.now);
    for (let i = 0; i < 3; i++) expect((await probe(target(server.url), job({}), deps(pool))).result).toBe('ok');
    expect(server.connections()).toBe(1);
    for (let i = 0; i < 2; i++) expect((await probe(target(server.url), job({}), { timeoutMs: 3000 })).result).toBe('ok');
    expect(server.connections()).toBe(3);
    pool.close();
  });

  it('uses a rotated client certificate, and a rotated CA, at the very next probe (a new handshake)', async () => {
    const server = await countingServer(metrics, { tls: { cert: pki.serverCert, key: pki.serverKey, ca: pki.caCert, requestCert: true, rejectUnauthorized: true } });
    const cert = path.join(dir, 'client.crt');
    const key = path.join(dir, 'client.key');
    const ca = path.join(dir, 'ca.crt');
    writeFileSync(cert, pki.clientCert);
    writeFileSync(key, pki.clientKey);
    writeFileSync(ca, pki.caCert);
    const mtlsJob = job({ scheme: 'https', tls_config: { ca_file: ca, cert_file: cert, key_file: key } });
    const pool = new TargetConnections(Date.now);
    const run = async () => probe(target(server.url), mtlsJob, deps(pool));

    expect((await run()).result).toBe('ok');
    expect((await run()).result).toBe('ok');
    expect(server.connections()).toBe(1);

    writeFileSync(cert, readFileSync(pki.file('client2.crt')));
    writeFileSync(key, readFileSync(pki.file('client2.key')));
    expect((await run()).result).toBe('ok');
    expect(server.connections()).toBe(2);
    expect(server.peers).toEqual(['prometheus', 'prometheus', 'prometheus-rotated']);

    // A CA that did not sign the server's certificate: the next probe must verify again, and fail.
    writeFileSync(ca, readFileSync(pki.file('other-ca.crt')));
    const refused = await run();
    expect(refused.result).toBe('tls_error');
    expect(refused.error).toContain('x509: certificate signed by unknown authority');
    expect(server.connections()).toBe(3);
    writeFileSync(ca, pki.caCert);
    expect((await run()).result).toBe('ok');
    expect(server.connections()).toBe(4);
    pool.close();
  });

  it('gives no false failure when the server closes idle connections after 1 s', async () => {
    const server = await countingServer(metrics, { keepAliveTimeout: 1000 });
    const pool = new TargetConnections(Date.now);
    expect((await probe(target(server.url), job({}), deps(pool))).result).toBe('ok');
    expect(pool.size).toBe(1);
    await until(() => server.open() === 0 && pool.size === 0, 10_000);
    const again = await probe(target(server.url), job({}), deps(pool));
    expect(again.result).toBe('ok');
    expect(server.connections()).toBe(2);
    pool.close();
  });

  it('ends the connection when the body is over the read cap, and dials for the next probe', async () => {
    const line = 'big_metric{label="xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"} 1\n';
    const big = line.repeat(Math.ceil((2 * MAX_BODY_BYTES) / line.length));
    const server = await countingServer((_req, res) => res.writeHead(200, { 'content-type': 'text/plain' }).end(big));
    const pool = new TargetConnections(Date.now);
    const first = await probe(target(server.url), job({}), deps(pool));
    expect(first.result).toBe('ok');
    expect(first.bodyBytesRead).toBe(MAX_BODY_BYTES);
    expect(pool.size).toBe(0);
    await until(() => server.open() === 0);
    expect((await probe(target(server.url), job({}), deps(pool))).result).toBe('ok');
    expect(server.connections()).toBe(2);
    pool.close();
  });

  it('drains a small non-200 body and keeps the connection', async () => {
    const server = await countingServer((_req, res) => res.writeHead(401, { 'content-type': 'text/plain' }).end('Unauthorized\n'));
    const pool = new TargetConnections(Date.now);
    for (let i = 0; i < 3; i++) expect((await probe(target(server.url), job({ authorization: { credentials: 'wrong' } }), deps(pool))).result).toBe('unauthorized');
    expect(server.connections()).toBe(1);
    pool.close();
  });

  it('opens a new connection once max_connection_age has passed', async () => {
    const server = await countingServer(metrics, { tls: { cert: pki.serverCert, key: pki.serverKey } });
    let now = 1_700_000_000_000;
    const pool = new TargetConnections(() => now);
    const tlsJob = job({ scheme: 'https', tls_config: { ca: pki.caCert }, probe: { max_connection_age: '5m' } });
    const run = () => probe(target(server.url), tlsJob, deps(pool, { maxConnectionAgeMs: tlsJob.probe!.max_connection_age! }));
    expect((await run()).result).toBe('ok');
    now += 299_999;
    const reused = await run();
    expect(reused.result).toBe('ok');
    // The handshake's findings stay with the connection: the expiry is still reported on reuse.
    expect(reused.tlsCertExpiryMs).toBeGreaterThan(Date.now());
    expect(server.connections()).toBe(1);
    now += 1;
    expect((await run()).result).toBe('ok');
    expect(server.connections()).toBe(2);
    pool.close();
  });
});

describe('the bound on kept connections', () => {
  it('keeps no more idle connections than the shared budget: beyond it, a probe closes its own', async () => {
    expect(MAX_KEPT_CONNECTIONS).toBe(10_000);
    const budget = new KeepAliveBudget(2);
    const servers = await Promise.all([0, 1, 2].map(() => countingServer(metrics)));
    const pools = servers.map(() => new TargetConnections(Date.now, budget));
    for (let round = 0; round < 3; round++) {
      for (const [i, server] of servers.entries()) expect((await probe(target(server.url), job({}), deps(pools[i]!))).result).toBe('ok');
    }
    expect(budget.size).toBe(2);
    // The first two targets kept theirs; the third dialled for every probe and closed each connection.
    expect(servers.map((s) => s.connections())).toEqual([1, 1, 3]);
    pools[0]!.close();
    expect(budget.size).toBe(1);
    for (const pool of pools) pool.close();
    expect(budget.size).toBe(0);
  });
});

describe('the retry on a connection the server had closed', () => {
  /** A raw HTTP/1.1 server whose answer to each request the test decides, per connection. */
  async function scriptedServer(answer: (request: number, connection: number, socket: net.Socket) => void) {
    let connections = 0;
    const tcp = await startTcp((socket) => {
      const connection = ++connections;
      let requests = 0;
      let buffered = '';
      socket.on('data', (chunk: Buffer) => {
        buffered += chunk.toString('latin1');
        while (buffered.includes('\r\n\r\n')) {
          buffered = buffered.slice(buffered.indexOf('\r\n\r\n') + 4);
          answer(++requests, connection, socket);
        }
      });
    });
    closers.push(tcp.close);
    return { url: `http://127.0.0.1:${tcp.port}/metrics`, connections: () => connections };
  }
  const ok = (socket: net.Socket) =>
    socket.write(`HTTP/1.1 200 OK\r\nContent-Type: text/plain; version=0.0.4\r\nContent-Length: ${Buffer.byteLength(METRICS_BODY)}\r\n\r\n${METRICS_BODY}`);

  it('retries once on a fresh connection when the kept one was closed as the request went out', async () => {
    // The kept connection is closed by the server on its second request (a race with its idle timeout).
    const server = await scriptedServer((request, _connection, socket) => (request === 1 ? ok(socket) : socket.destroy()));
    const pool = new TargetConnections(Date.now);
    expect((await probe(target(server.url), job({}), deps(pool))).result).toBe('ok');
    expect((await probe(target(server.url), job({}), deps(pool))).result).toBe('ok');
    expect(server.connections()).toBe(2);
    pool.close();
  });

  it('retries only once: a fresh connection that fails too is the verdict', async () => {
    const server = await scriptedServer((request, connection, socket) => (connection === 1 && request === 1 ? ok(socket) : socket.destroy()));
    const pool = new TargetConnections(Date.now);
    expect((await probe(target(server.url), job({}), deps(pool))).result).toBe('ok');
    const failed = await probe(target(server.url), job({}), deps(pool));
    expect(failed.result).toBe('network_error');
    expect(failed.error).toMatch(/EOF$/);
    expect(server.connections()).toBe(2);
    pool.close();
  });

  it('never retries after a timeout', async () => {
    // The second request on the kept connection is never answered.
    const server = await scriptedServer((request, _connection, socket) => (request === 1 ? ok(socket) : undefined));
    const pool = new TargetConnections(Date.now);
    expect((await probe(target(server.url), job({}), deps(pool, { timeoutMs: 300 }))).result).toBe('ok');
    const slow = await probe(target(server.url), job({}), deps(pool, { timeoutMs: 300 }));
    expect(slow.result).toBe('timeout');
    expect(server.connections()).toBe(1);
    pool.close();
  });
});
