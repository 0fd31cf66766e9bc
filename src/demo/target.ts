// The demo's in-process target: a metrics endpoint guarded the ways real ones are (bearer, basic auth, RBAC proxy, none).
import http from 'node:http';
import https from 'node:https';
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
  /** host:port of the plain HTTP listener */
  address: string;
  /** host:port of the HTTPS listener (same routes), when TLS material was given */
  tlsAddress: string | undefined;
  /** host:port of an HTTPS listener that demands a client certificate signed by the demo CA (mTLS) */
  mtlsAddress: string | undefined;
  close(): Promise<void>;
}

export interface DemoTls {
  cert: string;
  key: string;
  /** The CA client certificates must come from, for the mTLS listener. */
  ca?: string;
}

/** An SSO proxy's sign-in form, as oauth2-proxy shows it to a browser (and to a scraper it does not let through). */
const SIGN_IN_PAGE = `<!DOCTYPE html>
<html><head><title>Sign In</title></head>
<body><form method="post" action="/sso/sign_in"><label>Username <input name="username"></label>
<label>Password <input type="password" name="password"></label><button>Sign in</button></form></body></html>
`;

/**
 * Serves /metrics (bearer, as kube-rbac-proxy does), /basic/metrics (basic auth), /open/metrics (no auth) and
 * /sso/metrics (behind a sign-in page); with TLS material also on HTTPS, and on an mTLS listener.
 */
export async function startDemoTarget(auth: DemoTargetAuth, tls?: DemoTls): Promise<DemoTarget> {
  const handler: http.RequestListener = (req, res) => {
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
      case '/sso/metrics':
        // An SSO proxy in front of the metrics: anything without its session cookie goes to the sign-in form.
        res.setHeader('Location', '/sso/sign_in?rd=%2Fsso%2Fmetrics');
        return send(302, '');
      case '/sso/sign_in':
        return send(200, SIGN_IN_PAGE, 'text/html; charset=utf-8');
      default:
        return send(404, 'not found\n');
    }
  };
  const servers: (http.Server | https.Server)[] = [http.createServer(handler)];
  if (tls) servers.push(https.createServer({ cert: tls.cert, key: tls.key }, handler));
  if (tls?.ca) servers.push(https.createServer({ cert: tls.cert, key: tls.key, ca: tls.ca, requestCert: true, rejectUnauthorized: true }, handler));
  // A refused handshake is the demo working as intended, not an error to report.
  for (const server of servers) server.on('tlsClientError', () => undefined);
  const addresses: string[] = [];
  for (const server of servers) {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    addresses.push(`127.0.0.1:${(server.address() as AddressInfo).port}`);
  }
  return {
    address: addresses[0]!,
    tlsAddress: addresses[1],
    mtlsAddress: addresses[2],
    close: async () => {
      await Promise.all(
        servers.map(
          (server) =>
            new Promise<void>((resolve) => {
              server.close(() => resolve());
              server.closeAllConnections();
            }),
        ),
      );
    },
  };
}
