// Reads Prometheus's prometheus.yml (and its scrape_config_files) into jobs of our own ScrapeConfig shape,
// refusing what Prometheus refuses.
import { createHash } from 'node:crypto';
import path from 'node:path';
import { glob } from 'tinyglobby';
import { z } from 'zod';
import { prepareFields, type UnknownField } from '../config/fields.js';
import {
  describeIssue,
  formatKeyPath,
  issueToError,
  readConfigText,
  resolveJobPaths,
  YamlSource,
  type PathSegment,
  type SkipReason,
} from '../config/load.js';
import { isPlausibleName } from '../config/quote.js';
import { duration, scrapeConfigSchema, strict, TYPO_MAX_EDITS, type ScrapeConfig } from '../config/schema.js';

/** Prometheus's own defaults for `global.scrape_interval` and `global.scrape_timeout`. */
export const PROMETHEUS_DEFAULT_SCRAPE_INTERVAL_MS = 60_000;
export const PROMETHEUS_DEFAULT_SCRAPE_TIMEOUT_MS = 10_000;

/** scrape_config_files matching more files than this fail the import: a glob gone wrong, not a config. */
export const MAX_SCRAPE_CONFIG_FILES = 1000;

/**
 * Authentication Prometheus can do and a probe cannot reproduce yet: a job using one is skipped and reported,
 * never probed without it (that would report a 401 Prometheus does not get).
 */
export const UNPROBED_AUTH = ['sigv4', 'azuread', 'google_iam'] as const satisfies readonly SkipReason[];

/** Blocks of a job that decide how it authenticates: an unknown field inside one may be a credential we would not send. */
const AUTH_BLOCKS = new Set(['basic_auth', 'authorization', 'oauth2', 'tls_config', 'http_headers', 'proxy_connect_header']);

/** prometheus.yml's top-level keys and `global` keys (prometheus/prometheus config.go), known but not read here. */
const TOP_LEVEL_KEYS = ['runtime', 'alerting', 'rule_files', 'storage', 'tracing', 'remote_write', 'remote_read', 'otlp'];
const GLOBAL_KEYS = [
  'scrape_protocols', 'evaluation_interval', 'rule_query_offset', 'query_log_file', 'scrape_failure_log_file',
  'external_labels', 'body_size_limit', 'sample_limit', 'target_limit', 'label_limit', 'label_name_length_limit',
  'label_value_length_limit', 'keep_dropped_targets', 'metric_name_validation_scheme', 'metric_name_escaping_scheme',
  'scrape_native_histograms', 'convert_classic_histograms_to_nhcb', 'always_scrape_classic_histograms', 'extra_scrape_metrics',
];

const prometheusGlobalSchema = strict(
  { scrape_interval: duration.optional(), scrape_timeout: duration.optional() },
  GLOBAL_KEYS,
);
// Only the shape is checked here; each job is checked by scrapeConfigSchema, our own config's job schema.
const prometheusFileSchema = strict(
  {
    global: prometheusGlobalSchema.optional(),
    scrape_config_files: z.array(z.string()).optional(),
    scrape_configs: z.array(z.unknown()).optional(),
  },
  TOP_LEVEL_KEYS,
);
const scrapeConfigFileSchema = strict({ scrape_configs: z.array(z.unknown()).optional() });

/** Prometheus's patRulePath: a `*` only in the last path element. */
const GLOB_PATH = /^[^*]*(\*[^/]*)?$/;

export interface SkippedJob {
  job: string;
  reason: SkipReason;
  /** One line for the log: the field, or the located validation error. Never a value from the file. */
  detail: string;
}

/** A field this exporter does not know, in a prometheus.yml it accepted (SPEC's forward-compatibility rule). */
export interface UnknownFieldWarning {
  /** The job it is in; empty for `global` and the top level. */
  job: string;
  /** Its key path within the job (`basic_auth.password_ref`), or from the top (`global.new_field`). */
  field: string;
  /** file:line:col. */
  where: string;
}

export interface PrometheusImport {
  file: string;
  /** sha256 over prometheus.yml and every scrape config file it pulled in: changes when any of them does. */
  digest: string;
  /** In file order (prometheus.yml, then each scrape config file), paths absolute, scrape_timeout always set. */
  jobs: ScrapeConfig[];
  skipped: SkippedJob[];
  unknownFields: UnknownFieldWarning[];
  /** scrape_config_files as absolute glob patterns, for the watcher. */
  scrapeConfigFiles: string[];
  /** Every file read: prometheus.yml and the scrape config files. */
  files: string[];
}

