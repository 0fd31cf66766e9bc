// GET /metrics streams the exposition: the same bytes as prom-client renders, gzip on request, the loop never held.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import { Counter, Gauge, Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { createApp } from '../../src/app.js';
import { silentLogger } from '../../src/log.js';
import { EXPOSITION_CHUNK_CHARS, expositionChunks } from '../../src/metrics/exposition.js';
import { createRegistry } from '../../src/metrics/self.js';
import { emptyCounts, registerProbeMetrics, type TargetState } from '../../src/probe/metrics.js';
import type { ProbeResult } from '../../src/probe/probe.js';

function targets(n: number): TargetState[] {
  return Array.from({ length: n }, (_, i) => {
    const result: ProbeResult['result'] = i % 3 === 0 ? 'unauthorized' : 'ok';
    const last = {
      result,
      statusCode: result === 'ok' ? 200 : 401,
      error: undefined,
      durationSeconds: 0.001 * i,
      finishedMs: 1_700_000_000_000 + i,
      tlsCertExpiryMs: i % 2 === 0 ? 1_900_000_000_000 : undefined,
      forbidden: undefined,
      bodyBytesRead: 0,
      hops: [],
      unauthenticated: undefined,
    } as ProbeResult;
    const labels: Record<string, string> = i === 1 ? { note: 'back\\slash "quoted"\nline' } : { env: 'prod' };
    return { target: { job: 'app', instance: `10.0.${i >> 8}.${i & 255}:9100`, url: `http://10.0.${i >> 8}.${i & 255}:9100/metrics`, labels }, last, counts: { ...emptyCounts(), [result]: i }, checkUnauthenticated: false };
  });
}

let servers: http.Server[] = [];
afterEach(async () => {
  await Promise.all(servers.map((s) => new Promise<void>((resolve) => { s.close(() => resolve()); s.closeAllConnections(); })));
  servers = [];
});

async function serve(registry: Registry): Promise<string> {
  const app = createApp({ registry, telemetryPath: '/metrics', runtime: { reload: async () => ({ ok: true }), isReady: () => true }, logger: silentLogger() });
  const server = http.createServer(app);
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

function get(url: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer }> {
  return new Promise((resolve, reject) => {
    http.get(url, { headers }, (res) => {
      const parts: Buffer[] = [];
      res.on('data', (c: Buffer) => parts.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(parts) }));
      res.on('error', reject);
    }).on('error', reject);
  });
}

/** prom-client metrics before and after the probe families; no default metrics, whose values move between renders. */
function fullRegistry(states: TargetState[]): Registry {
  const registry = new Registry();
  new Gauge({ name: 'before_probes', help: 'A gauge registered first.', labelNames: ['a'], registers: [registry] }).set({ a: 'x' }, 1);
  registerProbeMetrics(registry, () => states);
  new Counter({ name: 'after_probes_total', help: 'A counter registered last.', registers: [registry] }).inc(3);
  return registry;
}

describe('GET /metrics', () => {
  it('streams exactly the text prom-client renders for the same registry, in bounded chunks', async () => {
    const states = targets(2000);
    const registry = fullRegistry(states);
    const chunks: string[] = [];
    for await (const chunk of expositionChunks(registry)) chunks.push(chunk);
    expect(chunks.join('')).toBe(await registry.metrics());
    expect(chunks.length).toBeGreaterThan(5);
    // A chunk is cut after the line that reaches the bound (or after one prom-client metric): never the whole text.
    for (const c of chunks.slice(0, -1)) expect(c.length).toBeLessThan(EXPOSITION_CHUNK_CHARS + 64 * 1024);
  });

  it('answers with the same bytes as identity, and gzipped when the scraper accepts gzip', async () => {
    const states = targets(500);
    const registry = fullRegistry(states);
    const url = await serve(registry);
    const expected = await registry.metrics();
    const plain = await get(`${url}/metrics`, { 'accept-encoding': 'identity' });
    expect(plain.status).toBe(200);
    expect(plain.headers['content-type']).toBe('text/plain; version=0.0.4; charset=utf-8');
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(plain.body.toString('utf8')).toBe(expected);
    // Prometheus's own header.
    const zipped = await get(`${url}/metrics`, { 'accept-encoding': 'gzip' });
    expect(zipped.headers['content-encoding']).toBe('gzip');
    expect(zipped.headers.vary).toContain('Accept-Encoding');
    expect(gunzipSync(zipped.body).toString('utf8')).toBe(expected);
    expect(zipped.body.length).toBeLessThan(plain.body.length / 4);
  });

  it('keeps prom-client\'s default process and Node.js metrics', async () => {
    const registry = createRegistry();
    registerProbeMetrics(registry, () => targets(3));
    const url = await serve(registry);
    const names = (text: string) => [...text.matchAll(/^# TYPE (\S+) /gm)].map((m) => m[1]);
    const body = (await get(`${url}/metrics`)).body.toString('utf8');
    expect(names(body)).toEqual(names(await registry.metrics()));
    expect(body).toMatch(/^process_cpu_user_seconds_total \d/m);
    expect(body).toMatch(/^nodejs_heap_size_total_bytes \d/m);
  });

  it('re-renders a target whose state changed and keeps the others', async () => {
    const states = targets(3);
    const registry = fullRegistry(states);
    const url = await serve(registry);
    await get(`${url}/metrics`);
    const s = states[0]!;
    s.last = { ...s.last!, result: 'forbidden', statusCode: 403 };
    s.counts.forbidden++;
    s.text = undefined;
    const after = (await get(`${url}/metrics`)).body.toString('utf8');
    expect(after).toBe(await registry.metrics());
    expect(after).toContain('scrape_auth_probe_status_code{scrape_job="app",scrape_instance="10.0.0.0:9100",env="prod"} 403');
  });

  it('answers /-/healthy before a /metrics of 10,000 targets has been rendered', { timeout: 60_000 }, async () => {
    const list = targets(10_000);
    let url = '';
    let families = 0;
    let healthy: Promise<number> | undefined;
    let healthyDone = false;
    let healthyDoneAtEnd: boolean | undefined;
    // Each of the ten probe families walks the target list once: the health check goes out as the first walk begins,
    // and whether it has been answered is noted as the last one ends, still inside the /metrics render.
    const states = function* (): Generator<TargetState> {
      families++;
      if (families === 1) healthy = get(`${url}/-/healthy`).then((r) => ((healthyDone = true), r.status));
      yield* list;
      if (families === 10) healthyDoneAtEnd = healthyDone;
    };
    const registry = createRegistry();
    registerProbeMetrics(registry, states);
    url = await serve(registry);
    const metrics = await get(`${url}/metrics`, { 'accept-encoding': 'gzip' });
    expect(metrics.status).toBe(200);
    expect(await healthy).toBe(200);
    expect(healthyDoneAtEnd).toBe(true);
    expect(gunzipSync(metrics.body).toString('utf8').split('\n').filter((l) => l.startsWith('scrape_auth_probe_success{')).length).toBe(10_000);
  });
});
