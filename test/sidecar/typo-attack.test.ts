// The attack of issue 14: a typo in prometheus.yml (`basic_auht:`) used to be dropped silently, and the job was
// probed without credentials. A recording target proves no request without credentials ever leaves, at start-up
// and on a reload; the built exporter runs as a user runs it.
import { rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runExporter, sampleValue, startExporter, waitFor, type RunningExporter } from '../helpers/exporter.js';
import { METRICS_BODY, startServer, tmpDir, type TestServer } from '../probe/helpers.js';

describe('a typo in prometheus.yml never becomes a probe without credentials', () => {
  let dir: string | undefined;
  let target: TestServer | undefined;
  let exporter: RunningExporter | undefined;
  afterEach(async () => {
    if (exporter) expect(await exporter.stop()).toBe(0);
    await target?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
    exporter = target = dir = undefined;
  });

  const setUp = async () => {
    dir = tmpDir('typo-attack-');
    target = await startServer((req, res) => {
      const ok = req.headers.authorization === `Basic ${Buffer.from('prometheus:canary-pw').toString('base64')}`;
      res.writeHead(ok ? 200 : 401, { 'Content-Type': 'text/plain; version=0.0.4' }).end(ok ? METRICS_BODY : 'Unauthorized\n');
    });
    writeFileSync(path.join(dir, 'password'), 'canary-pw\n');
    writeFileSync(path.join(dir, 'scrape-auth.yml'), 'prometheus: { config_file: prometheus.yml, probe: { interval: 1s, timeout: 500ms } }\n');
    return { dir, target };
  };
  const prometheusYml = (dir: string, target: TestServer, authKey: string) =>
    writeFileSync(
      path.join(dir, 'prometheus.yml'),
      `scrape_configs:\n  - job_name: app\n    ${authKey}:\n      username: prometheus\n      password_file: password\n    static_configs: [ { targets: ["${target.address}"] } ]\n`,
    );

  it('refuses to start (exit 1, the located "did you mean"), and nothing reaches the target', async () => {
    const { dir, target } = await setUp();
    prometheusYml(dir, target, 'basic_auht');
    const result = await runExporter([`--config.file=${path.join(dir, 'scrape-auth.yml')}`, '--web.listen-address=127.0.0.1:0']);
    expect(result.code).toBe(1);
    expect(result.stderr.trim()).toBe(`error: ${path.join(dir, 'prometheus.yml')}:3:5: scrape_configs[0].basic_auht: unknown field "basic_auht", did you mean "basic_auth"?`);
    expect(target.requests).toEqual([]);
  });

  it('keeps probing with the credentials when a reload brings the typo, and says the reload failed', async () => {
    const { dir, target } = await setUp();
    prometheusYml(dir, target, 'basic_auth');
    exporter = await startExporter([`--config.file=${path.join(dir, 'scrape-auth.yml')}`]);
    const running = exporter;
    await waitFor(() => target.requests.length >= 1, 'a first probe');

    prometheusYml(dir, target, 'basic_auht');
    const reload = await fetch(`${running.baseUrl}/-/reload`, { method: 'POST' });
    expect(reload.status).toBe(500);
    expect(await reload.text()).toContain('did you mean "basic_auth"?');
    const metrics = await (await fetch(`${running.baseUrl}/metrics`)).text();
    expect(sampleValue(metrics, 'scrape_auth_config_last_reload_successful')).toBe(0);

    // Probes go on (every second), each one with the credentials of the last good import.
    const seen = target.requests.length;
    await waitFor(() => target.requests.length >= seen + 2, 'two more probes after the failed reload');
    expect(target.requests.every((r) => r.headers.authorization?.startsWith('Basic '))).toBe(true);
    expect(sampleValue(await (await fetch(`${running.baseUrl}/metrics`)).text(), 'scrape_auth_probe_success', { scrape_job: 'app' })).toBe(1);
  });
});
