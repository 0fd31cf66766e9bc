// Routes for humans and scripts: GET / (the status page) and GET /api/v1/status (the same as JSON).
import { Router, type Response } from 'express';
import type { StatusSources } from '../status/types.js';
import { renderStatusPage } from './status-page.js';
import { buildStatus, parseCauseFilter, parseResultFilter, type ConfigStatus } from './status-view.js';

export interface StatusRouterDeps {
  sources: StatusSources;
  config: () => ConfigStatus;
  now?: () => number;
  /** Seconds between the page's automatic reloads; default 30. */
  refreshSeconds?: number;
  telemetryPath?: string;
  version?: string;
}

// The page has no script and loads nothing: this policy makes an injected <script> inert even if escaping failed.
const PAGE_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

export function createStatusRouter(deps: StatusRouterDeps): Router {
  const router = Router();
  const now = deps.now ?? Date.now;

  router.get('/', (req, res) => {
    const filter = parseResultFilter(req.query['result']);
    const causes = parseCauseFilter(req.query['cause']);
    if (!filter.ok || !causes.ok) {
      res.status(400).type('text/plain').send(`bad request: ${!filter.ok ? filter.error : !causes.ok ? causes.error : ''}\n`);
      return;
    }
    const data = buildStatus(deps.sources, deps.config(), filter.filter, now(), causes.filter);
    // A Content-Security-Policy from the web config's http_server_config.headers wins.
    if (!res.getHeader('Content-Security-Policy')) res.setHeader('Content-Security-Policy', PAGE_CSP);
    res.setHeader('Cache-Control', 'no-store');
    res.type('html').send(
      renderStatusPage(data, {
        refreshSeconds: deps.refreshSeconds ?? 30,
        ...(deps.telemetryPath !== undefined ? { telemetryPath: deps.telemetryPath } : {}),
        ...(deps.version !== undefined ? { version: deps.version } : {}),
      }),
    );
  });

  router.get('/api/v1/status', (req, res) => {
    const filter = parseResultFilter(req.query['result']);
    const causes = parseCauseFilter(req.query['cause']);
    if (!filter.ok || !causes.ok) {
      sendJson(res.status(400), { status: 'error', errorType: 'bad_data', error: !filter.ok ? filter.error : !causes.ok ? causes.error : '' });
      return;
    }
    sendJson(res, { status: 'success', data: buildStatus(deps.sources, deps.config(), filter.filter, now(), causes.filter) });
  });

  return router;
}

/** JSON with <, > and & escaped, so the answer is inert even if something renders it as HTML. */
function sendJson(res: Response, body: unknown): void {
  const text = JSON.stringify(body).replace(/[<>&]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  res.setHeader('Cache-Control', 'no-store');
  res.type('application/json').send(text);
}
