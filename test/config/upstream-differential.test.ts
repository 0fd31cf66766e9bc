// The differential test: Prometheus's own config test data (test/testdata/upstream, see its README), each case
// wrapped into a prometheus.yml (imported in sidecar mode) and into our own config, must get the verdict
// `promtool check config` gives it. Nothing is precomputed: promtool runs here, on every case.
import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from '../../src/config/load.js';
import { importPrometheusConfig } from '../../src/sidecar/import.js';

const UPSTREAM = path.resolve(import.meta.dirname, '../testdata/upstream');

type Verdict = 'accept' | 'refuse';

/**
 * Fields Debian's promtool (2.42) does not know because they came later (prometheus/common and Prometheus
 * 2.43+). When 2.42 refuses a case only for these, the case's file name decides (`.good.` / `.bad.`), as the
 * upstream test that owns the file does. A field not listed here (a typo like `consult_sd_configs`) keeps
 * promtool's verdict.
 */
const NEWER_THAN_PROMTOOL = new Set([
  'http_headers', 'no_proxy', 'proxy_from_environment', 'username_file', 'username_ref', 'password_ref',
  'client_certificate_key', 'client_certificate_key_file', 'grant_type', 'enable_compression',
  'scrape_config_files', 'metric_name_validation_scheme', 'fallback_scrape_protocol', 'scrape_protocols',
  // conf.good.yml's newer global and scrape fields
  'body_size_limit', 'sample_limit', 'target_limit', 'label_limit', 'label_name_length_limit', 'label_value_length_limit',
  'keep_dropped_targets', 'query_log_file', 'scrape_failure_log_file', 'runtime', 'otlp', 'tracing', 'rule_query_offset',
  'metric_name_escaping_scheme', 'track_timestamps_staleness', 'always_scrape_classic_histograms', 'convert_classic_histograms_to_nhcb',
  'native_histogram_bucket_limit', 'native_histogram_min_bucket_factor', 'scrape_native_histograms', 'extra_scrape_metrics',
  'protobuf_message', 'stale_series_compaction_threshold', 'retention',
  // Debian's build of Prometheus leaves out these service discoveries (their Go dependencies are not packaged).
  'consul_sd_configs', 'kubernetes_sd_configs', 'kuma_sd_configs', 'nomad_sd_configs', 'oci_sd_configs', 'linode_sd_configs',
  'stackit_sd_configs', 'outscale_sd_configs',
]);

/** Upstream files named neither good nor bad, with the verdict of the upstream test that loads them. */
const UNNAMED: Record<string, Verdict> = {
  // prometheus/common TestBasicAuthSecretManager: LoadHTTPConfigFile succeeds.
  'common/http.conf.basic-auth.ref.yaml': 'accept',
};

/**
 * Deliberate differences, each argued in docs/sidecar.md ("Agreement with promtool"): our verdict for that
 * path, where it is not promtool's. Every other case must agree with promtool.
 */
const DIFFERENCES: Record<string, { imported?: Verdict; own?: Verdict | 'n/a'; why: string }> = {
  'common/http.conf.basic-auth.ref.yaml': {
    own: 'refuse',
    why: 'secret references (*_ref) need a secret manager this exporter does not have: our own config refuses them; an imported job is skipped with unknown_field_info',
  },
  'prometheus/unknown_global_attr.bad.yml': {
    imported: 'accept',
    own: 'n/a',
    why: "SPEC's forward-compatibility rule: an unknown field far from every known one is a newer Prometheus's, accepted with a warning",
  },
  'prometheus/scrape_config_files_global.bad.yml': {
    own: 'n/a',
    why: 'our own config has no scrape_config_files: the case is about the imported file only',
  },
  'prometheus/scrape_config_files_only.good.yml': { own: 'n/a', why: 'as scrape_config_files_global' },
  'prometheus/scrape_config_files_duplicate.bad.yml': { own: 'n/a', why: 'as scrape_config_files_global (the duplicate is in the imported file)' },
  'prometheus/scrape_config_files_glob.bad.yml': { own: 'n/a', why: 'as scrape_config_files_global (the bad glob)' },
  'prometheus/scrape_config_files_global_duplicate.bad.yml': { own: 'n/a', why: 'as scrape_config_files_global (the duplicate is in the imported file)' },
  'common/tls_config.invalid_field.bad.yml': {
    imported: 'accept',
    own: 'refuse',
    why: "SPEC's forward-compatibility rule: `something_invalid` is far from every tls_config field, so a newer Prometheus's; the job is skipped (an unknown field in an auth block), never probed without it",
  },
  'prometheus/scrape_config_files_glob.good.yml': { own: 'n/a', why: 'as scrape_config_files_global' },
  'prometheus/scrape_config_files_double_import.bad.yml': { own: 'n/a', why: 'as scrape_config_files_global' },
  'prometheus/global_timeout.good.yml': { own: 'n/a', why: 'a global-only case: nothing for our own config' },
};

