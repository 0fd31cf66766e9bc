// Reads Prometheus's prometheus.yml (`global` and `scrape_configs` only) into jobs of our own ScrapeConfig shape.
import { createHash } from 'node:crypto';
import path from 'node:path';
import type { z } from 'zod';
import {
  issueToError,
  readConfigText,
  resolveJobPaths,
  YamlSource,
  type PathSegment,
  type SkipReason,
} from '../config/load.js';
import { httpClientShape, positiveDuration, scrapeConfigSchema, type ScrapeConfig } from '../config/schema.js';

/** Prometheus's own default for `global.scrape_timeout`. */
export const PROMETHEUS_DEFAULT_SCRAPE_TIMEOUT_MS = 10_000;

/**
 * Authentication Prometheus can do and a probe cannot reproduce yet: a job using one is skipped and reported,
 * never probed without it (that would report a 401 Prometheus does not get).
 */
export const UNPROBED_AUTH = ['sigv4', 'azuread', 'google_iam'] as const satisfies readonly SkipReason[];

/** The scrape_config fields that shape a probe; every other field (relabelling, limits, other SD) is ignored. */
const MODELLED_FIELDS = new Set<string>([
  'job_name',
  'scheme',
  'metrics_path',
  'params',
  'scrape_timeout',
  'static_configs',
  'file_sd_configs',
  ...Object.keys(httpClientShape),
]);

export interface SkippedJob {
  job: string;
  reason: SkipReason;
  /** One line for the log: the field, or the located validation error. Never a value from the file. */
  detail: string;
}

export interface PrometheusImport {
  file: string;
  digest: string;
  /** In prometheus.yml order, paths absolute, scrape_timeout always set. */
  jobs: ScrapeConfig[];
  skipped: SkippedJob[];
}

export async function importPrometheusConfig(file: string): Promise<PrometheusImport> {
  const absolute = path.resolve(file);
  const text = await readConfigText(absolute);
  return parsePrometheusConfig(text, absolute);
}

/**
 * A broken YAML document or a malformed `global`/`scrape_configs` is an error for the whole file (the reload
 * fails and the previous import keeps running); a job we cannot model is skipped with a reason instead, because
 * Prometheus itself accepted the file and the other jobs still deserve probing.
 */
export function parsePrometheusConfig(text: string, file: string): PrometheusImport {
  const absolute = path.resolve(file);
  const source = new YamlSource(text, absolute);
  const digest = createHash('sha256').update(text).digest('hex');
  const raw = source.toJS();
  // Prometheus starts with an empty file (every default, no jobs); so do we.
  if (raw === null || raw === undefined) return { file: absolute, digest, jobs: [], skipped: [] };
  if (!isMapping(raw)) throw source.errorAt([], 'prometheus.yml must be a mapping (global, scrape_configs, ...)');

  const defaultTimeout = globalScrapeTimeout(source, raw['global']);
  const list = raw['scrape_configs'];
  if (list !== undefined && list !== null && !Array.isArray(list)) {
    throw source.errorAt(['scrape_configs'], 'expected a list of scrape configs');
  }
  const jobs: ScrapeConfig[] = [];
  const skipped: SkippedJob[] = [];
  const baseDir = path.dirname(absolute);
  ((list ?? []) as unknown[]).forEach((entry, i) => {
    const outcome = importJob(source, entry, i, defaultTimeout, baseDir);
    if (outcome.ok) jobs.push(outcome.job);
    else skipped.push(outcome.skipped);
  });
  return { file: absolute, digest, jobs, skipped };
}

function globalScrapeTimeout(source: YamlSource, global: unknown): number {
  if (global === undefined || global === null) return PROMETHEUS_DEFAULT_SCRAPE_TIMEOUT_MS;
  if (!isMapping(global)) throw source.errorAt(['global'], 'expected a mapping');
  if (global['scrape_timeout'] === undefined) return PROMETHEUS_DEFAULT_SCRAPE_TIMEOUT_MS;
  const parsed = positiveDuration.safeParse(global['scrape_timeout']);
  if (!parsed.success) throw source.errorAt(['global', 'scrape_timeout'], parsed.error.issues[0]?.message ?? 'not a valid duration');
  return parsed.data;
}

type JobOutcome = { ok: true; job: ScrapeConfig } | { ok: false; skipped: SkippedJob };

function importJob(source: YamlSource, entry: unknown, index: number, defaultTimeout: number, baseDir: string): JobOutcome {
  const at: PathSegment[] = ['scrape_configs', index];
  const name = isMapping(entry) && typeof entry['job_name'] === 'string' && entry['job_name'] !== '' ? entry['job_name'] : undefined;
  const label = name ?? `scrape_configs[${index}]`;
  const skip = (reason: SkipReason, detail: string): JobOutcome => ({ ok: false, skipped: { job: label, reason, detail } });
  if (!isMapping(entry)) return skip('unsupported_config', source.errorAt(at, 'expected a mapping').message);
  if (name === undefined) return skip('unsupported_config', source.errorAt([...at, 'job_name'], 'missing or empty job_name').message);

  const auth = UNPROBED_AUTH.find((key) => entry[key] !== undefined && entry[key] !== null);
  if (auth) return skip(auth, `${auth} authentication is not probed`);

  const picked: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(entry)) {
    // YAML `key:` with no value means "unset" to Prometheus's decoder.
    if (MODELLED_FIELDS.has(key) && value !== null) picked[key] = value;
  }
  picked['scrape_timeout'] ??= `${defaultTimeout}ms`;
  const parsed = scrapeConfigSchema.safeParse(picked);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((issue) => ({ ...issue, path: [...at, ...issue.path] })) as z.core.$ZodIssue[];
    return skip('unsupported_config', issueToError(source, issues).message);
  }
  return { ok: true, job: resolveJobPaths(parsed.data, baseDir) };
}

function isMapping(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
