// The config schema: the single source of the config's types, defaults and cross-field rules.
import { z } from 'zod';
import { closest } from 'fastest-levenshtein';
import { parseDuration } from './duration.js';
import { oauth2Problem, oauth2Shape } from './oauth2.js';
import { NOT_SHOWN, quoteValue, unknownFieldText } from './quote.js';
import { Secret } from './secret.js';

/** A mapping that rejects unknown keys, naming the closest known one. */
export function strict<T extends z.core.$ZodLooseShape>(shape: T) {
  const known = Object.keys(shape);
  return z.strictObject(shape, {
    error: (issue) => {
      if (issue.code !== 'unrecognized_keys') return undefined;
      return unknownKeyMessage(issue.keys[0] ?? '', known);
    },
  });
}

export function unknownKeyMessage(key: string, known: string[]): string {
  // A known key that starts with what was typed ("config" → "config_file") beats a merely close one.
  const prefixed = known.find((k) => k.startsWith(key));
  const suggestion = prefixed ?? (known.length > 0 ? closest(key, known) : undefined);
  const near = suggestion !== undefined && similar(key, suggestion);
  // Quoted through quote.ts: a key can be a secret typed without its space ("password:SECRET").
  return unknownFieldText(key, near ? suggestion : undefined, known);
}

function similar(a: string, b: string): boolean {
  const la = a.toLowerCase();
  const lb = b.toLowerCase();
  if (la.includes(lb) || lb.includes(la)) return true;
  // Small edit distance relative to length: typos, not unrelated words.
  let prefix = 0;
  while (prefix < la.length && la[prefix] === lb[prefix]) prefix++;
  return prefix >= 3 || levenshtein(la, lb) <= Math.max(2, Math.floor(lb.length / 3));
}

function levenshtein(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cur = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = cur;
    }
  }
  return row[b.length]!;
}

/** A Prometheus duration string, as milliseconds. */
export const duration = z.string({ error: 'expected a duration such as 30s, 5m or 1h' }).transform((text, ctx) => {
  const ms = parseDuration(text);
  if (ms === undefined) {
    const shown = quoteValue(text, [], /^-?[0-9][0-9A-Za-z .]*$/);
    ctx.addIssue({ code: 'custom', message: `not a valid duration string${shown === NOT_SHOWN ? '' : `: ${shown}`} (use Prometheus units: ms, s, m, h, d, w, y)` });
    return z.NEVER;
  }
  return ms;
});

export const positiveDuration = duration.refine((ms) => ms > 0, { message: 'must be greater than 0' });

const secret = z.string().transform((value) => new Secret(value));
const filePath = z.string().min(1, { message: 'must not be empty' });
const labelName = z.string().regex(/^[a-zA-Z_][a-zA-Z0-9_]*$/, { message: 'not a valid label name' });
const labels = z.record(labelName, z.string());

const tlsVersion = z.enum(['TLS10', 'TLS11', 'TLS12', 'TLS13']);

export const tlsConfigSchema = strict({
  ca: z.string().optional(),
  ca_file: filePath.optional(),
  cert: z.string().optional(),
  cert_file: filePath.optional(),
  key: secret.optional(),
  key_file: filePath.optional(),
  server_name: z.string().optional(),
  insecure_skip_verify: z.boolean().default(false),
  min_version: tlsVersion.optional(),
  max_version: tlsVersion.optional(),
});

const basicAuthSchema = strict({
  username: z.string().optional(),
  username_file: filePath.optional(),
  password: secret.optional(),
  password_file: filePath.optional(),
});

const authorizationSchema = strict({
  type: z.string().default('Bearer'),
  credentials: secret.optional(),
  credentials_file: filePath.optional(),
});

const headerSchema = strict({
  values: z.array(z.string()).optional(),
  secrets: z.array(secret).optional(),
  files: z.array(filePath).optional(),
});

