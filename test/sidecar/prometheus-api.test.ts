import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import bcrypt from 'bcryptjs';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/log.js';
import { createConfigLoader } from '../../src/sidecar/merge.js';
import { PrometheusTargetSync, type DiscoveredTarget } from '../../src/sidecar/sync.js';
import { freePort, hasPrometheus, PROMETHEUS_BIN, startPrometheus, type RunningPrometheus } from '../e2e/prometheus.js';

const PASSWORD = 'canary-prometheus-password-7c2d';

/** Polls until `check` returns a value, failing after the deadline: no fixed sleeps. */
async function eventually<T>(check: () => Promise<T | undefined>, what: string, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

// Against the real thing: the JSON shape, relabelled targets and Prometheus's own basic auth (--web.config.file).
describe('reading the active targets of a real Prometheus', () => {
  let dir: string;
  let prometheus: RunningPrometheus;
  let closedPort: number;

  beforeAll(async () => {
    if (!hasPrometheus) throw new Error(`${PROMETHEUS_BIN} is missing: install Debian's prometheus package`);
    dir = await mkdtemp(path.join(tmpdir(), 'sidecar-realprom-'));
    closedPort = await freePort();
    await writeFile(path.join(dir, 'web.yml'), `basic_auth_users:\n  sidecar: ${bcrypt.hashSync(PASSWORD, 4)}\n`);
    await writeFile(path.join(dir, 'password'), `${PASSWORD}\n`);
    await writeFile(path.join(dir, 'wrong-password'), 'nope\n');
    await writeFile(
      path.join(dir, 'prometheus.yml'),
      `global: { scrape_interval: 1s, scrape_timeout: 1s }
scrape_configs:
  - job_name: plain
    static_configs: [ { targets: ["127.0.0.1:${closedPort}"], labels: { team: a } } ]
  - job_name: relabelled
    params: { module: [x] }
    static_configs: [ { targets: ["placeholder:1"] } ]
    relabel_configs:
      - { target_label: __address__, replacement: "127.0.0.1:${closedPort}" }
      - { target_label: __metrics_path__, replacement: /federate }
      - { target_label: zone, replacement: z1 }
`,
    );
    // Prometheus with its own web config: the API wants basic auth, as many production setups do.
    prometheus = await startPrometheus(path.join(dir, 'prometheus.yml'), dir, 15_000, ['--web.config.file', path.join(dir, 'web.yml')]);
  });
  afterAll(async () => {
    await prometheus?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  async function syncWith(auth: string) {
    await writeFile(path.join(dir, 'own.yml'), `prometheus:\n  config_file: prometheus.yml\n  url: ${prometheus.url}\n  basic_auth: { username: sidecar, password_file: ${auth} }\n`);
    const calls: DiscoveredTarget[][] = [];
    const registry = new Registry();
    const sync = new PrometheusTargetSync({
      sink: { setDiscoveredTargets: (_source, targets) => void calls.push(targets) },
      registry,
      logger: silentLogger(),
      schedule: () => () => undefined,
    });
    await sync.apply(await createConfigLoader(path.join(dir, 'own.yml'), silentLogger())());
    return { sync, calls, registry };
  }

  it('feeds the targets Prometheus scrapes, after its relabelling, with the right jobs and labels', async () => {
    const { sync, calls } = await syncWith('password');
    // Prometheus's discovery hands targets to the scrape manager every 5 s: wait for both, then compare.
    const targets = await eventually(async () => {
      await sync.syncNow();
      const last = calls.at(-1);
      return last && last.length === 2 ? last : undefined;
    }, 'both targets from Prometheus');
    await sync.stop();
    expect(targets).toEqual([
      { job: 'plain', url: `http://127.0.0.1:${closedPort}/metrics`, labels: { team: 'a' } },
      { job: 'relabelled', url: `http://127.0.0.1:${closedPort}/federate?module=x`, labels: { zone: 'z1' } },
    ]);
  });

  it('reports a failed sync with a wrong password to Prometheus, and never shows the password', async () => {
    const { sync, calls, registry } = await syncWith('wrong-password');
    await sync.syncNow();
    await sync.stop();
    expect(calls).toEqual([]);
    const text = await registry.metrics();
    expect(text).toContain('scrape_auth_prometheus_sync_success 0');
    expect(text).not.toContain(PASSWORD);
  });
});
