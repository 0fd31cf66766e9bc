import { mkdir, mkdtemp, rename, rm, symlink, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Registry } from 'prom-client';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { LoadedConfig } from '../../src/config/load.js';
import { createLogger, silentLogger } from '../../src/log.js';
import { registerSelfMetrics } from '../../src/metrics/self.js';
import { Runtime, type Component } from '../../src/runtime.js';
import { createConfigLoader } from '../../src/sidecar/merge.js';
import { importDigest } from '../../src/sidecar/import.js';
import { PrometheusConfigWatcher } from '../../src/sidecar/watch.js';

/** Polls until `condition` holds, failing after `timeoutMs`: no fixed sleeps. */
async function until(condition: () => boolean | Promise<boolean>, timeoutMs = 10_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

const JOB = (name: string) => `scrape_configs:\n  - job_name: ${name}\n    static_configs: [ { targets: ["${name}:1"] } ]\n`;

describe('watching prometheus.yml', () => {
  let dir: string;
  let own: string;
  let watcher: PrometheusConfigWatcher | undefined;
  let runtime: Runtime | undefined;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'sidecar-watch-'));
    own = path.join(dir, 'scrape-auth.yml');
  });
  afterEach(async () => {
    await watcher?.stop();
    await runtime?.stop();
    watcher = undefined;
    runtime = undefined;
    await rm(dir, { recursive: true, force: true });
  });

  /** A watcher on a loaded config, counting reload requests and file checks. */
  async function start(prometheusYml: string, pollInterval = '1h') {
    await writeFile(own, `global: { credential_poll_interval: ${pollInterval} }\nprometheus: { config_file: ${prometheusYml} }\n`);
    const load = createConfigLoader(own, silentLogger());
    const counts = { reloads: 0, checks: 0, applied: 0 };
    watcher = new PrometheusConfigWatcher({
      logger: silentLogger(),
      requestReload: () => {
        counts.reloads++;
        void load().then((loaded) => watcher?.apply(loaded), () => undefined).then(() => counts.applied++);
      },
      digestOf: async (file, globs) => {
        counts.checks++;
        return importDigest(file, globs);
      },
    });
    await watcher.apply(await load());
    return counts;
  }

  it('asks for a reload when the file is rewritten in place', async () => {
    await writeFile(path.join(dir, 'prometheus.yml'), JOB('a'));
    const counts = await start('prometheus.yml');
    await writeFile(path.join(dir, 'prometheus.yml'), JOB('b'));
    await until(() => counts.reloads === 1, 10_000, 'a reload');
  });

  it('does not reload for a touch or for another file in the directory', async () => {
    await writeFile(path.join(dir, 'prometheus.yml'), JOB('a'));
    // A short poll as well: the file is checked again and again, by events and by the poll, and never reloads.
    const counts = await start('prometheus.yml', '50ms');
    const now = new Date();
    await utimes(path.join(dir, 'prometheus.yml'), now, new Date(now.getTime() + 5000));
    await writeFile(path.join(dir, 'rules.yml'), 'groups: []\n');
    const seen = counts.checks;
    await until(() => counts.checks >= seen + 3, 15_000, 'three more checks');
    expect(counts.reloads).toBe(0);
  });

  it("sees a Kubernetes ConfigMap update (the ..data symlink swap)", async () => {
    // The AtomicWriter layout: prometheus.yml -> ..data/prometheus.yml, ..data -> ..<timestamp>/
    await mkdir(path.join(dir, '..v1'));
    await writeFile(path.join(dir, '..v1', 'prometheus.yml'), JOB('a'));
    await symlink('..v1', path.join(dir, '..data'));
    await symlink('..data/prometheus.yml', path.join(dir, 'prometheus.yml'));
    const counts = await start('prometheus.yml');

    await mkdir(path.join(dir, '..v2'));
    await writeFile(path.join(dir, '..v2', 'prometheus.yml'), JOB('b'));
    await symlink('..v2', path.join(dir, '..data_tmp'));
    await rename(path.join(dir, '..data_tmp'), path.join(dir, '..data'));
    await rm(path.join(dir, '..v1'), { recursive: true });
    await until(() => counts.reloads === 1, 5000, 'a reload after the ..data swap');
  });

  it('reloads when a file matching scrape_config_files appears in another directory, or changes', async () => {
    await mkdir(path.join(dir, 'jobs.d'));
    await writeFile(path.join(dir, 'prometheus.yml'), 'scrape_config_files: [jobs.d/*.yml]\n' + JOB('a'));
    const counts = await start('prometheus.yml');
    await writeFile(path.join(dir, 'jobs.d', 'b.yml'), JOB('b'));
    await until(() => counts.reloads === 1, 10_000, 'a reload for the new file');
    // The next change only after that reload read the files, or it would already hold it.
    await until(() => counts.applied === 1, 10_000, 'the reload applied');
    await writeFile(path.join(dir, 'jobs.d', 'b.yml'), JOB('c'));
    await until(() => counts.reloads === 2, 10_000, 'a reload for the changed file');
  });

  it('re-checks every credential_poll_interval, catching a change no event reported', async () => {
    // prometheus.yml is a symlink into another directory, which the watcher does not watch.
    const elsewhere = await mkdtemp(path.join(tmpdir(), 'sidecar-elsewhere-'));
    try {
      await writeFile(path.join(elsewhere, 'real.yml'), JOB('a'));
      await symlink(path.join(elsewhere, 'real.yml'), path.join(dir, 'prometheus.yml'));
      const counts = await start('prometheus.yml', '100ms');
      await writeFile(path.join(elsewhere, 'real.yml'), JOB('b'));
      await until(() => counts.reloads === 1, 5000, 'a reload from the poll');
    } finally {
      await rm(elsewhere, { recursive: true, force: true });
    }
  });
});

