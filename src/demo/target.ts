// The demo's in-process target: a metrics endpoint guarded the ways real ones are (bearer, basic auth, RBAC proxy, none).
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface DemoTargetAuth {
  /** Bearer tokens accepted right now (the current and the previous rotation). */
  validTokens(): string[];
  /** A token the target knows but whose identity may not read metrics: 403. */
  forbiddenToken: string;
  basicUser: string;
  basicPassword(): string;
}

export const FORBIDDEN_BODY =
  'Forbidden (user=system:serviceaccount:demo:dashboard-viewer, verb=get, resource=nodes, subresource=metrics)\n';

const EXPOSITION = `# HELP demo_requests_total Requests served by the demo target.
# TYPE demo_requests_total counter
demo_requests_total 42
# HELP demo_up Always 1.
# TYPE demo_up gauge
demo_up 1
`;

export interface DemoTarget {
  /** host:port */
  address: string;
  close(): Promise<void>;
}

/** Serves /metrics (bearer, as kube-rbac-proxy does), /basic/metrics (basic auth) and /open/metrics (no auth). */
export async function startDemoTarget(auth: DemoTargetAuth): Promise<DemoTarget> {
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://demo');
    const header = req.headers.authorization ?? '';
    const send = (status: number, body: string, type = 'text/plain; charset=utf-8') => {
      res.writeHead(status, { 'Content-Type': type, Connection: 'close' });
      res.end(body);
    };
    const metrics = () => send(200, EXPOSITION, 'text/plain; version=0.0.4; charset=utf-8');
    switch (url.pathname) {
      case '/metrics': {
        const token = header.startsWith('Bearer ') ? header.slice(7) : '';
        if (token && auth.validTokens().includes(token)) return metrics();
        if (token && token === auth.forbiddenToken) return send(403, FORBIDDEN_BODY);
        res.setHeader('WWW-Authenticate', 'Bearer realm="demo"');
        return send(401, 'Unauthorized\n');
      }
      case '/basic/metrics': {
        const expected = `Basic ${Buffer.from(`${auth.basicUser}:${auth.basicPassword()}`).toString('base64')}`;
        if (header === expected) return metrics();
        res.setHeader('WWW-Authenticate', 'Basic realm="demo"');
        return send(401, 'Unauthorized\n');
      }
      case '/open/metrics':
        return metrics();
      default:
        return send(404, 'not found\n');
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    address: `127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
