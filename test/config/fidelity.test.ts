import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from '../../src/config/load.js';
import { probeTiming, type ScrapeConfig } from '../../src/config/schema.js';
import { parsePrometheusConfig } from '../../src/sidecar/import.js';

// One validation for both paths: each job below is put into our own config's scrape_configs and into an
// imported prometheus.yml, and must get the same verdict in both, as `promtool check config` gives it.
const OWN = '/etc/scrape-auth/scrape-auth.yml';
const PROM = '/etc/prometheus/prometheus.yml';

const asJob = (body: string) => {
  const targets = body.includes('static_configs') ? '' : '    static_configs: [ { targets: ["app:8080"] } ]\n';
  return `scrape_configs:\n  - job_name: app\n${targets}${body.replace(/^/gm, '    ')}\n`;
};

function ownJobs(text: string): ScrapeConfig[] {
  return parseConfig(text, OWN).config.scrape_configs;
}
function importedJobs(text: string): ScrapeConfig[] {
  return parsePrometheusConfig(text, PROM).jobs;
}
function refusal(load: () => unknown): string {
  try {
    load();
  } catch (err) {
    if (err instanceof ConfigError) return err.message;
    throw err;
  }
  throw new Error('loaded without error');
}

// What Prometheus refuses, with the words it uses (after our file:line:col: key.path:).
const REFUSED: [name: string, job: string, message: RegExp][] = [
  ['password and password_file', 'basic_auth: { username: u, password: p-canary, password_file: pw }', /basic_auth\.password_file: at most one of basic_auth password, password_file & password_ref must be configured$/],
  ['username and username_file', 'basic_auth: { username: u, username_file: uf }', /basic_auth\.username_file: at most one of basic_auth username, username_file & username_ref must be configured$/],
  ['bearer_token and bearer_token_file', 'bearer_token: t-canary\nbearer_token_file: tf', /bearer_token_file: at most one of bearer_token & bearer_token_file must be configured$/],
  ['basic_auth and bearer_token', 'basic_auth: { username: u }\nbearer_token: t-canary', /bearer_token: at most one of basic_auth, oauth2, bearer_token & bearer_token_file must be configured$/],
  ['authorization and bearer_token_file', 'authorization: { type: APIKEY }\nbearer_token_file: tf', /authorization: authorization is not compatible with bearer_token & bearer_token_file$/],
  ['authorization credentials and file', 'authorization: { credentials: c-canary, credentials_file: cf }', /authorization\.credentials_file: at most one of authorization credentials & credentials_file must be configured$/],
  ['authorization type Basic', 'authorization: { type: " Basic " }', /authorization\.type: authorization type cannot be set to "basic", use "basic_auth" instead$/],
  ['basic_auth and authorization', 'basic_auth: { username: u }\nauthorization: { credentials: c-canary }', /authorization: at most one of basic_auth, oauth2 & authorization must be configured$/],
  ['basic_auth and oauth2', 'basic_auth: { username: u }\noauth2: { client_id: a, token_url: "http://t/" }', /oauth2: at most one of basic_auth, oauth2 & authorization must be configured$/],
  ['oauth2 without client_id', 'oauth2: { client_secret: s-canary, token_url: "http://t/" }', /oauth2: oauth2 client_id must be configured$/],
  ['oauth2 without token_url', 'oauth2: { client_id: a }', /oauth2: oauth2 token_url must be configured$/],
  ['tls_config cert without key', 'tls_config: { cert_file: c.pem }', /tls_config: exactly one of key or key_file must be configured when a client certificate is configured$/],
  ['tls_config key without cert', 'tls_config: { key_file: k.pem }', /tls_config: exactly one of cert or cert_file must be configured when a client key is configured$/],
  ['tls_config ca and ca_file', 'tls_config: { ca: "-----BEGIN", ca_file: ca.pem }', /tls_config\.ca_file: at most one of ca, ca_file & ca_ref must be configured$/],
  ['an unknown TLS version', 'tls_config: { min_version: TLS14 }', /tls_config\.min_version: must be one of "TLS10", "TLS11", "TLS12", "TLS13", got "TLS14"$/],
  ['no_proxy without proxy_url', 'no_proxy: 127.0.0.1', /no_proxy: if no_proxy is configured, proxy_url must also be configured$/],
  ['proxy_from_environment with proxy_url', 'proxy_from_environment: true\nproxy_url: "http://p:3128"', /proxy_from_environment: if proxy_from_environment is configured, proxy_url must not be configured$/],
  ['proxy_from_environment with no_proxy', 'proxy_from_environment: true\nno_proxy: 10.0.0.0/8', /no_proxy: if proxy_from_environment is configured, no_proxy must not be configured$/],
  ['proxy_connect_header without a proxy', 'proxy_connect_header: { X-Token: [h-canary] }', /proxy_connect_header: if proxy_connect_header is configured, proxy_url or proxy_from_environment must also be configured$/],
  ['a reserved http_headers name, any case', 'http_headers: { user-agent: { values: [x] } }', /http_headers\["user-agent"\]: setting header "User-Agent" is not allowed$/],
  ['Authorization in http_headers', 'http_headers: { authorization: { secrets: [s-canary] } }', /setting header "Authorization" is not allowed$/],
  ['scrape_timeout above scrape_interval', 'scrape_interval: 5s\nscrape_timeout: 6s', /scrape_timeout: scrape timeout greater than scrape interval for scrape config with job name "app"$/],
  ['1.5s', 'scrape_timeout: 1.5s', /scrape_timeout: not a valid duration string: "1\.5s" \(use Prometheus units: ms, s, m, h, d, w, y\)$/],
  ['1S', 'scrape_timeout: 1S', /scrape_timeout: not a valid duration string: "1S" \(use Prometheus units: ms, s, m, h, d, w, y\)$/],
  ['30m1h', 'scrape_interval: 30m1h', /scrape_interval: not a valid duration string: "30m1h" \(use Prometheus units: ms, s, m, h, d, w, y\)$/],
  ['300y', 'scrape_interval: 300y', /scrape_interval: duration out of range \(use Prometheus units: ms, s, m, h, d, w, y\)$/],
  ['a number as a duration', 'scrape_timeout: 10', /scrape_timeout: not a valid duration string: "10" \(use Prometheus units: ms, s, m, h, d, w, y\)$/],
  ['a scheme inside a target', 'static_configs: [ { targets: ["https://app:8080"] } ]', /static_configs\[0\]\.targets\[0\]: not a valid hostname: a target is host:port/],
  ['a target with userinfo, not quoted', 'static_configs: [ { targets: ["http://u:pw-canary@app"] } ]', /targets\[0\]: not a valid hostname: a target is host:port/],
  ['an empty static_configs item', 'static_configs:\n  -', /static_configs\[0\]: empty or null section in static_configs$/],
  ['a null relabelling rule', 'relabel_configs:\n  -', /relabel_configs\[0\]: empty or null target relabeling rule in scrape config$/],
  ['a body_size_limit without a unit', 'body_size_limit: 100', /body_size_limit: units: not a size with a unit such as 100KiB or 10MB$/],
  ['an unknown scrape protocol', 'scrape_protocols: [PrometheusText0.0.4, prometheusproto]', /scrape_protocols: scrape_protocols: unknown scrape protocol, supported: \[OpenMetricsText0\.0\.1 OpenMetricsText1\.0\.0 PrometheusProto PrometheusText0\.0\.4 PrometheusText1\.0\.0\] for scrape config with job name "app"$/],
  ['a duplicated scrape protocol', 'scrape_protocols: [PrometheusProto, prometheusproto]', /duplicated protocol in scrape_protocols for scrape config with job name "app"$/],
  ['an unknown fallback_scrape_protocol', 'fallback_scrape_protocol: text', /fallback_scrape_protocol: invalid fallback_scrape_protocol for scrape config with job name "app": unknown scrape protocol/],
  ['a typo of a known field', 'basic_auht: { username: u, password: p-canary }', /basic_auht: unknown field "basic_auht", did you mean "basic_auth"\?$/],
  ['a typo of an ignored Prometheus field', 'scrape_intervall: 1m', /scrape_intervall: unknown field "scrape_intervall", did you mean "scrape_interval"\?$/],
  ['a typo of a service discovery', 'consult_sd_configs: [ { server: "c:8500" } ]', /consult_sd_configs: unknown field "consult_sd_configs", did you mean "consul_sd_configs"\?$/],
  ['a typo inside basic_auth', 'basic_auth: { username: u, pasword_file: pw }', /basic_auth\.pasword_file: unknown field "pasword_file", did you mean "password_file"\?$/],
];

