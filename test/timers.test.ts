// Attack: durations past Node's timer limit (2^31-1 ms, ~24.8 days), which Node turns into 1 ms.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Registry } from 'prom-client';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createComponents } from '../src/components.js';
import { parseConfig } from '../src/config/load.js';
import { silentLogger } from '../src/log.js';
import { LongTimeout, MAX_TIMER_MS } from '../src/timers.js';
import { startExporter, waitFor, type RunningExporter } from './helpers/exporter.js';
import { METRICS_BODY, startServer, type TestServer } from './probe/helpers.js';

const DAY = 24 * 3600_000;

describe('LongTimeout', () => {
  it('chains Node timers of at most 2^31-1 ms and runs the function only after the whole delay', () => {
    const asked: number[] = [];
    const pending: (() => void)[] = [];
    const fakeSet = (fn: () => void, ms: number) => {
      asked.push(ms);
      pending.push(fn);
      return setTimeout(() => undefined, 0);
    };
    let fired = 0;
    new LongTimeout(() => fired++, 60 * DAY, fakeSet);
    while (pending.length > 0) {
      expect(fired).toBe(0);
      pending.shift()!();
    }
    expect(fired).toBe(1);
    expect(asked.every((ms) => ms <= MAX_TIMER_MS)).toBe(true);
    expect(asked.reduce((a, b) => a + b, 0)).toBe(60 * DAY);
    expect(asked).toHaveLength(3);
  });

  it('runs a short timeout with one Node timer and can be cleared before it fires', async () => {
    let fired = 0;
    await new Promise<void>((resolve) => new LongTimeout(resolve, 1));
    const t = new LongTimeout(() => fired++, 1);
    t.clear();
    await new Promise<void>((resolve) => new LongTimeout(resolve, 5));
    expect(fired).toBe(0);
  });
});

describe('every timer the components set by default', () => {
  let dir: string;
  beforeAll(() => void (dir = mkdtempSync(path.join(os.tmpdir(), 'abuse-timers-'))));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  afterEach(() => vi.restoreAllMocks());

  it('asks Node for no delay past 2^31-1 ms, whatever the config says', async () => {
    const asked: number[] = [];
    const realSetTimeout = globalThis.setTimeout;
    const realSetInterval = globalThis.setInterval;
    vi.spyOn(globalThis, 'setTimeout').mockImplementation(((fn: () => void, ms?: number) => {
      asked.push(ms ?? 0);
      return realSetTimeout(fn, Math.min(ms ?? 0, MAX_TIMER_MS));
    }) as typeof setTimeout);
    vi.spyOn(globalThis, 'setInterval').mockImplementation(((fn: () => void, ms?: number) => {
      asked.push(ms ?? 0);
      return realSetInterval(fn, Math.min(ms ?? 0, MAX_TIMER_MS));
    }) as typeof setInterval);

    writeFileSync(path.join(dir, 'token'), 'x');
    writeFileSync(path.join(dir, 'targets.json'), '[{"targets":["127.0.0.1:1"]}]');
    const yaml = `
global: { probe_interval: 10000000h, probe_timeout: 9000000h, credential_poll_interval: 25d }
scrape_configs:
  - job_name: app
    bearer_token_file: token
    static_configs: [ { targets: ["127.0.0.1:1"] } ]
    file_sd_configs: [ { files: [targets.json], refresh_interval: 30d } ]
`;
    const wiring = createComponents({ registry: new Registry(), logger: silentLogger(), probes: { watchFiles: false } });
    const loaded = parseConfig(yaml, path.join(dir, 'scrape-auth.yml'));
    try {
      await wiring.credentials.apply(loaded);
      await wiring.probes.apply(loaded);
      expect(wiring.probes.targetCount).toBe(1);
      expect(asked.length).toBeGreaterThan(0);
      expect(asked.filter((ms) => ms > MAX_TIMER_MS)).toEqual([]);
    } finally {
      await wiring.probes.stop();
      await wiring.credentials.stop();
    }
  });
});

describe('the built exporter with a 10000000h probe interval and a 25d poll', () => {
  let target: TestServer;
  let exporter: RunningExporter | undefined;
  let dir: string;
  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'abuse-timers-e2e-'));
    target = await startServer((_req, res) => void res.writeHead(200, { 'content-type': 'text/plain' }).end(METRICS_BODY));
  });
  afterAll(async () => {
    await exporter?.stop();
    await target.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('probes the target at most once while it answers 20 scrapes of /metrics (before: 286 probes a second)', async () => {
    writeFileSync(path.join(dir, 'token'), 'x');
    writeFileSync(
      path.join(dir, 'scrape-auth.yml'),
      `global: { probe_interval: 10000000h, credential_poll_interval: 25d }
scrape_configs:
  - job_name: app
    bearer_token_file: token
    static_configs: [ { targets: ["${target.address}"] } ]
`,
    );
    exporter = await startExporter([`--config.file=${path.join(dir, 'scrape-auth.yml')}`]);
    const base = exporter.baseUrl;
    // The first round after start-up may probe once; give it the chance before counting.
    await waitFor(async () => (await fetch(`${base}/-/ready`)).ok, 'ready');
    for (let i = 0; i < 20; i++) expect((await fetch(`${base}/metrics`)).status).toBe(200);
    expect(target.requests.length).toBeLessThanOrEqual(1);
  });
});