interface Case {
  name: string;
  /** The prometheus.yml the import reads. */
  prometheusYml: string;
  /** Our own config's text, or undefined when the case has no scrape_configs for it. */
  ownText: string | undefined;
  expected?: { verdict: Verdict; by: string };
}

let work: string;
const cases: Case[] = [];

function upstreamCases(): Case[] {
  const out: Case[] = [];
  for (const file of readdirSync(path.join(UPSTREAM, 'common')).sort()) {
    const body = readFileSync(path.join(UPSTREAM, 'common', file), 'utf8');
    const indent = file.startsWith('tls_config') ? '      ' : '    ';
    const wrapped =
      'scrape_configs:\n  - job_name: upstream\n    static_configs: [ { targets: ["localhost:9100"] } ]\n' +
      (file.startsWith('tls_config') ? '    tls_config:\n' : '') +
      body.replace(/^/gm, indent) +
      '\n';
    const prometheusYml = path.join(work, `${file}.prometheus.yml`);
    writeFileSync(prometheusYml, wrapped);
    out.push({ name: `common/${file}`, prometheusYml, ownText: wrapped });
  }
  for (const file of readdirSync(path.join(UPSTREAM, 'prometheus')).filter((f) => f.endsWith('.yml')).sort()) {
    const prometheusYml = path.join(UPSTREAM, 'prometheus', file);
    out.push({ name: `prometheus/${file}`, prometheusYml, ownText: onlyScrapeConfigs(readFileSync(prometheusYml, 'utf8')) });
  }
  return out;
}

/** The top-level `scrape_configs:` blocks of a prometheus.yml, as written (a duplicate block stays a duplicate). */
function onlyScrapeConfigs(text: string): string | undefined {
  const kept: string[] = [];
  let keep = false;
  for (const line of text.split('\n')) {
    if (/^[A-Za-z_][\w-]*\s*:/.test(line)) keep = line.startsWith('scrape_configs:');
    if (keep) kept.push(line);
  }
  return kept.length > 0 ? kept.join('\n') + '\n' : undefined;
}