/** prometheus/common's ProxyConfig: a job's and its oauth2 block's. */
const proxyShape = {
  proxy_url: z
    .string()
    .refine((u) => URL.canParse(u), { message: 'not a valid URL' })
    .transform((u) => new Secret(u))
    .optional(),
  no_proxy: z.string().optional(),
  proxy_from_environment: z.boolean().optional(),
  proxy_connect_header: z.record(z.string(), z.array(secret)).optional(),
};

const oauth2Schema = strict(oauth2Shape({ secret, filePath, own: { tls_config: tlsConfigSchema.optional(), ...proxyShape } }));

/** The fields of Prometheus's common HTTPClientConfig that decide how a request authenticates. */
export const httpClientShape = {
  basic_auth: basicAuthSchema.optional(),
  authorization: authorizationSchema.optional(),
  bearer_token: secret.optional(),
  bearer_token_file: filePath.optional(),
  oauth2: oauth2Schema.optional(),
  tls_config: tlsConfigSchema.optional(),
  ...proxyShape,
  follow_redirects: z.boolean().default(true),
  enable_http2: z.boolean().optional(),
  http_headers: z.record(z.string(), headerSchema).optional(),
};

export const probeBlockSchema = strict({
  interval: positiveDuration.optional(),
  timeout: positiveDuration.optional(),
  check_unauthenticated: z.boolean().default(false),
  // /probe may send this job's credentials to any target a caller names (blackbox-style); off: only its own targets.
  allow_any_target: z.boolean().optional(),
});

const staticConfigSchema = strict({
  targets: z.array(
    z.string().refine((t) => t.length > 0 && !t.includes('/'), { message: 'not a valid target: use host:port' }),
  ),
  labels: labels.optional(),
});

const fileSdConfigSchema = strict({
  files: z.array(filePath).min(1, { message: 'at least one file is required' }),
  refresh_interval: positiveDuration.default(5 * 60_000),
});

/** Scrape config fields Prometheus has that change nothing about a probe: accepted and ignored. */
export const IGNORED_SCRAPE_FIELDS = new Set([
  'scrape_interval',
  'honor_labels',
  'honor_timestamps',
  'track_timestamps_staleness',
  'relabel_configs',
  'metric_relabel_configs',
  'sample_limit',
  'label_limit',
  'label_name_length_limit',
  'label_value_length_limit',
  'target_limit',
  'body_size_limit',
  'keep_dropped_targets',
  'scrape_protocols',
  'fallback_scrape_protocol',
  'enable_compression',
  'scrape_classic_histograms',
  'always_scrape_classic_histograms',
  'convert_classic_histograms_to_nhcb',
  'native_histogram_bucket_limit',
  'native_histogram_min_bucket_factor',
  'metric_name_validation_scheme',
  'metric_name_escaping_scheme',
  'scrape_failure_log_file',
  'scrape_native_histograms',
  'extra_scrape_metrics',
]);

/** Service discovery other than static and file: Prometheus discovers, we accept the block and skip it. */
export function isIgnoredScrapeField(key: string): boolean {
  return IGNORED_SCRAPE_FIELDS.has(key) || (key.endsWith('_sd_configs') && key !== 'file_sd_configs');
}

const scrapeConfigBase = strict({
  job_name: z.string().min(1, { message: 'must not be empty' }),
  scheme: z.enum(['http', 'https']).default('http'),
  metrics_path: z.string().default('/metrics'),
  params: z.record(z.string(), z.array(z.string())).optional(),
  scrape_timeout: positiveDuration.optional(),
  static_configs: z.array(staticConfigSchema).default([]),
  file_sd_configs: z.array(fileSdConfigSchema).default([]),
  probe: probeBlockSchema.optional(),
  ...httpClientShape,
});

export type HttpClientConfig = {
  [K in keyof typeof httpClientShape]: z.output<(typeof httpClientShape)[K]>;
};