/** What every job of a prometheus.yml inherits from its `global` block. */
interface PrometheusGlobal {
  intervalMs: number;
  timeoutMs: number;
}

export async function importPrometheusConfig(file: string): Promise<PrometheusImport> {
  const absolute = path.resolve(file);
  const text = await readConfigText(absolute);
  const main = parseMainFile(text, absolute);
  const hash = createHash('sha256').update(text);
  const jobs = [...main.jobs];
  const skipped = [...main.skipped];
  const unknownFields = [...main.unknownFields];
  const files = [absolute];
  // Where each job name was first seen, in Prometheus's words for the duplicate error.
  const firstSeen = new Map<string, string>([...main.names.keys()].map((n) => [n, "main config file"]));
  for (const { pattern, at } of main.scrapeConfigFiles) {
    const matches = await matchScrapeConfigFiles(pattern);
    if (files.length - 1 + matches.length > MAX_SCRAPE_CONFIG_FILES) {
      throw main.source.errorAt(at, `scrape_config_files match more than ${MAX_SCRAPE_CONFIG_FILES} files`);
    }
    hash.update(`\0${pattern}\0${matches.length}`);
    for (const match of matches) {
      const partText = await readConfigText(match);
      hash.update(`\0${match}\0`).update(partText);
      files.push(match);
      const part = parseScrapeConfigFile(partText, match, main.global);
      for (const [name, index] of part.names) {
        const first = firstSeen.get(name);
        if (first !== undefined) {
          throw part.source.errorAt(['scrape_configs', index, 'job_name'], `found multiple scrape configs with job name ${JSON.stringify(name)}, first found in ${first}`);
        }
        firstSeen.set(name, JSON.stringify(match));
      }
      jobs.push(...part.jobs);
      skipped.push(...part.skipped);
      unknownFields.push(...part.unknownFields);
    }
  }
  return {
    file: absolute,
    digest: hash.digest('hex'),
    jobs,
    skipped,
    unknownFields,
    scrapeConfigFiles: main.scrapeConfigFiles.map((f) => f.pattern),
    files,
  };
}

/** Go's filepath.Glob: the matching files, sorted. */
async function matchScrapeConfigFiles(pattern: string): Promise<string[]> {
  return (await glob(pattern, { absolute: true, onlyFiles: true, expandDirectories: false })).sort();
}

/**
 * The digest importPrometheusConfig would compute now, without parsing: the watcher compares it with the
 * running import's, so a touch reloads nothing and a new file matching a scrape_config_files glob reloads.
 * Undefined when a file cannot be read (the reload then reports why).
 */
export async function importDigest(file: string, scrapeConfigFiles: readonly string[]): Promise<string | undefined> {
  try {
    const hash = createHash('sha256').update(await readConfigText(file));
    let count = 0;
    for (const pattern of scrapeConfigFiles) {
      const matches = await matchScrapeConfigFiles(pattern);
      count += matches.length;
      if (count > MAX_SCRAPE_CONFIG_FILES) return undefined;
      hash.update(`\0${pattern}\0${matches.length}`);
      for (const match of matches) hash.update(`\0${match}\0`).update(await readConfigText(match));
    }
    return hash.digest('hex');
  } catch {
    return undefined;
  }
}

