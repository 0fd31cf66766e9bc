// Turns static_configs, file SD target groups and discovered URLs into probe targets with Prometheus's URL rules.
import type { ScrapeConfig } from '../config/schema.js';
import type { ProbeTarget } from './probe.js';

export interface TargetGroup {
  targets: string[];
  labels?: Record<string, string>;
}

/** Label names our own probe metrics use; a target label with one of these names is exported as `exported_<name>`. */
export const RESERVED_LABELS = new Set(['scrape_job', 'scrape_instance', 'result', 'cause', 'user', 'verb', 'resource', 'subresource']);

/** The labels a probe metric may carry from a target: never `__*` (internal), never job/instance (Prometheus sets those). */
export function publicLabels(labels: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(labels)) {
    if (name.startsWith('__') || name === 'job' || name === 'instance') continue;
    if (!/^[a-zA-Z_][a-zA-Z0-9_]*$/.test(name)) continue;
    out[RESERVED_LABELS.has(name) ? `exported_${name}` : name] = value;
  }
  return out;
}

/**
 * The scrape URL Prometheus builds for an address: `__scheme__`, `__metrics_path__` and `__param_*` labels
 * override the job's scheme, metrics_path and params, as they do after relabelling.
 */
export function scrapeUrl(job: Pick<ScrapeConfig, 'scheme' | 'metrics_path' | 'params'>, address: string, labels: Record<string, string> = {}): URL | undefined {
  const scheme = labels['__scheme__'] ?? job.scheme;
  const path = labels['__metrics_path__'] ?? job.metrics_path;
  if (scheme !== 'http' && scheme !== 'https') return undefined;
  if (address === '' || /[/?#@\s]/.test(address)) return undefined;
  let url: URL;
  try {
    url = new URL(`${scheme}://${address}`);
  } catch {
    return undefined;
  }
  url.pathname = path.startsWith('/') ? path : `/${path}`;
  const params = new URLSearchParams();
  const overridden = new Map<string, string>();
  for (const [name, value] of Object.entries(labels)) if (name.startsWith('__param_')) overridden.set(name.slice('__param_'.length), value);
  for (const [name, values] of Object.entries(job.params ?? {})) {
    if (overridden.has(name)) continue;
    for (const v of values) params.append(name, v);
  }
  for (const [name, value] of overridden) params.append(name, value);
  url.search = params.toString();
  return url;
}

/** Probe targets for one target group of a job; addresses that make no URL are returned in `invalid`. */
export function targetsFromGroup(job: ScrapeConfig, group: TargetGroup): { targets: ProbeTarget[]; invalid: string[] } {
  const targets: ProbeTarget[] = [];
  const invalid: string[] = [];
  for (const address of group.targets) {
    const all = { ...(group.labels ?? {}) };
    const url = scrapeUrl(job, all['__address__'] ?? address, all);
    if (!url) {
      invalid.push(address);
      continue;
    }
    targets.push({ job: job.job_name, instance: address, url: url.href, labels: publicLabels(all) });
  }
  return { targets, invalid };
}

/** Identity of a target across reloads: its job, URL and labels (Prometheus keeps targets apart by labels too). */
export function targetKey(t: ProbeTarget): string {
  const labels = Object.keys(t.labels)
    .sort()
    .map((k) => `${k}=${t.labels[k]}`)
    .join(',');
  return `${t.job}\u0000${t.url}\u0000${labels}`;
}
