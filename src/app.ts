// Builds the HTTP app from its dependencies; it never listens (main.ts does).
import express, { type Express, type RequestHandler, type Router } from 'express';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { ReloadResult } from './runtime.js';
import { metricsHandler } from './web/metrics.js';

export interface AppDeps {
  registry: Registry;
  telemetryPath: string;
  runtime: { reload(): Promise<ReloadResult>; isReady(): boolean };
  logger: Logger;
  /** Runs before every route: e.g. basic auth from --web.config.file. */
  guards?: RequestHandler[];
  /** More routes: /probe, the status page, the JSON API. */
  routers?: Router[];
}

export function createApp(deps: AppDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  for (const guard of deps.guards ?? []) app.use(guard);

  app.get(deps.telemetryPath, metricsHandler(deps.registry, deps.logger));

  app.get('/-/healthy', (_req, res) => {
    res.type('text/plain').send('Healthy\n');
  });
  app.get('/-/ready', (_req, res) => {
    if (deps.runtime.isReady()) res.type('text/plain').send('Ready\n');
    else res.status(503).type('text/plain').send('Not ready: no config loaded\n');
  });

  app.all('/-/reload', async (req, res) => {
    if (req.method !== 'POST' && req.method !== 'PUT') {
      res.status(405).set('Allow', 'POST, PUT').type('text/plain').send('This endpoint requires a POST or PUT request.\n');
      return;
    }
    const result = await deps.runtime.reload();
    if (result.ok) res.type('text/plain').send('Config reloaded\n');
    else res.status(500).type('text/plain').send(`failed to reload config: ${result.error.message}\n`);
  });

  for (const router of deps.routers ?? []) app.use(router);

  app.use((_req, res) => {
    res.status(404).type('text/plain').send('404 page not found\n');
  });
  // Express's own handler would print a stack trace outside production; ours says only what failed.
  app.use((err: unknown, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
    const status = typeof (err as { status?: unknown }).status === 'number' ? (err as { status: number }).status : 500;
    if (status >= 500) deps.logger.error({ err: err instanceof Error ? err.message : String(err) }, 'Error serving request');
    res.status(status).type('text/plain').send(status >= 500 ? 'internal server error\n' : 'bad request\n');
  });
  return app;
}
