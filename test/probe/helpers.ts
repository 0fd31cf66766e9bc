// Test helpers: a PKI made with the openssl CLI, real HTTP/HTTPS servers on 127.0.0.1, jobs parsed by the real schema.
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { scrapeConfigSchema, type ScrapeConfig } from '../../src/config/schema.js';
import { tempDirSync } from '../helpers/tmp.js';

export interface Pki {
  dir: string;
  caCert: string;
  serverCert: string;
  serverKey: string;
  expiredCert: string;
  otherCaServerCert: string;
  wrongNameCert: string;
  clientCert: string;
  clientKey: string;
  file(name: string): string;
}

function openssl(dir: string, args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
}

/** A CA, server certificates (good, expired, from another CA, wrong name) and a client certificate. */
export function makePki(): Pki {
  const dir = tempDirSync('probe-pki-');
  const key = (name: string) => openssl(dir, ['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', `${name}.key`]);
  const ca = (name: string) => {
    key(name);
    openssl(dir, ['req', '-x509', '-new', '-key', `${name}.key`, '-subj', `/CN=${name}`, '-days', '30', '-out', `${name}.crt`]);
  };
  const leaf = (name: string, issuer: string, cn: string, ext: string, days: string) => {
    key(name);
    openssl(dir, ['req', '-new', '-key', `${name}.key`, '-subj', `/CN=${cn}`, '-out', `${name}.csr`]);
    writeFileSync(path.join(dir, `${name}.ext`), `${ext}\n`);
    openssl(dir, ['x509', '-req', '-in', `${name}.csr`, '-CA', `${issuer}.crt`, '-CAkey', `${issuer}.key`, '-set_serial', String(Math.floor(Math.random() * 1e9)), '-days', days, '-extfile', `${name}.ext`, '-out', `${name}.crt`]);
  };
  ca('test-ca');
  ca('other-ca');
  leaf('server', 'test-ca', 'localhost', 'subjectAltName=DNS:localhost,IP:127.0.0.1', '10');
  leaf('expired', 'test-ca', 'localhost', 'subjectAltName=DNS:localhost,IP:127.0.0.1', '-1');
  leaf('other', 'other-ca', 'localhost', 'subjectAltName=DNS:localhost,IP:127.0.0.1', '10');
  leaf('wrongname', 'test-ca', 'elsewhere.example', 'subjectAltName=DNS:elsewhere.example', '10');
  leaf('client', 'test-ca', 'prometheus', 'extendedKeyUsage=clientAuth', '10');
  const read = (f: string) => readFileSync(path.join(dir, f), 'utf8');
  return {
    dir,
    caCert: read('test-ca.crt'),
    serverCert: read('server.crt'),
    serverKey: read('server.key'),
    expiredCert: read('expired.crt'),
    otherCaServerCert: read('other.crt'),
    wrongNameCert: read('wrongname.crt'),
    clientCert: read('client.crt'),
    clientKey: read('client.key'),
    file: (name: string) => path.join(dir, name),
  };
}

export interface Recorded {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  clientCert: boolean;
}

export interface TestServer {
  port: number;
  origin: string;
  address: string;
  requests: Recorded[];
  sockets: Set<net.Socket>;
  close(): Promise<void>;
}

export type Handler = (req: http.IncomingMessage, res: http.ServerResponse) => void;

/** An HTTP or HTTPS server on 127.0.0.1 with a free port that records every request it gets. */
export async function startServer(handler: Handler, tls?: https.ServerOptions): Promise<TestServer> {
  const requests: Recorded[] = [];
  const sockets = new Set<net.Socket>();
  const wrapped: Handler = (req, res) => {
    const socket = req.socket as net.Socket & { getPeerCertificate?: () => object };
    const peer = socket.getPeerCertificate?.();
    requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, clientCert: !!peer && Object.keys(peer).length > 0 });
    handler(req, res);
  };
  const server = tls ? https.createServer(tls, wrapped) : http.createServer(wrapped);
  server.on('connection', (s: net.Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  // TLS failures on the server side are expected in these tests.
  server.on('tlsClientError', () => undefined);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    address: `127.0.0.1:${port}`,
    origin: `${tls ? 'https' : 'http'}://127.0.0.1:${port}`,
    requests,
    sockets,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** A raw TCP server for misbehaving targets (tarpits, resets). */
export async function startTcp(onConnection: (socket: net.Socket) => void): Promise<{ port: number; close(): Promise<void>; sockets: Set<net.Socket> }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => undefined);
    onConnection(s);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    sockets,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

export const METRICS_BODY = '# HELP up_like A test metric.\n# TYPE up_like gauge\nup_like{a="b"} 1\nother_total 42 1700000000000\n';

/** A job as the config loader would produce it, from the YAML-shaped object a test writes. */
export function job(fields: Record<string, unknown>): ScrapeConfig {
  return scrapeConfigSchema.parse({ job_name: 'test', ...fields });
}

export function tmpDir(prefix = 'probe-'): string {
  return tempDirSync(prefix);
}

/** Polls `check` until it returns true or the deadline passes (bounded; no fixed sleeps). */
export async function until(check: () => boolean | Promise<boolean>, timeoutMs = 5000, stepMs = 20): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, stepMs));
  }
  throw new Error(`condition not met within ${timeoutMs}ms`);
}