describe('a reload after prometheus.yml changes', () => {
  let dir: string;
  let runtime: Runtime | undefined;
  afterEach(async () => {
    await runtime?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('keeps the last good import when prometheus.yml breaks, says so in the reload metric and the log, and recovers', async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'sidecar-reload-'));
    const own = path.join(dir, 'scrape-auth.yml');
    const prom = path.join(dir, 'prometheus.yml');
    await writeFile(own, 'prometheus: { config_file: prometheus.yml }\n');
    await writeFile(prom, JOB('a'));
    const registry = new Registry();
    const metrics = registerSelfMetrics(registry);
    const logLines: string[] = [];
    const logger = createLogger('info', 'logfmt', { write: (l) => logLines.push(l) });
    const applied: LoadedConfig[] = [];
    const recorder: Component = { name: 'recorder', apply: async (l) => void applied.push(l), stop: async () => undefined };
    let rt: Runtime | undefined;
    const watcher = new PrometheusConfigWatcher({ logger, requestReload: () => void rt?.reload() });
    rt = runtime = new Runtime({ load: createConfigLoader(own, logger), components: [watcher, recorder], metrics, logger });
    expect((await rt.reload()).ok).toBe(true);
    const reloadGauge = async () => (await registry.getSingleMetric('scrape_auth_config_last_reload_successful')!.get()).values[0]?.value;

    await writeFile(prom, 'scrape_configs:\n  - job_name: b\n   oops: [\n');
    await until(async () => (await reloadGauge()) === 0, 5000, 'the failed reload');
    expect(rt.current?.config.scrape_configs.map((j) => j.job_name)).toEqual(['a']);
    expect(logLines.join('')).toMatch(/level=error msg="Error reloading config, keeping the previous one" err=".*prometheus\.yml:3:\d+: YAML error/);

    // A change Prometheus itself refuses fails the reload the same way: a typo must not become a job without credentials.
    await writeFile(prom, 'scrape_configs:\n  - job_name: b\n    basic_auht: { username: u, password_file: pw }\n');
    await until(() => logLines.join('').includes('did you mean'), 5000, 'the refused reload');
    expect(await reloadGauge()).toBe(0);
    expect(rt.current?.config.scrape_configs.map((j) => j.job_name)).toEqual(['a']);
    expect(logLines.join('')).toMatch(/prometheus\.yml:3:5: scrape_configs\[0\]\.basic_auht: unknown field \\"basic_auht\\", did you mean \\"basic_auth\\"\?/);

    await writeFile(prom, JOB('c'));
    await until(async () => (await reloadGauge()) === 1, 5000, 'the good reload');
    expect(rt.current?.config.scrape_configs.map((j) => j.job_name)).toEqual(['c']);
    expect(applied.map((l) => l.config.scrape_configs[0]?.job_name)).toEqual(['a', 'c']);
  });
});