/** The directories to watch for an import: prometheus.yml's, each glob's fixed part, and each file's. */
export function importWatchDirectories(files: readonly string[], scrapeConfigFiles: readonly string[]): string[] {
  const dirs = new Set(files.map((f) => path.dirname(f)));
  for (const pattern of scrapeConfigFiles) {
    const fixed = pattern.split(/[*?[{]/, 1)[0]!;
    dirs.add(fixed.endsWith(path.sep) ? fixed.slice(0, -1) || path.sep : path.dirname(fixed));
  }
  return [...dirs].sort();
}

/**
 * prometheus.yml alone (its scrape_config_files are named, not read): the pure part of importPrometheusConfig.
 * A document Prometheus refuses throws a located ConfigError; a job it accepts but we cannot probe is skipped
 * with a reason.
 */
export function parsePrometheusConfig(text: string, file: string): PrometheusImport {
  const absolute = path.resolve(file);
  const main = parseMainFile(text, absolute);
  return {
    file: absolute,
    digest: createHash('sha256').update(text).digest('hex'),
    jobs: main.jobs,
    skipped: main.skipped,
    unknownFields: main.unknownFields,
    scrapeConfigFiles: main.scrapeConfigFiles.map((f) => f.pattern),
    files: [absolute],
  };
}

interface ParsedFile {
  source: YamlSource;
  jobs: ScrapeConfig[];
  skipped: SkippedJob[];
  unknownFields: UnknownFieldWarning[];
  /** Job names with their index in scrape_configs. */
  names: Map<string, number>;
}

function parseMainFile(text: string, file: string): ParsedFile & { global: PrometheusGlobal; scrapeConfigFiles: { pattern: string; at: PathSegment[] }[] } {
  const source = new YamlSource(text, file);
  const { value: raw, texts } = source.goValue();
  const global = { intervalMs: PROMETHEUS_DEFAULT_SCRAPE_INTERVAL_MS, timeoutMs: PROMETHEUS_DEFAULT_SCRAPE_TIMEOUT_MS };
  // Prometheus starts with an empty file (every default, no jobs); so do we.
  if (raw === null || raw === undefined) return { source, jobs: [], skipped: [], unknownFields: [], names: new Map(), global, scrapeConfigFiles: [] };
  if (!isMapping(raw)) throw source.errorAt([], 'prometheus.yml must be a mapping (global, scrape_configs, ...)');
  const unknownFields: UnknownFieldWarning[] = [];
  prepareFields(raw, texts, prometheusFileSchema, forwardCompatible(source, [], '', unknownFields), true);
  const shape = prometheusFileSchema.safeParse(raw, { error: describeIssue });
  if (!shape.success) throw issueToError(source, shape.error.issues);

  const g = shape.data.global ?? {};
  // GlobalConfig.UnmarshalYAML: 0 is "unset"; the timeout defaults to min(10s, interval).
  global.intervalMs = g.scrape_interval || PROMETHEUS_DEFAULT_SCRAPE_INTERVAL_MS;
  if (g.scrape_timeout && g.scrape_timeout > global.intervalMs) {
    throw source.errorAt(['global', 'scrape_timeout'], 'global scrape timeout greater than scrape interval');
  }
  global.timeoutMs = g.scrape_timeout || Math.min(PROMETHEUS_DEFAULT_SCRAPE_TIMEOUT_MS, global.intervalMs);

  const baseDir = path.dirname(file);
  const scrapeConfigFiles = (shape.data.scrape_config_files ?? []).map((pattern, i) => {
    const at: PathSegment[] = ['scrape_config_files', i];
    if (!GLOB_PATH.test(pattern)) throw source.errorAt(at, `invalid scrape config file path ${JSON.stringify(pattern)}`);
    return { pattern: path.resolve(baseDir, pattern), at };
  });
  const parsed = parseJobs(source, raw, texts, global, baseDir, unknownFields);
  return { ...parsed, global, scrapeConfigFiles };
}

/** A file named by scrape_config_files: only `scrape_configs`, each job checked against prometheus.yml's global. */
function parseScrapeConfigFile(text: string, file: string, global: PrometheusGlobal): ParsedFile {
  const source = new YamlSource(text, file);
  const { value: raw, texts } = source.goValue();
  if (raw === null || raw === undefined) return { source, jobs: [], skipped: [], unknownFields: [], names: new Map() };
  if (!isMapping(raw)) throw source.errorAt([], 'a scrape config file must be a mapping with scrape_configs');
  const unknownFields: UnknownFieldWarning[] = [];
  prepareFields(raw, texts, scrapeConfigFileSchema, forwardCompatible(source, [], '', unknownFields), true);
  const shape = scrapeConfigFileSchema.safeParse(raw, { error: describeIssue });
  if (!shape.success) throw issueToError(source, shape.error.issues);
  return parseJobs(source, raw, texts, global, path.dirname(file), unknownFields);
}

/** `raw` is the document as read and checked for shape; its scrape_configs list carries the scalars' texts. */
function parseJobs(
  source: YamlSource,
  raw: Record<string, unknown>,
  texts: WeakMap<object, Map<string | number, string>>,
  global: PrometheusGlobal,
  baseDir: string,
  unknownFields: UnknownFieldWarning[],
): ParsedFile {
  const jobs: ScrapeConfig[] = [];
  const skipped: SkippedJob[] = [];
  const names = new Map<string, number>();
  const entries = (raw['scrape_configs'] as unknown[] | undefined) ?? [];
  entries.forEach((entry, i) => {
    const outcome = importJob(source, entry, i, texts, global, baseDir, unknownFields);
    if (names.has(outcome.name)) {
      throw source.errorAt(['scrape_configs', i, 'job_name'], `found multiple scrape configs with job name ${JSON.stringify(outcome.name)}`);
    }
    names.set(outcome.name, i);
    if (outcome.job) jobs.push(outcome.job);
    else skipped.push(outcome.skipped);
  });
  return { source, jobs, skipped, unknownFields, names };
}

type JobOutcome = { name: string; job: ScrapeConfig; skipped?: undefined } | { name: string; job?: undefined; skipped: SkippedJob };

/** One job, checked by the same schema as our own config's jobs, then by Prometheus's global-dependent rules. */
function importJob(
  source: YamlSource,
  entry: unknown,
  index: number,
  texts: WeakMap<object, Map<string | number, string>>,
  global: PrometheusGlobal,
  baseDir: string,
  unknownFields: UnknownFieldWarning[],
): JobOutcome {
  const at: PathSegment[] = ['scrape_configs', index];
  if (entry === null || entry === undefined) throw source.errorAt(at, 'empty or null scrape config section');
  if (!isMapping(entry)) throw source.errorAt(at, 'expected a mapping, got a list or a scalar');
  const name = typeof entry['job_name'] === 'string' ? entry['job_name'] : '';

  // Authentication we do not reproduce: the rest of the job is still checked (Prometheus refuses a broken job
  // whatever its auth), then the job is skipped.
  const auth = UNPROBED_AUTH.find((key) => entry[key] !== undefined);
  const checked: Record<string, unknown> = { ...entry };
  for (const key of UNPROBED_AUTH) delete checked[key];
  if (texts.has(entry)) texts.set(checked, texts.get(entry)!);

  const before = unknownFields.length;
  prepareFields(checked, texts, scrapeConfigSchema, forwardCompatible(source, at, name, unknownFields), true);
  const unknownHere = unknownFields.slice(before);

  const parsed = scrapeConfigSchema.safeParse(checked, { error: describeIssue });
  if (!parsed.success) {
    const issues = parsed.error.issues.map((issue) => ({ ...issue, path: [...at, ...issue.path] })) as z.core.$ZodIssue[];
    throw issueToError(source, issues);
  }
  const job = parsed.data;
  // ScrapeConfig.Validate(global): the job's interval defaults to the global one, and its timeout must fit in it.
  const intervalMs = job.scrape_interval ?? global.intervalMs;
  if (job.scrape_timeout !== undefined && job.scrape_timeout > intervalMs) {
    throw source.errorAt([...at, 'scrape_timeout'], `scrape timeout greater than scrape interval for scrape config with job name ${JSON.stringify(job.job_name)}`);
  }
  const timeoutMs = job.scrape_timeout ?? Math.min(global.timeoutMs, intervalMs);

  const skip = (reason: SkipReason, detail: string): JobOutcome => ({ name: job.job_name, skipped: { job: job.job_name, reason, detail } });
  if (auth) return skip(auth, `${auth} authentication is not probed`);
  // A field we do not know inside an auth block (a newer Prometheus's secret reference, say), or a whole block
  // we do not know: probing without it could send no credentials where Prometheus sends some.
  const risky = unknownHere.filter((u) => u.field.includes('.') ? AUTH_BLOCKS.has(u.field.split('.')[0]!) : isMapping(entry[u.field]));
  if (risky.length > 0) {
    return skip('unsupported_config', `${risky.map((u) => `${u.where}: ${formatKeyPath([...at, ...u.field.split('.')])}`).join(', ')}: unknown field, may change how Prometheus authenticates`);
  }
  return { name: job.job_name, job: resolveJobPaths({ ...job, scrape_timeout: timeoutMs }, baseDir) };
}

/**
 * SPEC's forward-compatibility rule for prometheus.yml: a field we do not know is a newer Prometheus's and is
 * accepted with a warning, unless it is within two edits of a field known at that place. Then it is a typo
 * (`basic_auht`) and stays, so the strict schema refuses it with "did you mean".
 */
function forwardCompatible(source: YamlSource, at: PathSegment[], job: string, out: UnknownFieldWarning[]) {
  return (field: UnknownField): 'keep' | 'drop' => {
    if (field.nearest !== undefined && field.nearest.edits <= TYPO_MAX_EDITS) return 'keep';
    const keyPath = [...at, ...field.at, field.key];
    const located = source.errorAt(keyPath, '', true);
    // A key that does not look like a name (a token pasted one line too high) could be a secret (quote.ts).
    const key = isPlausibleName(field.key) ? field.key : '<not a field name>';
    out.push({
      job,
      field: job === '' ? formatKeyPath([...field.at, key]) : [...field.at, key].join('.'),
      where: `${located.file}:${located.line ?? 1}:${located.column ?? 1}`,
    });
    return 'drop';
  };
}

function isMapping(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

