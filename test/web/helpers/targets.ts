// Real local targets that answer the way a scrape in each result state is answered: 200, 401, 403, 500, a bad
// certificate, a reset, silence, an HTML login page; plus a closed port for "connection refused".
import http from 'node:http';
import https from 'node:https';
import net, { type AddressInfo } from 'node:net';

export interface Targets {
  /** job name (the expected result) → host:port */
  byResult: Record<string, string>;
  close(): Promise<void>;
}

const METRICS = '# HELP up Whether the target is up.\n# TYPE up gauge\nup 1\n';

export async function startTargets(tls: { cert: Buffer; key: Buffer }, password: string): Promise<Targets> {
  const servers: net.Server[] = [];
  const held: net.Socket[] = [];
  const listen = async (server: net.Server): Promise<string> => {
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return `127.0.0.1:${(server.address() as AddressInfo).port}`;
  };
  const answer = (status: number, body: string, type = 'text/plain; version=0.0.4') =>
    http.createServer((_req, res) => res.writeHead(status, { 'content-type': type }).end(body));
  const expected = `Basic ${Buffer.from(`prometheus:${password}`).toString('base64')}`;
  const byResult: Record<string, string> = {
    ok: await listen(
      http.createServer((req, res) => {
        if (req.headers.authorization !== expected) res.writeHead(401).end('Unauthorized');
        else res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }).end(METRICS);
      }),
    ),
    unauthorized: await listen(answer(401, 'Unauthorized\n')),
    forbidden: await listen(answer(403, 'Forbidden (user=system:serviceaccount:monitoring:prometheus, verb=get, resource=nodes, subresource=metrics)\n')),
    http_error: await listen(answer(500, 'oops\n')),
    invalid_response: await listen(answer(200, '<html><body><form>Sign in</form></body></html>', 'text/html')),
    tls_error: await listen(https.createServer(tls, (_req, res) => res.end(METRICS))),
    timeout: await listen(net.createServer((socket) => held.push(socket))),
    network_error: await listen(net.createServer((socket) => socket.resetAndDestroy())),
  };
  const closed = net.createServer();
  byResult['connection_refused'] = await new Promise<string>((resolve) =>
    closed.listen(0, '127.0.0.1', () => {
      const port = (closed.address() as AddressInfo).port;
      closed.close(() => resolve(`127.0.0.1:${port}`));
    }),
  );
  return {
    byResult,
    close: async () => {
      for (const socket of held) socket.destroy();
      await Promise.all(
        servers.map(
          (s) =>
            new Promise<void>((resolve) => {
              (s as http.Server).closeAllConnections?.();
              s.close(() => resolve());
            }),
        ),
      );
    },
  };
}