describe('what Prometheus refuses, refused in both paths', () => {
  it.each(REFUSED)('%s', (_name, body, message) => {
    const text = asJob(body);
    const own = refusal(() => ownJobs(text));
    const imported = refusal(() => importedJobs(text));
    expect(own).toMatch(new RegExp(`^${OWN}:\\d+:\\d+: scrape_configs\\[0\\]`));
    expect(own).toMatch(message);
    expect(imported).toMatch(new RegExp(`^${PROM}:\\d+:\\d+: scrape_configs\\[0\\]`));
    expect(imported).toMatch(message);
    // Same place in both files: the job text is the same.
    expect(own.slice(OWN.length)).toBe(imported.slice(PROM.length));
    expect(own + imported).not.toContain('canary');
  });

  it('refuses two jobs with one job_name', () => {
    const text = 'scrape_configs:\n  - job_name: a\n  - job_name: b\n  - job_name: a\n';
    expect(refusal(() => ownJobs(text))).toBe(`${OWN}:4:15: scrape_configs[2].job_name: found multiple scrape configs with job name "a"`);
    expect(refusal(() => importedJobs(text))).toBe(`${PROM}:4:15: scrape_configs[2].job_name: found multiple scrape configs with job name "a"`);
  });

  it('refuses an empty job_name and an empty scrape_configs item', () => {
    expect(refusal(() => importedJobs('scrape_configs:\n  - job_name:\n'))).toMatch(/scrape_configs\[0\](\.job_name)?: job_name is empty$/);
    expect(refusal(() => ownJobs('scrape_configs:\n  - job_name:\n'))).toMatch(/scrape_configs\[0\](\.job_name)?: job_name is empty$/);
    expect(refusal(() => importedJobs('scrape_configs:\n  -\n'))).toMatch(/scrape_configs\[0\]: empty or null scrape config section$/);
    expect(refusal(() => ownJobs('scrape_configs:\n  -\n'))).toMatch(/scrape_configs\[0\]: empty or null scrape config section$/);
  });
});

