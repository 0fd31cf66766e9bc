// The config schema: the single source of the config's types, defaults and cross-field rules.
import { distance } from 'fastest-levenshtein';
import { z } from 'zod';
import { parseDurationDetailed } from './duration.js';
import { oauth2Problem, oauth2Shape, type OAuth2Fields } from './oauth2.js';
import { NOT_SHOWN, quoteValue, unknownFieldText } from './quote.js';
import { Secret } from './secret.js';

/** Extra keys a strict mapping knows without modelling them (Prometheus fields it accepts and ignores). */
const alsoKnownKeys = new WeakMap<object, readonly string[]>();

/** A mapping that rejects unknown keys, naming the closest known one. */
export function strict<T extends z.core.$ZodLooseShape>(shape: T, alsoKnown: readonly string[] = [], nullMessage?: string) {
  const known = [...Object.keys(shape), ...alsoKnown];
  const schema = z.strictObject(shape, {
    error: (issue) => {
      // A list item left empty (`- ` with nothing after it): Prometheus's words for it, where it has them.
      if (issue.code === 'invalid_type' && issue.input === null && nullMessage !== undefined) return nullMessage;
      if (issue.code !== 'unrecognized_keys') return undefined;
      return unknownKeyMessage(issue.keys[0] ?? '', known);
    },
  });
  return withAlsoKnown(schema, alsoKnown);
}

/**
 * Marks a (refined) mapping schema with the keys it accepts besides its shape, for the field walker (fields.ts),
 * which tells a typo from a field of a newer Prometheus. Zod copies a schema on every refinement, so the
 * final schema is the one registered.
 */
export function withAlsoKnown<S extends z.ZodType>(schema: S, alsoKnown: readonly string[]): S {
  alsoKnownKeys.set(schema, alsoKnown);
  return schema;
}

export function alsoKnownOf(schema: object): readonly string[] {
  return alsoKnownKeys.get(schema) ?? [];
}

/** The edit distance within which an unknown key is taken for a typo of a known one (SPEC: "two edits"). */
export const TYPO_MAX_EDITS = 2;

/** The known key an unknown one was probably meant to be: nearest by edit distance, then one it is a prefix of. */
export function nearestKnownKey(key: string, known: readonly string[]): { key: string; edits: number } | undefined {
  let best: { key: string; edits: number; prefix: boolean } | undefined;
  for (const candidate of known) {
    const edits = levenshtein(key.toLowerCase(), candidate.toLowerCase());
    const prefix = candidate.startsWith(key);
    if (!best || edits < best.edits || (edits === best.edits && prefix && !best.prefix)) best = { key: candidate, edits, prefix };
  }
  return best && { key: best.key, edits: best.edits };
}

export function unknownKeyMessage(key: string, known: readonly string[]): string {
  const nearest = nearestKnownKey(key, known);
  // Within two edits: the nearest. Further: a known key that starts with what was typed ("config" →
  // "config_file"), else one that is merely similar.
  const suggestion =
    nearest && nearest.edits <= TYPO_MAX_EDITS
      ? nearest.key
      : (known.find((k) => key.length >= 3 && k.startsWith(key)) ?? (nearest && similar(key, nearest.key) ? nearest.key : undefined));
  // Quoted through quote.ts: a key can be a secret typed without its space ("password:SECRET").
  return unknownFieldText(key, suggestion, known);
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

/** Edit distance, as the "did you mean" and typo rules count it. */
export const levenshtein: (a: string, b: string) => number = distance;

/** A Prometheus duration string, as milliseconds (model.ParseDuration: `1.5s`, `1S`, `30m1h`, `300y` are refused). */
export const duration = z.string({ error: 'expected a duration such as 30s, 5m or 1h' }).transform((text, ctx) => {
  const parsed = parseDurationDetailed(text);
  if (!parsed.ok) {
    // model.ParseDuration's words; the text typed is quoted only when it looks like a mistyped duration (quote.ts).
    const shown = quoteValue(text, [], /^-?[0-9][0-9A-Za-z .]*$/);
    const said = shown === NOT_SHOWN ? parsed.error.replace(`: ${JSON.stringify(text)}`, '') : parsed.error;
    ctx.addIssue({ code: 'custom', message: `${said} (use Prometheus units: ms, s, m, h, d, w, y)` });
    return z.NEVER;
  }
  return parsed.ms;
});

export const positiveDuration = duration.refine((ms) => ms > 0, { message: 'must be greater than 0' });

/** A Prometheus scrape duration, where 0 (as `0s`) means "not set": the default applies, as in Prometheus. */
const scrapeDuration = duration.transform((ms) => (ms === 0 ? undefined : ms));

const secret = z.string().transform((value) => new Secret(value));
const filePath = z.string().min(1, { message: 'must not be empty' });
const labelName = z.string().regex(/^[a-zA-Z_][a-zA-Z0-9_]*$/, { message: 'not a valid label name' });
const labels = z.record(labelName, z.string());

// prometheus/common: "unknown TLS version"; the enum's own message quotes the value only when it is a typo (quote.ts).
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
  // Trimmed, and empty means Bearer, as HTTPClientConfig.Validate() does.
  type: z
    .string()
    .transform((t) => t.trim() || 'Bearer')
    .default('Bearer'),
  credentials: secret.optional(),
  credentials_file: filePath.optional(),
});

