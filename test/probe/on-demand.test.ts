// Attack: a flood of /probe calls against a tarpit, callers that hang up, and a timeout header asking for hours.
import { rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { Registry } from 'prom-client';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/app.js';
import { createComponents, type Wiring } from '../../src/components.js';
import { parseConfig } from '../../src/config/load.js';
import { silentLogger } from '../../src/log.js';
import { cappedTimeoutMs, MAX_CONCURRENT_ON_DEMAND_PROBES } from '../../src/probe/on-demand.js';
import { sampleValue } from '../helpers/exporter.js';
import { METRICS_BODY, startServer, startTcp, tmpDir, until, type TestServer } from './helpers.js';

let app: TestServer;
let tarpit: Awaited<ReturnType<typeof startTcp>>;
let dir: string;
const stops: (() => Promise<void>)[] = [];

beforeAll(async () => {
  app = await startServer((_req, res) => void res.writeHead(200, { 'content-type': 'text/plain' }).end(METRICS_BODY));
  // It reads (and discards) what it gets, so it sees the probe's side close.
  tarpit = await startTcp((s) => void s.resume());
  dir = tmpDir('on-demand-');
});
afterEach(async () => {
  for (const stop of stops.splice(0).reverse()) await stop();
});
afterAll(async () => {
  await app.close();
  await tarpit.close();
  rmSync(dir, { recursive: true, force: true });
});

async function exporter(yaml: string): Promise<{ wiring: Wiring; registry: Registry; port: number }> {
  const registry = new Registry();
  const wiring = createComponents({ registry, logger: silentLogger(), probes: { watchFiles: false } });
  const file = path.join(dir, 'scrape-auth.yml');
  writeFileSync(file, yaml);
  await wiring.probes.apply(parseConfig(yaml, file));
  stops.push(() => wiring.probes.stop());
  const server = http.createServer(createApp({ registry, telemetryPath: '/metrics', runtime: { reload: async () => ({ ok: true }), isReady: () => true }, logger: silentLogger(), routers: wiring.routers }));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  stops.push(() => new Promise<void>((r) => {
    server.closeAllConnections();
    server.close(() => r());
  }));
  return { wiring, registry, port: (server.address() as AddressInfo).port };
}

/** A GET that can be abandoned half-way, as a caller that hangs up. */
function hangingGet(port: number, p: string, headers: Record<string, string> = {}): { req: http.ClientRequest; response: Promise<{ status: number; body: string }> } {
  const req = http.get({ host: '127.0.0.1', port, path: p, headers, agent: false });
  const response = new Promise<{ status: number; body: string }>((resolve, reject) => {
    req.on('response', (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
  });
  response.catch(() => undefined);
  return { req, response };
}

const yaml = () => `
scrape_configs:
  - job_name: slow
    probe: { timeout: 5m, interval: 10m }
    static_configs: [ { targets: ["127.0.0.1:${tarpit.port}"] } ]
  - job_name: app
    probe: { timeout: 1s, interval: 1s }
    static_configs: [ { targets: ["${app.address}"] } ]
`;

describe('/probe under a flood', () => {
  it(`answers 503 past ${MAX_CONCURRENT_ON_DEMAND_PROBES} at once, scheduled probes go on, and hung-up callers free their slots and sockets`, async () => {
    const { registry, port } = await exporter(yaml());
    const tarpitTarget = `/probe?module=slow&target=127.0.0.1:${tarpit.port}`;
    const baseline = tarpit.sockets.size;
    const flood = Array.from({ length: MAX_CONCURRENT_ON_DEMAND_PROBES }, () => hangingGet(port, tarpitTarget));
    // Every slot is held by a probe stuck on the tarpit.
    await until(() => tarpit.sockets.size - baseline >= MAX_CONCURRENT_ON_DEMAND_PROBES, 15_000);

    const extra = await hangingGet(port, tarpitTarget).response;
    expect(extra.status).toBe(503);
    expect(extra.body).toContain(`at most ${MAX_CONCURRENT_ON_DEMAND_PROBES} /probe requests run at once`);

    // The scheduled probe of the healthy target is not queued behind the flood: it keeps completing.
    const okNow = () => registry.metrics().then((t) => sampleValue(t, 'scrape_auth_probes_total', { scrape_job: 'app', result: 'ok' }) ?? 0);
    const before = await okNow();
    await until(async () => (await okNow()) >= before + 2, 15_000);

    // The callers hang up: their probes are aborted and the tarpit sees every connection closed (else 5 min).
    for (const { req } of flood) req.destroy();
    await until(() => tarpit.sockets.size === baseline, 15_000).catch(() => { throw new Error(`tarpit ${tarpit.sockets.size} baseline ${baseline}`); });
    // And the slots are free again.
    const after = await hangingGet(port, `/probe?module=app&target=${app.address}`).response;
    expect(after.status).toBe(200);
  }, 60_000);
});

describe('X-Prometheus-Scrape-Timeout-Seconds', () => {
  it('can shorten the module timeout but never lengthen it (as blackbox_exporter: min(header - 0.5 s, module))', async () => {
    // A reflecting target: the probe sends Prometheus's timeout header with the timeout it really uses.
    const seen: string[] = [];
    const reflecting = await startServer((req, res) => {
      seen.push(String(req.headers['x-prometheus-scrape-timeout-seconds']));
      res.writeHead(200, { 'content-type': 'text/plain' }).end(METRICS_BODY);
    });
    stops.push(() => reflecting.close());
    const { port } = await exporter(`
scrape_configs:
  - job_name: app
    probe: { timeout: 2s, interval: 1h, allow_any_target: true }
  - job_name: plain
    probe: { allow_any_target: true }
`);
    const ask = (header?: string) => hangingGet(port, `/probe?module=app&target=${reflecting.address}`, header ? { 'X-Prometheus-Scrape-Timeout-Seconds': header } : {}).response;
    expect((await ask('100000')).status).toBe(200);
    expect((await ask('1.5')).status).toBe(200);
    expect((await ask()).status).toBe(200);
    expect((await ask('garbage')).status).toBe(200);
    expect(seen).toEqual(['2', '1', '2', '2']);
    // A job without a timeout of its own has the global one (10s): before, the header alone set it (99999.5 s).
    const plain = await hangingGet(port, `/probe?module=plain&target=${reflecting.address}`, { 'X-Prometheus-Scrape-Timeout-Seconds': '100000' }).response;
    expect(plain.status).toBe(200);
    expect(seen.at(-1)).toBe('10');
  });

  it.each([
    [undefined, 10_000, 10_000],
    ['100000', 10_000, 10_000],
    ['5', 10_000, 4_500],
    ['0.2', 10_000, 100],
    ['-1', 10_000, 10_000],
    ['Infinity', 10_000, 10_000],
    ['', 10_000, 10_000],
  ])('header %j with a %i ms module timeout gives %i ms', (header, moduleMs, expected) => {
    expect(cappedTimeoutMs(header, moduleMs)).toBe(expected);
  });
});
