import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Registry } from 'prom-client';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { LoadedConfig } from '../../src/config/load.js';
import { createLogger } from '../../src/log.js';
import { createConfigLoader } from '../../src/sidecar/merge.js';
import { PrometheusTargetSync, type DiscoveredTarget } from '../../src/sidecar/sync.js';

const testdata = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'testdata', 'sidecar');
const ACTIVE = readFileSync(path.join(testdata, 'targets-active.json'), 'utf8');
const CANARY = 'canary-prom-token-5f1e';

/** A stand-in for Prometheus's API on 127.0.0.1: answers what the test says, records what it got. */
class FakePrometheus {
  answer: { status: number; body: string } | 'hang' | 'reset' = { status: 200, body: ACTIVE };
  requests: { url: string; authorization: string | undefined }[] = [];
  private server = http.createServer((req, res) => {
    this.requests.push({ url: req.url ?? '', authorization: req.headers.authorization });
    const answer = this.answer;
    if (answer === 'hang') return;
    if (answer === 'reset') return void req.socket.destroy();
    res.writeHead(answer.status, { 'content-type': 'application/json' }).end(answer.body);
  });
  url = '';
  async start(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }
  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }
}

/** The probe engine's side, as the sync sees it. */
class RecordingSink {
  calls: { source: string; targets: DiscoveredTarget[] }[] = [];
  soon: { source: string; targets: DiscoveredTarget[] }[] = [];
  setDiscoveredTargets(source: string, targets: DiscoveredTarget[]): void {
    this.calls.push({ source, targets });
  }
  probeDiscoveredSoon(source: string, targets: DiscoveredTarget[]): void {
    this.soon.push({ source, targets });
  }
  get last(): DiscoveredTarget[] | undefined {
    return this.calls.at(-1)?.targets;
  }
}