function promtoolAvailable(): boolean {
  try {
    execFileSync('promtool', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** promtool's verdict, with the file name deciding where 2.42 only lacks a newer field. */
async function promtoolVerdict(c: Case): Promise<{ verdict: Verdict; by: string }> {
  const { code, output } = await new Promise<{ code: number; output: string }>((resolve) => {
    execFile('promtool', ['check', 'config', '--syntax-only', c.prometheusYml], { timeout: 60_000 }, (err, stdout, stderr) =>
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, output: stdout + stderr }),
    );
  });
  if (code === 0) return { verdict: 'accept', by: 'promtool' };
  const unknown = [...output.matchAll(/field (\w+) not found in type/g)].map((m) => m[1]!);
  const onlyNewer = unknown.length > 0 && unknown.every((f) => NEWER_THAN_PROMTOOL.has(f)) && !/FAILED: (?!parsing YAML file .*yaml: unmarshal errors)/.test(output);
  if (!onlyNewer) return { verdict: 'refuse', by: `promtool: ${output.replace(/\s+/g, ' ').trim()}` };
  const base = path.basename(c.name);
  if (UNNAMED[c.name]) return { verdict: UNNAMED[c.name]!, by: `upstream test (2.42 lacks ${unknown.join(', ')})` };
  if (/\bgood\b/.test(base)) return { verdict: 'accept', by: `file name (2.42 lacks ${unknown.join(', ')})` };
  if (/\bbad\b/.test(base)) return { verdict: 'refuse', by: `file name (2.42 lacks ${unknown.join(', ')})` };
  throw new Error(`${c.name}: 2.42 lacks ${unknown.join(', ')} and the file name says neither good nor bad: add it to UNNAMED`);
}

async function verdictOf(load: () => unknown): Promise<{ verdict: Verdict; error?: string }> {
  try {
    await load();
    return { verdict: 'accept' };
  } catch (err) {
    if (err instanceof ConfigError) return { verdict: 'refuse', error: err.message };
    throw err;
  }
}

const available = promtoolAvailable();
if (!available) {
  // CI installs Debian's prometheus package (promtool); a developer machine may not have it.
  if (process.env['CI'] === 'true') throw new Error('promtool is missing: the differential test needs it (apt-get install prometheus)');
  console.warn('\n\n*** promtool not found: SKIPPING the upstream differential test (CI fails instead) ***\n\n');
}

describe.skipIf(!available)('agreement with promtool on Prometheus\'s own test data', () => {
  beforeAll(async () => {
    work = mkdtempSync(path.join(tmpdir(), 'upstream-differential-'));
    cases.push(...upstreamCases());
    // A few promtool processes at a time: the machine is shared.
    const queue = [...cases];
    await Promise.all(
      Array.from({ length: 3 }, async () => {
        for (let c = queue.shift(); c; c = queue.shift()) c.expected = await promtoolVerdict(c);
      }),
    );
  }, 300_000);
  afterAll(() => {
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('has the upstream fixtures and a reason for every listed difference', () => {
    expect(cases.length).toBeGreaterThanOrEqual(70);
    for (const name of Object.keys(DIFFERENCES)) expect(cases.map((c) => c.name)).toContain(name);
  });

  it('gives every case promtool\'s verdict, imported from prometheus.yml and in our own config, except the documented differences', async () => {
    const disagreements: string[] = [];
    for (const c of cases) {
      const expected = c.expected!;
      const difference = DIFFERENCES[c.name];
      const imported = await verdictOf(() => importPrometheusConfig(c.prometheusYml));
      const wantImported = difference?.imported ?? expected.verdict;
      if (imported.verdict !== wantImported) {
        disagreements.push(`${c.name} imported: ${imported.verdict}, want ${wantImported} (${expected.by})${imported.error ? `: ${imported.error}` : ''}`);
      }
      const wantOwn = difference?.own ?? (c.ownText === undefined ? 'n/a' : expected.verdict);
      if (wantOwn === 'n/a') continue;
      if (c.ownText === undefined) {
        disagreements.push(`${c.name} own: no scrape_configs to put in our own config, want ${wantOwn}`);
        continue;
      }
      const ownFile = path.join(work, `${path.basename(c.name)}.own.yml`);
      const own = await verdictOf(() => parseConfig(c.ownText!, ownFile));
      if (own.verdict !== wantOwn) disagreements.push(`${c.name} own: ${own.verdict}, want ${wantOwn} (${expected.by})${own.error ? `: ${own.error}` : ''}`);
    }
    expect(disagreements).toEqual([]);
  });

  it('still disagrees where it says it does (a difference that went away must leave the list)', async () => {
    const stale: string[] = [];
    for (const c of cases) {
      const difference = DIFFERENCES[c.name];
      if (!difference || !difference.imported) continue;
      if (difference.imported === c.expected!.verdict) stale.push(`${c.name}: imported verdict ${difference.imported} is promtool's`);
    }
    expect(stale).toEqual([]);
  });
});