describe("YAML read as Prometheus's Go reader reads it, in both paths", () => {
  const both = (body: string, check: (job: ScrapeConfig) => void) => {
    const text = asJob(body);
    check(ownJobs(text)[0]!);
    check(importedJobs(text)[0]!);
  };

  it('takes YAML 1.1 booleans (yes, off, on, n)', () => {
    both('follow_redirects: off\ntls_config: { insecure_skip_verify: yes }\nenable_http2: n', (job) => {
      expect(job.follow_redirects).toBe(false);
      expect(job.tls_config?.insecure_skip_verify).toBe(true);
      expect(job.enable_http2).toBe(false);
    });
  });

  it('keeps a number typed into a string field as written: a numeric password, an octal-looking one, a version-like label', () => {
    both('basic_auth: { username: 007, password: 0123 }\nstatic_configs: [ { targets: ["app:1"], labels: { release: 1.10, on: yes } } ]', (job) => {
      expect(job.basic_auth?.username).toBe('007');
      expect(job.basic_auth?.password?.reveal()).toBe('0123');
      expect(job.static_configs[0]?.labels).toEqual({ release: '1.10', on: 'yes' });
    });
  });

  it('applies merge keys, an explicit key winning over the merged one', () => {
    const text = `scrape_configs:
  - &common
    job_name: base
    scheme: https
    authorization: { credentials_file: /var/run/token }
    tls_config: { insecure_skip_verify: true }
  - <<: *common
    job_name: app
    tls_config: { server_name: app.internal }
    static_configs: [ { targets: ["app:8443"] } ]
`;
    for (const jobs of [ownJobs(text), importedJobs(text)]) {
      const job = jobs[1]!;
      expect(job.job_name).toBe('app');
      expect(job.scheme).toBe('https');
      expect(job.authorization?.credentials_file).toBe('/var/run/token');
      // A merge replaces a whole key: tls_config is the job's own, not a deep merge.
      expect(job.tls_config).toMatchObject({ server_name: 'app.internal', insecure_skip_verify: false });
      expect(job.static_configs[0]?.targets).toEqual(['app:8443']);
    }
  });

  it('reads a null section as absent and an empty string beside its _file twin as unset', () => {
    both('tls_config:\nbasic_auth: { username: u, password: "", password_file: pw }\nbearer_token:\nparams:', (job) => {
      expect(job.tls_config).toBeUndefined();
      expect(job.basic_auth?.password).toBeUndefined();
      expect(job.basic_auth?.password_file).toMatch(/\/pw$/);
      expect(job.bearer_token).toBeUndefined();
    });
  });

  it('takes scrape_timeout: 0s as "the default"', () => {
    both('scrape_timeout: 0s', (job) => expect(job.scrape_timeout === undefined || job.scrape_timeout === 10_000).toBe(true));
  });

  it('trims the authorization type, an empty one meaning Bearer', () => {
    both('authorization: { type: "  ", credentials_file: t }', (job) => expect(job.authorization?.type).toBe('Bearer'));
  });
});