describe('reading Prometheus\'s active targets', () => {
  const prometheus = new FakePrometheus();
  let dir: string;
  let sink: RecordingSink;
  let registry: Registry;
  let logLines: string[];
  let sync: PrometheusTargetSync;
  let scheduled: number[];
  let clock: number;

  beforeAll(() => prometheus.start());
  afterAll(() => prometheus.close());
  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'sidecar-sync-'));
    prometheus.answer = { status: 200, body: ACTIVE };
    prometheus.requests = [];
    sink = new RecordingSink();
    registry = new Registry();
    logLines = [];
    scheduled = [];
    clock = 1_700_000_000_000;
    sync = new PrometheusTargetSync({
      sink,
      registry,
      logger: createLogger('debug', 'logfmt', { write: (l) => logLines.push(l) }),
      now: () => clock,
      // Syncs run by hand (syncNow); the interval asked for is recorded.
      schedule: (_fn, ms) => {
        scheduled.push(ms);
        return () => undefined;
      },
    });
  });
  afterEach(async () => {
    await sync.stop();
    await rm(dir, { recursive: true, force: true });
  });

  /** Loads a real config pair: prometheus.yml with jobs closed, self and kubelet; ours pointing at the fake. */
  async function load(extra = '', prometheusYml?: string): Promise<LoadedConfig> {
    await writeFile(
      path.join(dir, 'prometheus.yml'),
      prometheusYml ??
        `scrape_configs:
  - job_name: closed
    static_configs: [ { targets: ["127.0.0.1:1"] } ]
  - job_name: self
    params: { a: [b] }
    static_configs: [ { targets: ["127.0.0.1:39091"] } ]
`,
    );
    await writeFile(path.join(dir, 'scrape-auth.yml'), `prometheus:\n  config_file: prometheus.yml\n  url: ${prometheus.url}\n${extra}`);
    return createConfigLoader(path.join(dir, 'scrape-auth.yml'), createLogger('error', 'json', { write: () => undefined }))();
  }
  const metric = async (name: string) => (await registry.getSingleMetric(name)!.get()).values;

  it('hands each active target of an imported job to the probe engine with its labels, job and instance dropped', async () => {
    await sync.apply(await load());
    await sync.syncNow();
    expect(prometheus.requests[0]?.url).toBe('/api/v1/targets?state=active');
    expect(sink.calls.at(-1)?.source).toBe('prometheus');
    expect(sink.last).toEqual([
      { job: 'closed', url: 'http://127.0.0.1:1/metrics', labels: { env: 'test' } },
      { job: 'self', url: 'http://127.0.0.1:39091/metrics?a=b', labels: {} },
    ]);
    expect(await metric('scrape_auth_prometheus_sync_success')).toEqual([expect.objectContaining({ value: 1 })]);
    expect(await metric('scrape_auth_prometheus_sync_timestamp_seconds')).toEqual([expect.objectContaining({ value: 1_700_000_000 })]);
    expect(await metric('scrape_auth_prometheus_targets')).toEqual([
      expect.objectContaining({ labels: { scrape_job: 'closed' }, value: 1 }),
      expect.objectContaining({ labels: { scrape_job: 'self' }, value: 1 }),
    ]);
  });

  /** ACTIVE with the health of each target set by scrape pool. */
  const withHealth = (health: Record<string, unknown>) => {
    const body = JSON.parse(ACTIVE) as { data: { activeTargets: { scrapePool: string; health?: unknown }[] } };
    for (const t of body.data.activeTargets) {
      if (t.scrapePool in health) t.health = health[t.scrapePool];
    }
    return { status: 200, body: JSON.stringify(body) };
  };

  it('probes a target at once when Prometheus finds it down after it was up, once per turn', async () => {
    await sync.apply(await load());
    prometheus.answer = withHealth({ closed: 'down', self: 'up' });
    await sync.syncNow();
    // The first read hands every target over; the first round probes them anyway.
    expect(sink.soon).toEqual([]);
    prometheus.answer = withHealth({ closed: 'down', self: 'down' });
    await sync.syncNow();
    expect(sink.soon).toEqual([{ source: 'prometheus', targets: [{ job: 'self', url: 'http://127.0.0.1:39091/metrics?a=b', labels: {} }] }]);
    // The very objects handed over by the same read: the engine knows them.
    expect(sink.last).toContain(sink.soon[0]!.targets[0]);
    await sync.syncNow();
    expect(sink.soon).toHaveLength(1);
    prometheus.answer = withHealth({ closed: 'unknown', self: 'up' });
    await sync.syncNow();
    prometheus.answer = withHealth({ closed: 'down', self: 'down' });
    await sync.syncNow();
    expect(sink.soon.at(-1)?.targets.map((t) => t.job)).toEqual(['closed', 'self']);
  });

  it('ignores a health it does not know and keeps the target (a hostile answer buys one probe per read at most)', async () => {
    await sync.apply(await load());
    prometheus.answer = withHealth({ closed: 'up', self: { evil: true } });
    await sync.syncNow();
    prometheus.answer = withHealth({ closed: 'down', self: 'DOWN' });
    await sync.syncNow();
    expect(sink.last?.map((t) => t.job)).toEqual(['closed', 'self']);
    expect(sink.soon.flatMap((c) => c.targets.map((t) => t.job))).toEqual(['closed']);
    for (let i = 0; i < 5; i++) {
      prometheus.answer = withHealth({ closed: i % 2 ? 'down' : 'up' });
      await sync.syncNow();
    }
    // Flapping up/down on every read: one extra probe per turn to down, never more.
    expect(sink.soon.flatMap((c) => c.targets.map((t) => t.job))).toEqual(['closed', 'closed', 'closed']);
  });

  it('reports a scrape pool missing from the imported config instead of guessing its job', async () => {
    await sync.apply(await load());
    await sync.syncNow();
    expect(sink.last?.map((t) => t.job)).not.toContain('kubelet');
    expect(await metric('scrape_auth_prometheus_unmatched_targets')).toEqual([expect.objectContaining({ labels: { scrape_job: 'kubelet' }, value: 1 })]);
    expect(logLines.join('')).toMatch(/level=warn msg="Prometheus scrapes a job that is not in the imported config; its targets are not probed" scrape_job=kubelet targets=1/);
  });

  it('does not report a pool that is skipped (sigv4) or filtered out by prometheus.jobs as missing', async () => {
    const yml = `scrape_configs:
  - job_name: closed
  - job_name: self
    sigv4: { region: eu-west-1 }
  - job_name: kubelet
`;
    await sync.apply(await load('  jobs: [closed, self]\n', yml));
    await sync.syncNow();
    expect(sink.last?.map((t) => t.job)).toEqual(['closed']);
    expect(await metric('scrape_auth_prometheus_unmatched_targets')).toEqual([]);
  });

  it('probes Prometheus\'s targets of a job of our own file only when that job has no targets of its own', async () => {
    await load(); // writes prometheus.yml
    await writeFile(
      path.join(dir, 'scrape-auth.yml'),
      `scrape_configs:
  - job_name: kubelet
    scheme: https
  - job_name: self
    static_configs: [ { targets: ["127.0.0.1:39091"] } ]
prometheus: { config_file: prometheus.yml, url: "${prometheus.url}" }
`,
    );
    await sync.apply(await createConfigLoader(path.join(dir, 'scrape-auth.yml'), createLogger('error', 'json', { write: () => undefined }))());
    await sync.syncNow();
    // kubelet: ours, no targets of its own → Prometheus's; self: ours with a static target → not twice.
    expect(sink.last?.map((t) => `${t.job} ${t.url}`)).toEqual(['closed http://127.0.0.1:1/metrics', 'kubelet https://10.1.2.3:10250/metrics']);
    expect(await metric('scrape_auth_prometheus_unmatched_targets')).toEqual([]);
  });

  it.each([
    ['answers 500', { status: 500, body: 'oops' }, /server returned HTTP status 500 Internal Server Error/],
    ['answers HTML', { status: 200, body: '<html>login</html>' }, /response is not JSON/],
    ['answers JSON of another shape', { status: 200, body: '{"status":"success","data":{"resultType":"vector"}}' }, /not a Prometheus targets answer/],
    ['answers an API error', { status: 200, body: '{"status":"error","errorType":"bad_data","error":"nope"}' }, /Prometheus answered an error: nope/],
    ['resets the connection', 'reset' as const, /Get \\?"http:\/\/127\.0\.0\.1:\d+\/api\/v1\/targets\?state=active\\?": (ECONNRESET|UND_ERR_SOCKET)/],
  ])('keeps the last known targets when Prometheus %s, and says so', async (_name, answer, error) => {
    await sync.apply(await load());
    await sync.syncNow();
    const known = sink.last;
    clock += 30_000;
    prometheus.answer = answer;
    await sync.syncNow();
    expect(sink.last).toEqual(known);
    expect(await metric('scrape_auth_prometheus_sync_success')).toEqual([expect.objectContaining({ value: 0 })]);
    expect(await metric('scrape_auth_prometheus_sync_timestamp_seconds')).toEqual([expect.objectContaining({ value: 1_700_000_000 })]);
    expect(logLines.join('')).toMatch(/level=warn msg="Cannot read Prometheus's targets, keeping the last known ones"/);
    expect(logLines.join('')).toMatch(error);
  });

  it('gives up on a Prometheus that does not answer within the probe timeout', async () => {
    prometheus.answer = 'hang';
    const started = Date.now();
    await sync.apply(await load('  probe: { interval: 2s, timeout: 300ms }\n'));
    await sync.syncNow();
    // Far below what a hang would take; loose enough for a loaded CI machine.
    expect(Date.now() - started).toBeLessThan(8000);
    expect(logLines.join('')).toMatch(/context deadline exceeded/);
    expect(await metric('scrape_auth_prometheus_sync_success')).toEqual([expect.objectContaining({ value: 0 })]);
    expect(sink.calls).toEqual([]);
  });

  it('stops waiting for a hanging Prometheus when the exporter stops', async () => {
    prometheus.answer = 'hang';
    await sync.apply(await load('  probe: { interval: 1m, timeout: 30s }\n'));
    const pending = sync.syncNow();
    await expectEventually(() => prometheus.requests.length >= 2);
    const started = Date.now();
    await sync.stop();
    await pending;
    // The request's own timeout is 30 s: anything near it means stop() did not abort it.
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('keeps the path of a Prometheus served under a prefix (--web.route-prefix)', async () => {
    await writeFile(path.join(dir, 'prometheus.yml'), 'scrape_configs: []\n');
    await writeFile(path.join(dir, 'scrape-auth.yml'), `prometheus: { url: "${prometheus.url}/prometheus" }\n`);
    await sync.apply(await createConfigLoader(path.join(dir, 'scrape-auth.yml'), createLogger('error', 'json', { write: () => undefined }))());
    await sync.syncNow();
    expect(prometheus.requests[0]?.url).toBe('/prometheus/api/v1/targets?state=active');
  });

  it('drops a malformed target and keeps the others', async () => {
    const body = JSON.parse(ACTIVE) as { data: { activeTargets: Record<string, unknown>[] } };
    body.data.activeTargets[0]!['scrapeUrl'] = 'not a url';
    prometheus.answer = { status: 200, body: JSON.stringify(body) };
    await sync.apply(await load());
    await sync.syncNow();
    expect(sink.last?.map((t) => t.job)).toEqual(['self']);
    expect(logLines.join('')).toMatch(/Ignored malformed targets in Prometheus's answer" invalid=1/);
  });

  it('reads again every probe interval of the prometheus block', async () => {
    await sync.apply(await load('  probe: { interval: 7s }\n'));
    await sync.syncNow();
    await expectEventually(() => scheduled.includes(7000));
  });

  it('authenticates to Prometheus with the block\'s HTTP client fields, re-reading the token file, and never logs it', async () => {
    await writeFile(path.join(dir, 'prom-token'), `${CANARY}\n`);
    prometheus.answer = { status: 401, body: 'Unauthorized' };
    await sync.apply(await load('  authorization: { credentials_file: prom-token }\n'));
    await sync.syncNow();
    expect(prometheus.requests.at(-1)?.authorization).toBe(`Bearer ${CANARY}`);
    await writeFile(path.join(dir, 'prom-token'), 'rotated');
    await sync.syncNow();
    expect(prometheus.requests.at(-1)?.authorization).toBe('Bearer rotated');
    expect(logLines.join('')).toMatch(/server returned HTTP status 401 Unauthorized/);
    expect(logLines.join('')).not.toContain(CANARY);
    expect(await registry.metrics()).not.toContain(CANARY);
  });

  it('withdraws its targets when prometheus.url is removed by a reload', async () => {
    await sync.apply(await load());
    await sync.syncNow();
    await writeFile(path.join(dir, 'scrape-auth.yml'), 'prometheus: { config_file: prometheus.yml }\n');
    await sync.apply(await createConfigLoader(path.join(dir, 'scrape-auth.yml'), createLogger('error', 'json', { write: () => undefined }))());
    expect(sink.last).toEqual([]);
    expect(registry.getSingleMetric('scrape_auth_prometheus_sync_success')).toBeUndefined();
    expect(await metric('scrape_auth_prometheus_targets')).toEqual([]);
  });

  it('hands the last known targets over again when a reload changes the job set', async () => {
    await sync.apply(await load());
    await sync.syncNow();
    prometheus.answer = { status: 503, body: '' };
    await sync.apply(await load('  jobs: [self]\n'));
    expect(sink.last?.map((t) => t.job)).toEqual(['self']);
  });
});

async function expectEventually(condition: () => boolean, timeoutMs = 2000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}
