import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/config/load.js';
import { importPrometheusConfig, parsePrometheusConfig } from '../../src/sidecar/import.js';

const testdata = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'testdata', 'sidecar');
const full = path.join(testdata, 'prometheus-full.yml');

describe('importing prometheus.yml', () => {
  let imported: Awaited<ReturnType<typeof importPrometheusConfig>>;
  beforeAll(async () => {
    imported = await importPrometheusConfig(full);
  });
  const job = (name: string) => {
    const found = imported.jobs.find((j) => j.job_name === name);
    if (!found) throw new Error(`job ${name} not imported`);
    return found;
  };

  it('imports every job it can probe, in file order', () => {
    expect(imported.jobs.map((j) => j.job_name)).toEqual(['secured-app', 'kubelet', 'legacy-bearer', 'cloud-oauth', 'cloud-jwt']);
  });

  it('keeps the HTTP client config, scheme, path, params and targets of a job', () => {
    const app = job('secured-app');
    expect(app.scheme).toBe('https');
    expect(app.metrics_path).toBe('/custom/metrics');
    expect(app.params).toEqual({ module: ['http_2xx'] });
    expect(app.scrape_timeout).toBe(20_000);
    expect(app.basic_auth?.username).toBe('prometheus');
    expect(app.follow_redirects).toBe(false);
    expect(app.tls_config).toMatchObject({ server_name: 'app.internal', min_version: 'TLS12', insecure_skip_verify: false });
    expect(app.proxy_url?.reveal()).toBe('http://proxy.internal:3128');
    expect(app.http_headers?.['X-Scope-OrgID']?.values).toEqual(['tenant-a']);
    expect(app.static_configs).toEqual([{ targets: ['10.0.0.8:9000', '10.0.0.9:9000'], labels: { env: 'prod' } }]);
    expect(app.file_sd_configs).toEqual([{ files: [path.join(testdata, 'targets/*.json')], refresh_interval: 60_000 }]);
  });

  it("resolves relative paths against prometheus.yml's directory and leaves absolute ones alone", () => {
    const app = job('secured-app');
    expect(app.basic_auth?.password_file).toBe(path.join(testdata, 'secrets/app_password'));
    expect(app.tls_config?.ca_file).toBe(path.join(testdata, 'tls/ca.pem'));
    expect(app.tls_config?.cert_file).toBe('/abs/client.pem');
    expect(app.tls_config?.key_file).toBe(path.join(testdata, 'tls/client.key'));
    expect(app.http_headers?.['X-Scope-OrgID']?.files).toEqual([path.join(testdata, 'secrets/header')]);
    expect(job('legacy-bearer').bearer_token_file).toBe(path.join(testdata, 'token'));
    expect(job('cloud-oauth').oauth2?.client_secret_file).toBe(path.join(testdata, 'oauth/secret'));
    expect(job('cloud-jwt').oauth2?.client_certificate_key_file).toBe(path.join(testdata, 'oauth/key.pem'));
  });

  it("uses Prometheus's global scrape_timeout for a job without one", () => {
    expect(job('kubelet').scrape_timeout).toBe(7_000);
  });

  it('treats an empty YAML value as unset, as Prometheus does', () => {
    expect(job('kubelet').bearer_token_file).toBeUndefined();
    expect(job('kubelet').authorization?.credentials_file).toBe('/var/run/secrets/kubernetes.io/serviceaccount/token');
  });

  it('skips a job with a field we do not model, with a reason', () => {
    expect(imported.skipped).toEqual([
      {
        job: 'future-field',
        reason: 'unsupported_config',
        detail: expect.stringMatching(/prometheus-full\.yml:89:7: scrape_configs\[4\]\.authorization\.credentials_ref: unknown field, may change how Prometheus authenticates/),
      },
    ]);
    expect(imported.unknownFields).toEqual([{ job: 'future-field', field: 'authorization.credentials_ref', where: `${full}:89:7` }]);
  });

  it('never puts a secret value from prometheus.yml into an error or a skip reason', () => {
    const refused = 'scrape_configs:\n  - job_name: x\n    basic_auth: { password: 12345-canary }\n    scheme: 12345\n';
    expect(() => parsePrometheusConfig(refused, '/etc/prometheus/prometheus.yml')).toThrow(/4:13: scrape_configs\[0\]\.scheme: must be one of/);
    expect(() => parsePrometheusConfig(refused, '/etc/prometheus/prometheus.yml')).not.toThrow(/canary/);
    const skipped = 'scrape_configs:\n  - job_name: x\n    basic_auth: { password: 12345-canary, password_ref: other-canary }\n';
    const result = parsePrometheusConfig(skipped, '/etc/prometheus/prometheus.yml');
    expect(result.skipped).toHaveLength(1);
    expect(JSON.stringify(result)).not.toMatch(/canary/);
  });

  it('defaults scrape_timeout to 10s when prometheus.yml has no global block', () => {
    const result = parsePrometheusConfig('scrape_configs:\n  - job_name: a\n', '/etc/prometheus/prometheus.yml');
    expect(result.jobs[0]?.scrape_timeout).toBe(10_000);
    expect(result.jobs[0]?.metrics_path).toBe('/metrics');
    expect(result.jobs[0]?.scheme).toBe('http');
  });

  it('accepts an empty prometheus.yml as no jobs, as Prometheus does', () => {
    expect(parsePrometheusConfig('', '/p/prometheus.yml').jobs).toEqual([]);
    expect(parsePrometheusConfig('global:\n  scrape_interval: 1m\n', '/p/prometheus.yml').jobs).toEqual([]);
  });

  it('names the digest of the text, changing when the text does', () => {
    const a = parsePrometheusConfig('scrape_configs: []\n', '/p/prometheus.yml');
    const b = parsePrometheusConfig('scrape_configs: [] # edited\n', '/p/prometheus.yml');
    expect(a.digest).toMatch(/^[0-9a-f]{64}$/);
    expect(a.digest).not.toBe(b.digest);
  });
});

describe('a prometheus.yml we cannot read at all', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'sidecar-import-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it.each([
    ['broken YAML', 'prometheus-broken.yml', /prometheus-broken\.yml:7:15: YAML error: /],
  ])('fails with file:line:col on %s', async (_name, fixture, message) => {
    const error = await importPrometheusConfig(path.join(testdata, fixture)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toMatch(message);
  });

  it.each([
    ['a list at the top', '- a\n- b\n', /prometheus\.yml:1:1: prometheus.yml must be a mapping/],
    ['scrape_configs as a mapping', 'scrape_configs:\n  job_name: a\n', /prometheus\.yml:2:3: scrape_configs: expected a list/],
    ['a bad global scrape_timeout', 'global:\n  scrape_timeout: 10 seconds\n', /prometheus\.yml:2:19: global\.scrape_timeout: not a valid duration string: "10 seconds"/],
    ['a duplicate key', 'global: {}\nglobal: {}\n', /prometheus\.yml:2:1: YAML error: Map keys must be unique/],
  ])('fails on %s', async (_name, text, message) => {
    const file = path.join(dir, 'prometheus.yml');
    await writeFile(file, text);
    await expect(importPrometheusConfig(file)).rejects.toThrow(message);
  });

  it('fails when the file is missing, naming it', async () => {
    await expect(importPrometheusConfig(path.join(dir, 'nope.yml'))).rejects.toThrow(/nope\.yml: cannot read config file: no such file or directory/);
  });
});