describe("a job's probe interval", () => {
  const global = { probe_interval: 30_000, probe_timeout: 10_000, credential_poll_interval: 10_000, max_concurrent_probes: 64 };

  it('loads a pasted job with scrape_interval 2m and scrape_timeout 1m, probed every 2m with a 1m timeout', () => {
    const [job] = ownJobs(asJob('scrape_interval: 2m\nscrape_timeout: 1m'));
    expect(probeTiming(job!, global)).toEqual({ intervalMs: 120_000, timeoutMs: 60_000 });
  });

  it('takes the probe block first, then the scrape_interval, then the global probe_interval', () => {
    const [block] = ownJobs(asJob('scrape_interval: 2m\nprobe: { interval: 15s }'));
    expect(probeTiming(block!, global).intervalMs).toBe(15_000);
    const [plain] = ownJobs(asJob(''));
    expect(probeTiming(plain!, global)).toEqual({ intervalMs: 30_000, timeoutMs: 10_000 });
  });

  it('cuts the default timeout to a shorter scrape_interval, as Prometheus does', () => {
    const [job] = ownJobs(asJob('scrape_interval: 5s'));
    expect(probeTiming(job!, global)).toEqual({ intervalMs: 5_000, timeoutMs: 5_000 });
  });
});

describe('prometheus.yml of a newer Prometheus', () => {
  it('accepts a field this exporter does not know, names it, and still probes the job', () => {
    const imported = parsePrometheusConfig(asJob('scrape_fancy_future_option: true') + 'global:\n  some_new_global: 1\n', PROM);
    expect(imported.jobs.map((j) => j.job_name)).toEqual(['app']);
    expect(imported.unknownFields).toEqual([
      { job: '', field: 'global.some_new_global', where: `${PROM}:6:3` },
      { job: 'app', field: 'scrape_fancy_future_option', where: `${PROM}:4:5` },
    ]);
  });

  it('never probes a job whose auth block holds a field it does not know: skipped, not sent without it', () => {
    const imported = parsePrometheusConfig(asJob('basic_auth: { username: u, password_ref: vault-canary }'), PROM);
    expect(imported.jobs).toEqual([]);
    expect(imported.skipped).toEqual([{ job: 'app', reason: 'unsupported_config', detail: expect.stringContaining('basic_auth.password_ref: unknown field') }]);
    expect(imported.unknownFields).toEqual([{ job: 'app', field: 'basic_auth.password_ref', where: `${PROM}:4:32` }]);
    expect(JSON.stringify(imported)).not.toContain('vault-canary');
  });

  it('never puts an unknown key that does not look like a field name (a pasted token) into a metric label or a log', () => {
    const token = 'eyJhbGciOiJSUzI1NiJ9.canary.sig';
    const text = asJob(`basic_auth:\n  username: u\n  ${token}: x`);
    const imported = parsePrometheusConfig(text, PROM);
    expect(JSON.stringify(imported)).not.toContain('canary');
    expect(imported.unknownFields[0]?.field).toBe('basic_auth.<not a field name>');
  });

  it('refuses the typo `basic_auht:` instead of probing without credentials', () => {
    const text = asJob('basic_auht:\n  username: prometheus\n  password_file: /etc/prometheus/pw');
    expect(refusal(() => parsePrometheusConfig(text, PROM))).toBe(
      `${PROM}:4:5: scrape_configs[0].basic_auht: unknown field "basic_auht", did you mean "basic_auth"?`,
    );
  });

  it('refuses a global scrape_timeout above the global scrape_interval, and a job timeout above the global interval', () => {
    expect(refusal(() => parsePrometheusConfig('global: { scrape_interval: 5s, scrape_timeout: 6s }\n', PROM))).toMatch(
      /global\.scrape_timeout: global scrape timeout greater than scrape interval$/,
    );
    // No job interval: the global one (default 1m) is the limit.
    expect(refusal(() => parsePrometheusConfig(asJob('scrape_timeout: 2m'), PROM))).toMatch(/scrape timeout greater than scrape interval/);
    expect(parsePrometheusConfig(asJob('scrape_timeout: 45s'), PROM).jobs[0]?.scrape_timeout).toBe(45_000);
  });

  it('defaults an imported job timeout to min(global scrape_timeout, its interval)', () => {
    expect(parsePrometheusConfig(asJob('scrape_interval: 4s'), PROM).jobs[0]?.scrape_timeout).toBe(4_000);
    expect(parsePrometheusConfig('global: { scrape_timeout: 0s }\n' + asJob(''), PROM).jobs[0]?.scrape_timeout).toBe(10_000);
  });

  it('leaves out URL targets of a relabelled (blackbox-style) job instead of refusing it', () => {
    const text = asJob('relabel_configs: [ { source_labels: [__address__], target_label: __param_target } ]').replace('["app:8080"]', '["https://example.com", "app:8080"]');
    expect(parsePrometheusConfig(text, PROM).jobs[0]?.static_configs[0]?.targets).toEqual(['app:8080']);
    expect(ownJobs(text)[0]?.static_configs[0]?.targets).toEqual(['app:8080']);
  });
});