const headerSchema = strict({
  values: z.array(z.string()).optional(),
  secrets: z.array(secret).optional(),
  files: z.array(filePath).optional(),
});

/**
 * Headers Prometheus will not let a scrape config set (prometheus/common config/headers.go ReservedHeaders):
 * they change the connection, are set by Prometheus itself, or carry authentication configured elsewhere.
 */
export const RESERVED_HEADERS: ReadonlySet<string> = new Set([
  'Authorization',
  'Host',
  'Content-Encoding',
  'Content-Length',
  'Content-Type',
  'User-Agent',
  'Connection',
  'Keep-Alive',
  'Proxy-Authenticate',
  'Proxy-Authorization',
  'Www-Authenticate',
  'Accept-Encoding',
  'X-Prometheus-Remote-Write-Version',
  'X-Prometheus-Remote-Read-Version',
  'X-Prometheus-Scrape-Timeout-Seconds',
  'X-Amz-Date',
  'X-Amz-Security-Token',
  'X-Amz-Content-Sha256',
]);

/** Go's http.CanonicalHeaderKey for header names made of letters, digits and dashes ("user-agent" → "User-Agent"). */
export function canonicalHeaderKey(name: string): string {
  if (!/^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/.test(name)) return name;
  return name.toLowerCase().replace(/(^|-)([a-z])/g, (_m, dash: string, c: string) => dash + c.toUpperCase());
}

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
  /** Scheduled probes keep their connection alive; a new one (full handshake) at least this often. Default 5m. */
  max_connection_age: positiveDuration.optional(),
  // /probe may send this job's credentials to any target a caller names (blackbox-style); off: only its own targets.
  allow_any_target: z.boolean().optional(),
});

const staticConfigSchema = strict(
  {
    targets: z.array(z.string().min(1, { message: 'must not be empty' })).default([]),
    labels: labels.optional(),
  },
  [],
  'empty or null section in static_configs',
);

const fileSdConfigSchema = strict({
  files: z.array(filePath).min(1, { message: 'at least one file is required' }),
  refresh_interval: positiveDuration.default(5 * 60_000),
});

