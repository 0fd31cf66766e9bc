// A small stand-in for the Kubernetes API server: HTTPS with a test-made certificate, real SelfSubjectAccessReview JSON.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { tempDirSync } from '../helpers/tmp.js';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';

export interface TestCert {
  cert: string;
  key: string;
  dir: string;
}

/** A self-signed certificate for 127.0.0.1, made with the openssl CLI as a cluster CA would be. */
export function makeCert(cn = 'kube-apiserver'): TestCert {
  const dir = tempDirSync('fake-apiserver-cert-');
  execFileSync('openssl', [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
    '-keyout', path.join(dir, 'key.pem'), '-out', path.join(dir, 'cert.pem'), '-days', '1',
    '-subj', `/CN=${cn}`, '-addext', 'subjectAltName=IP:127.0.0.1,DNS:kubernetes.default.svc',
  ], { stdio: 'ignore' });
  return { cert: readFileSync(path.join(dir, 'cert.pem'), 'utf8'), key: readFileSync(path.join(dir, 'key.pem'), 'utf8'), dir };
}

export type Mode =
  | 'normal'
  | 'slow' // never answers
  | 'html' // a proxy's login page with 200
  | 'truncated' // half a JSON document
  | 'wrong-shape' // JSON, but no review in it
  | 'allowed-as-string'
  | 'huge' // megabytes of JSON
  | 'status-500'
  | 'reset' // the connection dies mid-answer
  | 'echo-token'; // a 403 whose message quotes the Authorization header

export interface ResourceAttributes {
  verb?: string;
  resource?: string;
  subresource?: string;
  group?: string;
  namespace?: string;
  name?: string;
}

export interface FakeApiServer {
  port: number;
  mode: Mode;
  /** The bearer token the server accepts; any other gets a 401 Status. */
  acceptedToken: string;
  /** "verb resource[/subresource]" the service account may do. */
  allowed: Set<string>;
  reviews: ResourceAttributes[];
  tokensSeen: string[];
  close(): Promise<void>;
}

const UNAUTHORIZED = JSON.stringify({
  kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'Unauthorized', reason: 'Unauthorized', code: 401,
});

export async function startFakeApiServer(cert: TestCert, acceptedToken: string): Promise<FakeApiServer> {
  const state: Omit<FakeApiServer, 'port' | 'close'> = { mode: 'normal', acceptedToken, allowed: new Set(), reviews: [], tokensSeen: [] };
  const server = https.createServer({ cert: cert.cert, key: cert.key }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const token = /^Bearer (.*)$/.exec(req.headers.authorization ?? '')?.[1] ?? '';
      state.tokensSeen.push(token);
      if (req.method !== 'POST' || req.url !== '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews') {
        res.writeHead(404, { 'content-type': 'application/json' }).end('{"kind":"Status","code":404}');
        return;
      }
      if (token !== state.acceptedToken) {
        res.writeHead(401, { 'content-type': 'application/json' }).end(UNAUTHORIZED);
        return;
      }
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { kind: string; spec: { resourceAttributes: ResourceAttributes } };
      const attrs = body.spec.resourceAttributes;
      state.reviews.push(attrs);
      switch (state.mode) {
        case 'echo-token':
          res.writeHead(403, { 'content-type': 'application/json' }).end(
            JSON.stringify({ kind: 'Status', message: `forbidden: request with header Bearer ${token} denied`, code: 403 }),
          );
          return;
        case 'slow':
          return; // never answers
        case 'html':
          res.writeHead(200, { 'content-type': 'text/html' }).end('<html><body>Please log in</body></html>');
          return;
        case 'truncated':
          res.writeHead(201, { 'content-type': 'application/json' }).end('{"kind":"SelfSubjectAccessReview","status":{"allo');
          return;
        case 'wrong-shape':
          res.writeHead(201, { 'content-type': 'application/json' }).end('{"kind":"Status","items":[1,2,3]}');
          return;
        case 'allowed-as-string':
          res.writeHead(201, { 'content-type': 'application/json' }).end('{"kind":"SelfSubjectAccessReview","status":{"allowed":"true"}}');
          return;
        case 'huge':
          res.writeHead(201, { 'content-type': 'application/json' });
          res.end(`{"kind":"SelfSubjectAccessReview","pad":"${'x'.repeat(4 * 1024 * 1024)}","status":{"allowed":true}}`);
          return;
        case 'status-500':
          res.writeHead(500, { 'content-type': 'application/json' }).end('{"kind":"Status","message":"etcdserver: request timed out","code":500}');
          return;
        case 'reset':
          res.writeHead(201, { 'content-type': 'application/json' });
          res.write('{"kind":"SelfSubjectAccessReview",');
          res.socket?.destroy();
          return;
        case 'normal': {
          const what = attrs.subresource ? `${attrs.verb} ${attrs.resource}/${attrs.subresource}` : `${attrs.verb} ${attrs.resource}`;
          const allowed = state.allowed.has(what);
          // What a real API server answers: the request echoed back with a status; RBAC gives a reason only when allowed.
          const status = allowed
            ? { allowed: true, reason: 'RBAC: allowed by ClusterRoleBinding "scrape-auth" of ClusterRole "scrape-auth" to ServiceAccount "scrape-auth/monitoring"' }
            : { allowed: false };
          res.writeHead(201, { 'content-type': 'application/json' }).end(
            JSON.stringify({ kind: 'SelfSubjectAccessReview', apiVersion: 'authorization.k8s.io/v1', metadata: { creationTimestamp: null }, spec: body.spec, status }),
          );
        }
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const fake = state as FakeApiServer;
  fake.port = (server.address() as AddressInfo).port;
  fake.close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return fake;
}
