import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { filesNamedBy } from '../../src/config/check.js';
import { probeTiming } from '../../src/config/schema.js';
import { createLogger, silentLogger } from '../../src/log.js';
import { createConfigLoader } from '../../src/sidecar/merge.js';

const PROMETHEUS_YML = `
global:
  scrape_timeout: 5s
scrape_configs:
  - job_name: app
    authorization: { credentials_file: secrets/app-token }
    static_configs: [ { targets: ["app:8080"] } ]
  - job_name: shared
    bearer_token_file: secrets/shared-token
    static_configs: [ { targets: ["from-prometheus:1"] } ]
  - job_name: slow
    scrape_interval: 5m
    scrape_timeout: 2m
    static_configs: [ { targets: ["slow:1"] } ]
  - job_name: cloud
    sigv4: { region: eu-west-1 }
`;

describe('loading our config with prometheus.config_file', () => {
  let dir: string;
  let own: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'sidecar-merge-'));
    await writeFile(path.join(dir, 'prometheus.yml'), PROMETHEUS_YML);
    own = path.join(dir, 'scrape-auth.yml');
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const load = async (ownYaml: string) => {
    await writeFile(own, ownYaml);
    return createConfigLoader(own, silentLogger())();
  };
  const names = (loaded: Awaited<ReturnType<typeof load>>) => loaded.config.scrape_configs.map((j) => j.job_name);

  it('appends the jobs of prometheus.yml after our own', async () => {
    const loaded = await load(`
scrape_configs:
  - job_name: mine
    static_configs: [ { targets: ["mine:1"] } ]
prometheus: { config_file: prometheus.yml }
`);
    expect(names(loaded)).toEqual(['mine', 'app', 'shared', 'slow']);
    expect(loaded.imported?.jobs).toEqual(['app', 'shared', 'slow']);
    expect(loaded.imported?.file).toBe(path.join(dir, 'prometheus.yml'));
  });

  it('lets a job of our own config with the same job_name win', async () => {
    const loaded = await load(`
scrape_configs:
  - job_name: shared
    static_configs: [ { targets: ["ours:2"] } ]
prometheus: { config_file: prometheus.yml }
`);
    const shared = loaded.config.scrape_configs.filter((j) => j.job_name === 'shared');
    expect(shared).toHaveLength(1);
    expect(shared[0]?.static_configs[0]?.targets).toEqual(['ours:2']);
    expect(loaded.imported?.jobs).not.toContain('shared');
    expect(loaded.imported?.excluded).toContain('shared');
  });

  it('keeps only the jobs prometheus.jobs names, skipped ones included', async () => {
    const loaded = await load('prometheus: { config_file: prometheus.yml, jobs: [app] }\n');
    expect(names(loaded)).toEqual(['app']);
    expect(loaded.imported?.skipped).toEqual([]);
    expect(loaded.imported?.excluded.sort()).toEqual(['cloud', 'shared', 'slow']);
  });

  it('reports a job with sigv4 as skipped, not as an error', async () => {
    const loaded = await load('prometheus: { config_file: prometheus.yml }\n');
    expect(loaded.imported?.skipped.map((s) => [s.job, s.reason])).toEqual([['cloud', 'sigv4']]);
  });

  it('logs a skipped job at info with its reason', async () => {
    const lines: string[] = [];
    await writeFile(own, 'prometheus: { config_file: prometheus.yml }\n');
    await createConfigLoader(own, createLogger('info', 'logfmt', { write: (l) => lines.push(l) }))();
    expect(lines.join('')).toMatch(/level=info msg="Not probing a job of prometheus.yml" .*scrape_job=cloud reason=sigv4/);
  });

  it('sets the probe block of imported jobs from prometheus.probe', async () => {
    const loaded = await load('prometheus: { config_file: prometheus.yml, probe: { interval: 20s, check_unauthenticated: true } }\n');
    const app = loaded.config.scrape_configs.find((j) => j.job_name === 'app');
    expect(app?.probe).toEqual({ interval: 20_000, check_unauthenticated: true });
    expect(app?.scrape_timeout).toBe(5_000);
  });

  it("cuts an imported scrape_timeout longer than our probe interval to the interval instead of failing", async () => {
    const loaded = await load('prometheus: { config_file: prometheus.yml, probe: { interval: 1m } }\n');
    const slow = loaded.config.scrape_configs.find((j) => j.job_name === 'slow');
    expect(slow?.probe?.timeout).toBe(60_000);
  });

  it("probes an imported job at its own scrape_interval when neither prometheus.probe nor the job's probe block says otherwise", async () => {
    const loaded = await load('global: { probe_interval: 30s }\nprometheus: { config_file: prometheus.yml }\n');
    const slow = loaded.config.scrape_configs.find((j) => j.job_name === 'slow')!;
    expect(probeTiming(slow, loaded.config.global)).toEqual({ intervalMs: 300_000, timeoutMs: 120_000 });
    const app = loaded.config.scrape_configs.find((j) => j.job_name === 'app')!;
    expect(probeTiming(app, loaded.config.global)).toEqual({ intervalMs: 30_000, timeoutMs: 5_000 });
  });

  it('keeps static targets without a Prometheus URL, and drops them with one (its active targets are the truth)', async () => {
    const without = await load('prometheus: { config_file: prometheus.yml }\n');
    expect(without.config.scrape_configs.find((j) => j.job_name === 'app')?.static_configs[0]?.targets).toEqual(['app:8080']);
    const withUrl = await load('prometheus: { config_file: prometheus.yml, url: "http://127.0.0.1:9090" }\n');
    expect(withUrl.config.scrape_configs.find((j) => j.job_name === 'app')?.static_configs).toEqual([]);
  });

  it("puts the credential files named in prometheus.yml into the config the credential watcher reads", async () => {
    const loaded = await load('prometheus: { config_file: prometheus.yml }\n');
    const files = filesNamedBy(loaded.config).map((f) => f.path);
    expect(files).toContain(path.join(dir, 'secrets/app-token'));
    expect(files).toContain(path.join(dir, 'secrets/shared-token'));
    expect(files).toContain(path.join(dir, 'prometheus.yml'));
  });

  it('fails the load when prometheus.yml is broken, naming its line and column', async () => {
    await writeFile(path.join(dir, 'prometheus.yml'), 'scrape_configs:\n  - job_name: a\n   bad: [\n');
    await expect(load('prometheus: { config_file: prometheus.yml }\n')).rejects.toThrow(/prometheus\.yml:\d+:\d+: YAML error/);
  });

  it('fails the load when prometheus.yml is missing', async () => {
    await expect(load('prometheus: { config_file: missing.yml }\n')).rejects.toThrow(/missing\.yml: cannot read config file: no such file or directory/);
  });

  it('leaves a config without prometheus.config_file as it is', async () => {
    const loaded = await load('scrape_configs: [ { job_name: a } ]\n');
    expect(names(loaded)).toEqual(['a']);
    expect(loaded.imported).toBeUndefined();
  });
});