/** Scrape config fields Prometheus has that change nothing about a probe: accepted and ignored. */
export const IGNORED_SCRAPE_FIELDS = new Set([
  'honor_labels',
  'honor_timestamps',
  'track_timestamps_staleness',
  'sample_limit',
  'label_limit',
  'label_name_length_limit',
  'label_value_length_limit',
  'target_limit',
  'keep_dropped_targets',
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

/** Prometheus's service discoveries other than static and file: Prometheus discovers, we accept the block and skip it. */
export const PROMETHEUS_SD_CONFIGS: readonly string[] = [
  'aws', 'azure', 'consul', 'digitalocean', 'dns', 'docker', 'dockerswarm', 'ec2', 'ecs', 'elasticache', 'eureka',
  'gce', 'hetzner', 'http', 'ionos', 'kubernetes', 'kuma', 'lightsail', 'linode', 'marathon', 'msk', 'nerve',
  'nomad', 'oci', 'openstack', 'outscale', 'ovhcloud', 'puppetdb', 'rds', 'scaleway', 'serverset', 'stackit',
  'triton', 'uyuni', 'vultr',
].map((name) => `${name}_sd_configs`);

const SD_SET = new Set(PROMETHEUS_SD_CONFIGS);

export function isIgnoredScrapeField(key: string): boolean {
  return IGNORED_SCRAPE_FIELDS.has(key) || SD_SET.has(key);
}

const scrapeConfigBase = strict(
  {
    job_name: z.string({ error: (issue) => (issue.input === undefined ? 'job_name is empty' : undefined) }),
    scheme: z.enum(['http', 'https']).default('http'),
    metrics_path: z.string().default('/metrics'),
    params: z.record(z.string(), z.array(z.string())).optional(),
    // The job's default probe interval (SPEC order: probe block, job, global).
    scrape_interval: scrapeDuration.optional(),
    scrape_timeout: scrapeDuration.optional(),
    static_configs: z.array(staticConfigSchema).default([]),
    file_sd_configs: z.array(fileSdConfigSchema).default([]),
    // Not applied to a probe, but checked: Prometheus refuses a bad value.
    body_size_limit: z.string().optional(),
    scrape_protocols: z.array(z.string()).optional(),
    fallback_scrape_protocol: z.string().optional(),
    // Not applied (a probe targets the address as written), but they decide whether a URL may stand in a target.
    relabel_configs: z.array(z.unknown()).optional(),
    metric_relabel_configs: z.array(z.unknown()).optional(),
    probe: probeBlockSchema.optional(),
    ...httpClientShape,
  },
  [...IGNORED_SCRAPE_FIELDS, ...PROMETHEUS_SD_CONFIGS],
  'empty or null scrape config section',
);

export type HttpClientConfig = {
  [K in keyof typeof httpClientShape]: z.output<(typeof httpClientShape)[K]>;
};

type IssueSink = { addIssue(issue: { code: 'custom'; message: string; path: (string | number)[] }): void };

const set = (v: unknown) => v !== undefined && v !== '';

/**
 * prometheus/common's HTTPClientConfig.Validate(), TLSConfig.Validate() and ProxyConfig.Validate(), in their
 * order and with their words. Only the first problem is reported, as Go returns the first error.
 */
export function validateHttpClient(http: Partial<HttpClientConfig>, ctx: IssueSink, at: (string | number)[] = []): void {
  const problem = httpClientProblem(http);
  if (problem) ctx.addIssue({ code: 'custom', message: problem.message, path: [...at, ...problem.path] });
}

function httpClientProblem(http: Partial<HttpClientConfig>): { path: (string | number)[]; message: string } | undefined {
  const tls = http.tls_config;
  if (tls) {
    if (set(tls.ca) && set(tls.ca_file)) return { path: ['tls_config', 'ca_file'], message: 'at most one of ca, ca_file & ca_ref must be configured' };
    if (set(tls.cert) && set(tls.cert_file)) return { path: ['tls_config', 'cert_file'], message: 'at most one of cert, cert_file & cert_ref must be configured' };
    if (set(tls.key) && set(tls.key_file)) return { path: ['tls_config', 'key_file'], message: 'at most one of key and key_file must be configured' };
    const hasCert = set(tls.cert) || set(tls.cert_file);
    const hasKey = set(tls.key) || set(tls.key_file);
    if (hasCert && !hasKey) {
      return { path: ['tls_config'], message: 'exactly one of key or key_file must be configured when a client certificate is configured' };
    }
    if (hasKey && !hasCert) {
      return { path: ['tls_config'], message: 'exactly one of cert or cert_file must be configured when a client key is configured' };
    }
  }
  const bearer = set(http.bearer_token) || set(http.bearer_token_file);
  if (set(http.bearer_token) && set(http.bearer_token_file)) {
    return { path: ['bearer_token_file'], message: 'at most one of bearer_token & bearer_token_file must be configured' };
  }
  if ((http.basic_auth || http.oauth2) && bearer) {
    return {
      path: [set(http.bearer_token) ? 'bearer_token' : 'bearer_token_file'],
      message: 'at most one of basic_auth, oauth2, bearer_token & bearer_token_file must be configured',
    };
  }
  const basic = http.basic_auth;
  if (basic && set(basic.username) && set(basic.username_file)) {
    return { path: ['basic_auth', 'username_file'], message: 'at most one of basic_auth username, username_file & username_ref must be configured' };
  }
  if (basic && set(basic.password) && set(basic.password_file)) {
    return { path: ['basic_auth', 'password_file'], message: 'at most one of basic_auth password, password_file & password_ref must be configured' };
  }
  const auth = http.authorization;
  if (auth) {
    if (bearer) return { path: ['authorization'], message: 'authorization is not compatible with bearer_token & bearer_token_file' };
    if (set(auth.credentials) && set(auth.credentials_file)) {
      return { path: ['authorization', 'credentials_file'], message: 'at most one of authorization credentials & credentials_file must be configured' };
    }
    if (auth.type.toLowerCase() === 'basic') {
      return { path: ['authorization', 'type'], message: 'authorization type cannot be set to "basic", use "basic_auth" instead' };
    }
    if (http.basic_auth || http.oauth2) return { path: ['authorization'], message: 'at most one of basic_auth, oauth2 & authorization must be configured' };
  }
  const oauth2 = http.oauth2;
  if (oauth2) {
    if (http.basic_auth) return { path: ['oauth2'], message: 'at most one of basic_auth, oauth2 & authorization must be configured' };
    const problem = oauth2Problem(oauth2 as OAuth2Fields);
    if (problem) return { path: ['oauth2', ...problem.path], message: problem.message };
    // The block's own tls_config and proxy settings follow the job's rules (prometheus/common embeds the same types).
    const { tls_config, proxy_url, no_proxy, proxy_from_environment, proxy_connect_header } = oauth2;
    const own = httpClientProblem({ tls_config, proxy_url, no_proxy, proxy_from_environment, proxy_connect_header, follow_redirects: true });
    if (own) return { path: ['oauth2', ...own.path], message: own.message };
  }
  const proxyUrl = http.proxy_url !== undefined;
  const fromEnv = http.proxy_from_environment === true;
  if (Object.keys(http.proxy_connect_header ?? {}).length > 0 && !fromEnv && !proxyUrl) {
    return { path: ['proxy_connect_header'], message: 'if proxy_connect_header is configured, proxy_url or proxy_from_environment must also be configured' };
  }
  if (fromEnv && proxyUrl) return { path: ['proxy_from_environment'], message: 'if proxy_from_environment is configured, proxy_url must not be configured' };
  if (fromEnv && set(http.no_proxy)) return { path: ['no_proxy'], message: 'if proxy_from_environment is configured, no_proxy must not be configured' };
  if (!proxyUrl && set(http.no_proxy)) return { path: ['no_proxy'], message: 'if no_proxy is configured, proxy_url must also be configured' };
  for (const name of Object.keys(http.http_headers ?? {})) {
    const canonical = canonicalHeaderKey(name);
    if (RESERVED_HEADERS.has(canonical)) return { path: ['http_headers', name], message: `setting header ${JSON.stringify(canonical)} is not allowed` };
  }
  return undefined;
}

/** Prometheus's ScrapeProtocolsHeaders keys. */
const SCRAPE_PROTOCOLS = ['OpenMetricsText0.0.1', 'OpenMetricsText1.0.0', 'PrometheusProto', 'PrometheusText0.0.4', 'PrometheusText1.0.0'];
const UNKNOWN_PROTOCOL = `unknown scrape protocol, supported: [${SCRAPE_PROTOCOLS.join(' ')}]`;
/** alecthomas/units ParseBase2Bytes, as body_size_limit is read: a number with a unit, repeated ("1GiB512MiB"), or 0. */
const BASE2_BYTES = /^(?:0|(?:\d+(?:\.\d+)?(?:[KMGTPE]i?B|B))+)$/;

/** A target with a scheme or path: Prometheus refuses it unless relabelling rewrites the address. */
function targetProblem(): string {
  // Prometheus quotes the target; a URL can hold a password (userinfo), so ours says where, not what.
  return 'not a valid hostname: a target is host:port (a scheme or path belongs in scheme and metrics_path, or in relabel_configs)';
}

/** Prometheus's ScrapeConfig.UnmarshalYAML checks that need the whole job, after its HTTP client checks. */
function validateScrapeConfig(job: z.output<typeof scrapeConfigBase>, ctx: IssueSink): void {
  validateHttpClient(job, ctx);
  const relabelled = (job.relabel_configs?.length ?? 0) > 0;
  if (!relabelled) {
    job.static_configs.forEach((group, g) =>
      group.targets.forEach((target, t) => {
        if (target.includes('/')) ctx.addIssue({ code: 'custom', path: ['static_configs', g, 'targets', t], message: targetProblem() });
      }),
    );
  }
  job.relabel_configs?.forEach((rule, i) => {
    if (rule === null) ctx.addIssue({ code: 'custom', path: ['relabel_configs', i], message: 'empty or null target relabeling rule in scrape config' });
  });
  job.metric_relabel_configs?.forEach((rule, i) => {
    if (rule === null) ctx.addIssue({ code: 'custom', path: ['metric_relabel_configs', i], message: 'empty or null metric relabeling rule in scrape config' });
  });
  const named = `for scrape config with job name ${JSON.stringify(job.job_name)}`;
  if (job.body_size_limit !== undefined && !BASE2_BYTES.test(job.body_size_limit)) {
    ctx.addIssue({ code: 'custom', path: ['body_size_limit'], message: 'units: not a size with a unit such as 100KiB or 10MB' });
  }
  if (job.scrape_protocols !== undefined) {
    const seen = new Set<string>();
    const problem =
      job.scrape_protocols.length === 0
        ? `scrape_protocols cannot be empty ${named}`
        : job.scrape_protocols.map((p) => {
            if (seen.has(p.toLowerCase())) return `duplicated protocol in scrape_protocols ${named}`;
            seen.add(p.toLowerCase());
            return SCRAPE_PROTOCOLS.includes(p) ? undefined : `scrape_protocols: ${UNKNOWN_PROTOCOL} ${named}`;
          }).find((m) => m !== undefined);
    if (problem) ctx.addIssue({ code: 'custom', path: ['scrape_protocols'], message: problem });
  }
  if (job.fallback_scrape_protocol !== undefined && !SCRAPE_PROTOCOLS.includes(job.fallback_scrape_protocol)) {
    ctx.addIssue({ code: 'custom', path: ['fallback_scrape_protocol'], message: `invalid fallback_scrape_protocol ${named}: ${UNKNOWN_PROTOCOL}` });
  }
  if (job.scrape_interval !== undefined && job.scrape_timeout !== undefined && job.scrape_timeout > job.scrape_interval) {
    ctx.addIssue({
      code: 'custom',
      path: ['scrape_timeout'],
      message: `scrape timeout greater than scrape interval for scrape config with job name ${JSON.stringify(job.job_name)}`,
    });
  }
}

export const scrapeConfigSchema = withAlsoKnown(
  scrapeConfigBase
    .superRefine((job, ctx) => validateScrapeConfig(job, ctx))
    .transform((job) => {
      if ((job.relabel_configs?.length ?? 0) === 0) return job;
      // With relabelling, a target may be a URL that only relabelling turns into an address (blackbox-style
      // jobs): Prometheus accepts it, and a probe of the text as written would be meaningless, so it is left out.
      return { ...job, static_configs: job.static_configs.map((g) => ({ ...g, targets: g.targets.filter((t) => !t.includes('/')) })) };
    }),
  [...IGNORED_SCRAPE_FIELDS, ...PROMETHEUS_SD_CONFIGS],
);

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
    const problem = timingProblem(job, config.global);
    if (problem) ctx.addIssue({ code: 'custom', path: ['scrape_configs', i, ...problem.path], message: problem.message });
  });
});