type IssueSink = { addIssue(issue: { code: 'custom'; message: string; path: (string | number)[] }): void };

/** Prometheus's HTTPClientConfig.Validate(): one way to authenticate, one source per secret. */
export function validateHttpClient(http: Partial<HttpClientConfig>, ctx: IssueSink, at: (string | number)[] = []): void {
  const fail = (path: (string | number)[], message: string) => ctx.addIssue({ code: 'custom', message, path: [...at, ...path] });
  const bearer = http.bearer_token !== undefined || http.bearer_token_file !== undefined;
  const methods = (['basic_auth', 'authorization', 'oauth2'] as const).filter((k) => http[k] !== undefined);
  if (bearer) methods.push('authorization');
  if (methods.length > 1) {
    const second = (['authorization', 'oauth2'] as const).find((k) => http[k] !== undefined) ?? 'bearer_token';
    const where = second === 'bearer_token' && http.bearer_token === undefined ? 'bearer_token_file' : second;
    fail([where], 'at most one of basic_auth, oauth2, bearer_token & bearer_token_file (authorization) must be configured');
  }
  if (http.bearer_token !== undefined && http.bearer_token_file !== undefined) {
    fail(['bearer_token_file'], 'at most one of bearer_token & bearer_token_file must be configured');
  }
  const basic = http.basic_auth;
  if (basic) {
    if (basic.password !== undefined && basic.password_file !== undefined) {
      fail(['basic_auth'], 'at most one of password and password_file must be configured');
    }
    if (basic.username !== undefined && basic.username_file !== undefined) {
      fail(['basic_auth'], 'at most one of username and username_file must be configured');
    }
  }
  const auth = http.authorization;
  if (auth) {
    if (auth.credentials !== undefined && auth.credentials_file !== undefined) {
      fail(['authorization'], 'at most one of credentials and credentials_file must be configured');
    }
    if (auth.type.toLowerCase() === 'basic') {
      fail(['authorization', 'type'], 'authorization type cannot be set to "basic", use "basic_auth" instead');
    }
  }
  if (http.oauth2) {
    const problem = oauth2Problem(http.oauth2);
    if (problem) fail(['oauth2', ...problem.path], problem.message);
    // The block's own tls_config and proxy settings follow the job's rules (prometheus/common embeds the same types).
    const { tls_config, proxy_url, no_proxy, proxy_from_environment, proxy_connect_header } = http.oauth2;
    validateHttpClient({ tls_config, proxy_url, no_proxy, proxy_from_environment, proxy_connect_header }, ctx, [...at, 'oauth2']);
  }
  const tls = http.tls_config;
  if (tls) {
    for (const [inline, file] of [['ca', 'ca_file'], ['cert', 'cert_file'], ['key', 'key_file']] as const) {
      if (tls[inline] !== undefined && tls[file] !== undefined) {
        fail(['tls_config'], `at most one of ${inline} and ${file} must be configured`);
      }
    }
    const hasCert = tls.cert !== undefined || tls.cert_file !== undefined;
    const hasKey = tls.key !== undefined || tls.key_file !== undefined;
    if (hasCert !== hasKey) {
      fail(['tls_config'], 'exactly one of key or key_file must be configured when a client certificate is configured (and vice versa)');
    }
  }
}

export const scrapeConfigSchema = scrapeConfigBase.superRefine((job, ctx) => validateHttpClient(job, ctx));

export type ScrapeConfig = z.output<typeof scrapeConfigSchema>;
export type ProbeBlock = z.output<typeof probeBlockSchema>;
export type TlsConfig = z.output<typeof tlsConfigSchema>;

const globalSchema = strict({
  probe_interval: positiveDuration.default(30_000),
  probe_timeout: positiveDuration.default(10_000),
  credential_poll_interval: positiveDuration.default(10_000),
  max_concurrent_probes: z.number().int().positive().default(64),
});

