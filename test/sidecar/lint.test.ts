import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/log.js';
import { PrometheusImportStatus } from '../../src/sidecar/import-status.js';
import { createConfigLoader } from '../../src/sidecar/merge.js';
import { PrometheusTargetSync } from '../../src/sidecar/sync.js';

const PROMTOOL = '/usr/bin/promtool';

describe('the sidecar metrics', () => {
  it('pass promtool check metrics, every series present', async () => {
    expect(existsSync(PROMTOOL), `${PROMTOOL} is missing: install Debian's prometheus package`).toBe(true);
    const dir = await mkdtemp(path.join(tmpdir(), 'sidecar-lint-'));
    const server = http.createServer((_req, res) =>
      res.end(JSON.stringify({ status: 'success', data: { activeTargets: [
        { scrapePool: 'a', scrapeUrl: 'http://127.0.0.1:1/metrics', labels: { job: 'a', instance: 'x' } },
        { scrapePool: 'unknown', scrapeUrl: 'http://127.0.0.1:2/metrics', labels: {} },
      ] } })),
    );
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      await writeFile(path.join(dir, 'prometheus.yml'), 'scrape_configs:\n  - job_name: a\n  - job_name: b\n    sigv4: { region: eu-west-1 }\n');
      await writeFile(path.join(dir, 'own.yml'), `prometheus: { config_file: prometheus.yml, url: "http://127.0.0.1:${(server.address() as AddressInfo).port}" }\n`);
      const loaded = await createConfigLoader(path.join(dir, 'own.yml'), silentLogger())();
      const registry = new Registry();
      const status = new PrometheusImportStatus(registry);
      const sync = new PrometheusTargetSync({ sink: { setDiscoveredTargets: () => undefined }, registry, logger: silentLogger(), schedule: () => () => undefined });
      await status.apply(loaded);
      await sync.apply(loaded);
      await sync.syncNow();
      await sync.stop();
      const text = await registry.metrics();
      for (const name of ['job_skipped', 'jobs', 'sync_success', 'sync_timestamp_seconds', 'targets', 'unmatched_targets']) {
        expect(text).toMatch(new RegExp(`^scrape_auth_prometheus_${name}(\\{| )`, 'm'));
      }
      expect(execFileSync(PROMTOOL, ['check', 'metrics'], { input: text, encoding: 'utf8' })).toBe('');
    } finally {
      server.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
