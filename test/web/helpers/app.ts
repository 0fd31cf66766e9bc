// Serves createApp with the status router (and optional web guards) on 127.0.0.1:0 for a test.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { RequestHandler } from 'express';
import { Registry } from 'prom-client';
import { createApp } from '../../../src/app.js';
import { silentLogger } from '../../../src/log.js';
import type { StatusSources } from '../../../src/status/types.js';
import { createStatusRouter, type StatusRouterDeps } from '../../../src/web/router.js';

export interface Served {
  url: string;
  close(): Promise<void>;
}

export async function serveStatus(sources: StatusSources, options: { now?: () => number; guards?: RequestHandler[]; router?: Partial<StatusRouterDeps> } = {}): Promise<Served> {
  const router = createStatusRouter({
    sources,
    config: () => ({ file: '/etc/scrape-auth.yml', lastReloadSuccessful: true, lastReloadSuccessMs: Date.now() - 5000 }),
    telemetryPath: '/metrics',
    ...(options.now ? { now: options.now } : {}),
    ...options.router,
  });
  const app = createApp({
    registry: new Registry(),
    telemetryPath: '/metrics',
    runtime: { reload: async () => ({ ok: true }), isReady: () => true },
    logger: silentLogger(),
    guards: options.guards ?? [],
    routers: [router],
  });
  const server = http.createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