/** Labels the credential metrics set themselves; an entry's own labels must not collide with them. */
export const RESERVED_CREDENTIAL_LABELS = ['path', 'type', 'subject', 'issuer', 'scrape_job', 'usage'] as const;

const credentialFileSchema = strict({
  path: filePath,
  labels: labels
    .refine((l) => !Object.keys(l).some((k) => (RESERVED_CREDENTIAL_LABELS as readonly string[]).includes(k) || k.startsWith('__')), {
      message: `label names ${RESERVED_CREDENTIAL_LABELS.map((n) => `"${n}"`).join(', ')} and those starting with "__" are set by the exporter`,
    })
    .optional(),
});

const prometheusSchema = strict({
  config_file: filePath.optional(),
  url: z
    .string()
    .refine((u) => URL.canParse(u) && /^https?:$/.test(new URL(u).protocol), { message: 'not a valid http(s) URL' })
    .optional(),
  jobs: z.array(z.string()).optional(),
  probe: probeBlockSchema.optional(),
  ...httpClientShape,
}).superRefine((p, ctx) => validateHttpClient(p, ctx));

const rbacCheckSchema = strict({
  verb: z.string().min(1),
  resource: z.string().min(1),
  subresource: z.string().optional(),
  group: z.string().optional(),
  namespace: z.string().optional(),
  name: z.string().optional(),
});

const kubernetesSchema = strict({
  // Unset: on when running in a cluster (KUBERNETES_SERVICE_HOST is set), off elsewhere.
  enabled: z.boolean().optional(),
  check_interval: positiveDuration.optional(),
  rbac_checks: z.array(rbacCheckSchema).optional(),
});

export const configSchema = strict({
  global: globalSchema.prefault({}),
  scrape_configs: z.array(scrapeConfigSchema).default([]),
  credential_files: z.array(credentialFileSchema).default([]),
  prometheus: prometheusSchema.optional(),
  kubernetes: kubernetesSchema.optional(),
}).superRefine((config, ctx) => {
  const { probe_interval, probe_timeout } = config.global;
  if (probe_timeout > probe_interval) {
    ctx.addIssue({ code: 'custom', path: ['global', 'probe_timeout'], message: 'probe_timeout must not exceed probe_interval' });
  }
  const seen = new Set<string>();
  config.scrape_configs.forEach((job, i) => {
    if (seen.has(job.job_name)) {
      ctx.addIssue({ code: 'custom', path: ['scrape_configs', i, 'job_name'], message: `found multiple scrape configs with job name "${job.job_name}"` });
    }
    seen.add(job.job_name);
    const interval = job.probe?.interval ?? probe_interval;
    const timeout = job.probe?.timeout ?? job.scrape_timeout ?? probe_timeout;
    if (timeout > interval) {
      const field = job.probe?.timeout !== undefined ? ['probe', 'timeout'] : job.scrape_timeout !== undefined ? ['scrape_timeout'] : ['job_name'];
      ctx.addIssue({
        code: 'custom',
        path: ['scrape_configs', i, ...field],
        message: `probe timeout greater than probe interval for scrape config with job name "${job.job_name}"`,
      });
    }
  });
});

export type Config = z.output<typeof configSchema>;
export type GlobalConfig = Config['global'];
export type CredentialFileConfig = Config['credential_files'][number];
export type PrometheusSidecarConfig = NonNullable<Config['prometheus']>;
export type KubernetesConfig = NonNullable<Config['kubernetes']>;
export type RbacCheck = z.output<typeof rbacCheckSchema>;

/** Effective probe interval and timeout of a job, as the scheduler uses them. */
export function probeTiming(job: ScrapeConfig, global: GlobalConfig): { intervalMs: number; timeoutMs: number } {
  return {
    intervalMs: job.probe?.interval ?? global.probe_interval,
    timeoutMs: job.probe?.timeout ?? job.scrape_timeout ?? global.probe_timeout,
  };
}