/**
 * Our own probe block against the rest: a probe.timeout above the interval, or a probe.interval below the
 * job's scrape_timeout, cannot be meant. (scrape_timeout above scrape_interval is Prometheus's own check, in
 * the job's schema.) A job's scrape_timeout above our global probe_interval is cut to it instead, as
 * Prometheus cuts its global default timeout to a shorter job interval.
 */
function timingProblem(job: ScrapeConfig, global: GlobalConfig): { path: string[]; message: string } | undefined {
  const interval = job.probe?.interval ?? job.scrape_interval ?? global.probe_interval;
  const message = `probe timeout greater than probe interval for scrape config with job name "${job.job_name}"`;
  if (job.probe?.timeout !== undefined) return job.probe.timeout > interval ? { path: ['probe', 'timeout'], message } : undefined;
  if (job.probe?.interval !== undefined && job.scrape_timeout !== undefined && job.scrape_timeout > interval) {
    return { path: ['scrape_timeout'], message };
  }
  return undefined;
}

export type Config = z.output<typeof configSchema>;
export type GlobalConfig = Config['global'];
export type CredentialFileConfig = Config['credential_files'][number];
export type PrometheusSidecarConfig = NonNullable<Config['prometheus']>;
export type KubernetesConfig = NonNullable<Config['kubernetes']>;
export type RbacCheck = z.output<typeof rbacCheckSchema>;

/**
 * Effective probe interval and timeout of a job, as the scheduler uses them. Interval: the probe block, the
 * job's scrape_interval, the global probe_interval, in that order. Timeout: the probe block, the job's
 * scrape_timeout, the global probe_timeout, never above the interval (Prometheus: min(timeout, interval)).
 */
export function probeTiming(job: ScrapeConfig, global: GlobalConfig): { intervalMs: number; timeoutMs: number } {
  const intervalMs = job.probe?.interval ?? job.scrape_interval ?? global.probe_interval;
  const timeoutMs = job.probe?.timeout ?? job.scrape_timeout ?? global.probe_timeout;
  return { intervalMs, timeoutMs: Math.min(timeoutMs, intervalMs) };
}
