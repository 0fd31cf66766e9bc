// The scrape targets of the end-to-end test: a bearer-token endpoint (200/401/403) and an mTLS endpoint, with test-made certificates.
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import path from 'node:path';

export interface Pki {
  caFile: string;
  serverCertFile: string;
  serverKeyFile: string;
  /** A client certificate signed by the same CA, for mTLS. */
  clientCertFile: string;
  clientKeyFile: string;
}

/** A CA and a server certificate for 127.0.0.1, made with the openssl CLI. */
export function makePki(dir: string): Pki {
  const file = (name: string) => path.join(dir, name);
  const openssl = (...args: string[]) => execFileSync('openssl', args, { stdio: 'pipe' });
  openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=e2e test CA', '-keyout', file('ca.key'), '-out', file('ca.pem'));
  openssl('req', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=127.0.0.1', '-keyout', file('server.key'), '-out', file('server.csr'));
  writeFileSync(file('server.ext'), 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n');
  openssl('x509', '-req', '-in', file('server.csr'), '-CA', file('ca.pem'), '-CAkey', file('ca.key'), '-CAcreateserial', '-days', '2', '-extfile', file('server.ext'), '-out', file('server.pem'));
  openssl('req', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=scrape-auth-exporter', '-keyout', file('client.key'), '-out', file('client.csr'));
  writeFileSync(file('client.ext'), 'extendedKeyUsage=clientAuth\n');
  openssl('x509', '-req', '-in', file('client.csr'), '-CA', file('ca.pem'), '-CAkey', file('ca.key'), '-CAcreateserial', '-days', '2', '-extfile', file('client.ext'), '-out', file('client.pem'));
  return {
    caFile: file('ca.pem'),
    serverCertFile: file('server.pem'),
    serverKeyFile: file('server.key'),
    clientCertFile: file('client.pem'),
    clientKeyFile: file('client.key'),
  };
}

const EXPOSITION = '# HELP e2e_up A test metric.\n# TYPE e2e_up gauge\ne2e_up 1\n';

export interface TargetServer {
  address: string;
  close(): Promise<void>;
}

async function listen(server: http.Server | https.Server): Promise<TargetServer> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    address: `127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/** 200 for `good`, 403 for a token it knows but does not allow (`forbidden`), 401 for anything else. */
export function bearerTarget(tokens: { good: string; forbidden: string }): Promise<TargetServer> {
  return listen(
    http.createServer((req, res) => {
      const auth = req.headers.authorization;
      if (auth === `Bearer ${tokens.good}`) {
        res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' }).end(EXPOSITION);
      } else if (auth === `Bearer ${tokens.forbidden}`) {
        res.writeHead(403, { 'content-type': 'text/plain' }).end('Forbidden\n');
      } else {
        res.writeHead(401, { 'content-type': 'text/plain', 'www-authenticate': 'Bearer' }).end('Unauthorized\n');
      }
    }),
  );
}

/** An HTTPS endpoint that requires a client certificate signed by the test CA. */
export function mtlsTarget(pki: Pki): Promise<TargetServer> {
  return listen(
    https.createServer(
      {
        cert: readFileSync(pki.serverCertFile),
        key: readFileSync(pki.serverKeyFile),
        ca: readFileSync(pki.caFile),
        requestCert: true,
        rejectUnauthorized: true,
      },
      (_req, res) => res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }).end(EXPOSITION),
    ),
  );
}
