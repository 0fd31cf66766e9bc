// GET /probe?target=&module=[&debug=true]: one probe now, blackbox-style, answered from a registry of its own.
import { Router, type Request, type Response } from 'express';
import type { ScrapeConfig } from '../config/schema.js';
import type { Diagnosis } from '../diagnosis/causes.js';
import { formatDebug } from './debug.js';
import { emptyCounts, PROBE_TEXT_CONTENT_TYPE, renderProbeText, type TargetState } from './metrics.js';
import type { ProbeDeps, ProbeResult, ProbeTarget } from './probe.js';
import { cappedTimeoutMs, OnDemandGate } from './on-demand.js';
import { checkProbeTarget, type Origin } from './target-policy.js';
import { scrapeUrl } from './targets.js';

export interface OnDemandProber {
  job(name: string): ScrapeConfig | undefined;
  /** The job's own probe timeout (probe block, scrape_timeout, global), which the timeout header may only shorten. */
  timeoutMs(job: ScrapeConfig): number;
  /** Scheme, host and port of every current target of the job (static, file SD, discovered). */
  ownOrigins(job: string): ReadonlySet<Origin>;
  probeNow(target: ProbeTarget, job: ScrapeConfig, extra?: Partial<ProbeDeps>): Promise<ProbeResult>;
  /** The cause of the result, so /probe answers scrape_auth_probe_diagnosis like the scheduled probes. */
  diagnoseResult?(target: ProbeTarget, job: ScrapeConfig, result: ProbeResult, options?: { sniff?: boolean }): Promise<Diagnosis>;
}

export interface ProbeRouterOptions {
  /** --probe.allow-any-target: /probe may send any job's credentials to any target (blackbox-style). */
  allowAnyTarget?: boolean;
  /** Bounds how many /probe requests run at once (on-demand.ts); one per router by default. */
  gate?: OnDemandGate;
}

/** The probe target a `target` parameter names: `host:port` (the job's scheme, path and params) or a full URL. */
export function parseTargetParam(job: ScrapeConfig, raw: string): { ok: true; target: ProbeTarget } | { ok: false; error: string } {
  if (raw === '') return { ok: false, error: 'Target parameter is missing' };
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(raw)) {
    let url: URL;
    try {
      url = new URL(raw);
    } catch {
      return { ok: false, error: `Invalid target "${raw}": not a valid URL` };
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return { ok: false, error: `Invalid target: unsupported scheme "${url.protocol.slice(0, -1)}", use http or https` };
    if (url.username || url.password) return { ok: false, error: 'Invalid target: credentials in the URL are not allowed, configure them in the module (job)' };
    if (!url.hostname) return { ok: false, error: 'Invalid target: the URL has no host' };
    return { ok: true, target: { job: job.job_name, instance: url.host, url: url.href, labels: {} } };
  }
  const url = scrapeUrl(job, raw);
  if (!url) return { ok: false, error: `Invalid target "${raw}": use host:port or a full http(s) URL` };
  return { ok: true, target: { job: job.job_name, instance: raw, url: url.href, labels: {} } };
}

export function createProbeRouter(prober: OnDemandProber, options: ProbeRouterOptions = {}): Router {
  const gate = options.gate ?? new OnDemandGate();
  const router = Router();
  router.get('/probe', async (req: Request, res: Response) => {
    const param = (name: string) => (typeof req.query[name] === 'string' ? (req.query[name] as string) : '');
    const moduleName = param('module');
    if (moduleName === '') return void res.status(400).type('text/plain').send('Module parameter is missing: use module=<job_name>\n');
    const job = prober.job(moduleName);
    if (!job) return void res.status(400).type('text/plain').send(`Unknown module "${moduleName}": module is a job_name from the config\n`);
    const parsed = parseTargetParam(job, param('target'));
    if (!parsed.ok) return void res.status(400).type('text/plain').send(`${parsed.error}\n`);
    // Before anything is sent: a job's credentials go only to its own targets unless the operator opted in.
    const policy = checkProbeTarget({
      job: job.job_name,
      jobScheme: job.scheme,
      url: parsed.target.url,
      ownOrigins: prober.ownOrigins(job.job_name),
      allowAnyTarget: options.allowAnyTarget === true || job.probe?.allow_any_target === true,
    });
    if (!policy.ok) return void res.status(403).type('text/plain').send(`Forbidden: ${policy.reason}\n`);

    const timeoutMs = cappedTimeoutMs(req.get('X-Prometheus-Scrape-Timeout-Seconds'), prober.timeoutMs(job));
    const result = await gate.run(req, res, (signal) => prober.probeNow(parsed.target, job, { trace: param('debug') === 'true', timeoutMs, signal }));
    // Full (503 already sent), or the client left: nobody to answer.
    if (!result || res.destroyed) return;
    // No extra handshakes here: the caller's scrape timeout is already spent on the probe.
    const diagnosis = result.exhausted ? undefined : await prober.diagnoseResult?.(parsed.target, job, result, { sniff: false });
    const state: TargetState = {
      target: parsed.target,
      last: result,
      diagnosis,
      counts: { ...emptyCounts(), [result.result]: 1 },
      checkUnauthenticated: job.probe?.check_unauthenticated ?? false,
    };
    // Only this probe's metrics, as a fresh registry holding this one target would render them.
    const metrics = renderProbeText([state]);
    if (param('debug') === 'true') return void res.type('text/plain').send(formatDebug(parsed.target, result, metrics));
    // res.end, not express's send: no ETag hashed over a body no client caches.
    res.status(200).setHeader('Content-Type', PROBE_TEXT_CONTENT_TYPE).setHeader('Content-Length', Buffer.byteLength(metrics)).end(metrics);
  });
  return router;
}
