import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Registry } from 'prom-client';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/log.js';
import { PrometheusImportStatus } from '../../src/sidecar/import-status.js';
import { createConfigLoader } from '../../src/sidecar/merge.js';

describe('the import status metrics', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'sidecar-status-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });
  const load = async (own: string, prometheusYml: string) => {
    await writeFile(path.join(dir, 'prometheus.yml'), prometheusYml);
    await writeFile(path.join(dir, 'own.yml'), own);
    return createConfigLoader(path.join(dir, 'own.yml'), silentLogger())();
  };

  it('names each skipped job with its reason, and forgets it once prometheus.yml no longer skips it', async () => {
    const registry = new Registry();
    const status = new PrometheusImportStatus(registry);
    await status.apply(
      await load(
        'prometheus: { config_file: prometheus.yml }\n',
        'scrape_configs:\n  - job_name: ok\n  - job_name: cloud\n    sigv4: { region: eu-west-1 }\n  - job_name: odd\n    tls_config: { ca_ref: x }\n',
      ),
    );
    let text = await registry.metrics();
    expect(text).toContain('scrape_auth_prometheus_job_skipped{scrape_job="cloud",reason="sigv4"} 1');
    expect(text).toContain('scrape_auth_prometheus_job_skipped{scrape_job="odd",reason="unsupported_config"} 1');
    expect(text).toContain('scrape_auth_prometheus_jobs 1');

    await status.apply(await load('prometheus: { config_file: prometheus.yml }\n', 'scrape_configs:\n  - job_name: ok\n  - job_name: cloud\n'));
    text = await registry.metrics();
    expect(text).not.toContain('scrape_auth_prometheus_job_skipped{');
    expect(text).toContain('scrape_auth_prometheus_jobs 2');
  });

  it('names each field of a newer Prometheus it accepted, and forgets it once the field is gone', async () => {
    const registry = new Registry();
    const status = new PrometheusImportStatus(registry);
    await status.apply(
      await load(
        'prometheus: { config_file: prometheus.yml }\n',
        'global: { shiny_new_global: 1 }\nscrape_configs:\n  - job_name: ok\n    scrape_fancy_future_option: true\n  - job_name: ref\n    tls_config: { ca_ref: vault }\n',
      ),
    );
    let text = await registry.metrics();
    expect(text).toContain('scrape_auth_prometheus_unknown_field_info{scrape_job="",field="global.shiny_new_global"} 1');
    expect(text).toContain('scrape_auth_prometheus_unknown_field_info{scrape_job="ok",field="scrape_fancy_future_option"} 1');
    expect(text).toContain('scrape_auth_prometheus_unknown_field_info{scrape_job="ref",field="tls_config.ca_ref"} 1');
    expect(text).toContain('scrape_auth_prometheus_job_skipped{scrape_job="ref",reason="unsupported_config"} 1');

    await status.apply(await load('prometheus: { config_file: prometheus.yml }\n', 'scrape_configs:\n  - job_name: ok\n'));
    text = await registry.metrics();
    expect(text).not.toContain('scrape_auth_prometheus_unknown_field_info{');
  });

  it('shows nothing without prometheus.config_file', async () => {
    const registry = new Registry();
    const status = new PrometheusImportStatus(registry);
    await status.apply(await load('scrape_configs: [ { job_name: a } ]\n', ''));
    expect(await registry.metrics()).not.toMatch(/^scrape_auth_prometheus_\w+(\{| )/m);
  });
});
