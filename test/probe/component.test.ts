// The probe component end to end: targets from static and file SD, scheduled probes, metrics, reloads, /probe.
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { Registry } from 'prom-client';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/app.js';
import { createComponents, type Wiring } from '../../src/components.js';
import { parseConfig } from '../../src/config/load.js';
import { createLogger, silentLogger } from '../../src/log.js';
import { createConfigLoader } from '../../src/sidecar/merge.js';
import { createRegistry, registerSelfMetrics } from '../../src/metrics/self.js';
import { FakeClock } from './fake-clock.js';
import { METRICS_BODY, startServer, startTcp, tmpDir, until, type TestServer } from './helpers.js';

const CANARY = 'canary-c0mp0nent-91e2';
const TOKEN = 'component-token';

let app: TestServer;
let tarpit: { port: number; close(): Promise<void> };
const running: { stop(): Promise<void> }[] = [];

beforeAll(async () => {
  app = await startServer((req, res) => {
    const ok = req.headers.authorization === `Bearer ${TOKEN}` || req.headers.authorization === `Bearer ${CANARY}`;
    if (req.url === '/open') return void res.writeHead(200, { 'content-type': 'text/plain' }).end(METRICS_BODY);
    if (req.url?.startsWith('/metrics')) return void (ok ? res.writeHead(200, { 'content-type': 'text/plain' }).end(METRICS_BODY) : res.writeHead(401).end());
    if (req.url === '/kubelet') return void res.writeHead(403).end('Forbidden (user=system:serviceaccount:monitoring:prometheus, verb=get, resource=nodes, subresource=metrics)');
    res.writeHead(404).end();
  });
  tarpit = await startTcp(() => undefined);
});

afterAll(async () => {
  await app.close();
  await tarpit.close();
});

afterEach(async () => {
  await Promise.all(running.splice(0).map((r) => r.stop()));
});

interface Harness {
  dir: string;
  clock: FakeClock;
  registry: Registry;
  wiring: Wiring;
  logs: string[];
  apply(yaml: string): Promise<void>;
  metrics(): Promise<string>;
}

async function harness(opts: { watchFiles?: boolean; realTimers?: boolean } = {}): Promise<Harness> {
  const dir = tmpDir('probe-component-');
  const clock = new FakeClock();
  clock.nowMs = Date.now();
  const registry = new Registry();
  const logs: string[] = [];
  const logger = createLogger('debug', 'logfmt', { write: (line) => void logs.push(line) });
  const wiring = createComponents({
    registry,
    logger,
    probes: { ...(opts.realTimers ? {} : { timers: clock, now: clock.now }), watchFiles: opts.watchFiles ?? false },
  });
  running.push(wiring.probes);
  const file = path.join(dir, 'scrape-auth.yml');
  return {
    dir,
    clock,
    registry,
    wiring,
    logs,
    apply: async (yaml) => {
      writeFileSync(file, yaml);
      await wiring.probes.apply(parseConfig(yaml, file));
    },
    metrics: () => registry.metrics(),
  };
}

/**
 * Moves the fake clock on in small steps, letting each step's probes finish (bounded, real time), until every target
 * has a new result: one probe each, whether it comes from a new target's first round or from its regular slot.
 */
async function probeAll(h: Harness, intervalMs = 30_000): Promise<void> {
  const before = new Map(h.wiring.probes.targets().map((t) => [`${t.job}${t.url}`, t.lastProbeMs]));
  const done = () => h.wiring.probes.targets().every((t) => t.lastProbeMs !== undefined && t.lastProbeMs !== before.get(`${t.job}${t.url}`));
  for (let t = 0; t < intervalMs && !done(); t += 250) {
    await h.clock.advance(250);
    await until(() => h.wiring.probes.probesInFlight === 0);
  }
  await until(done);
}

describe('targets', () => {
  it('probes static targets and file SD targets (JSON and YAML, globbed) with their own labels', async () => {
    const h = await harness();
    writeFileSync(path.join(h.dir, 'a.json'), JSON.stringify([{ targets: [app.address], labels: { team: 'blue', __meta_secret: 'x' } }]));
    writeFileSync(path.join(h.dir, 'b.yml'), `- targets: ["localhost:${app.port}"]\n  labels: { team: green, job: override }\n`);
    await h.apply(`
scrape_configs:
  - job_name: app
    authorization: { credentials: ${TOKEN} }
    static_configs: [ { targets: ["${app.address}"], labels: { env: dev } } ]
    file_sd_configs: [ { files: ["*.json", "*.yml"] } ]
`);
    const targets = h.wiring.probes.targets();
    expect(targets.map((t) => t.labels).sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)))).toEqual([{ env: 'dev' }, { team: 'blue' }, { team: 'green' }]);
    await probeAll(h);
    const text = await h.metrics();
    expect(text).toContain(`scrape_auth_probe_success{scrape_job="app",scrape_instance="${app.address}",env="dev"} 1`);
    expect(text).toContain(`scrape_auth_probe_success{scrape_job="app",scrape_instance="${app.address}",team="blue"} 1`);
    expect(text).toContain(`scrape_auth_probe_result{scrape_job="app",scrape_instance="${app.address}",env="dev",result="ok"} 1`);
    expect(text).toContain(`scrape_auth_probe_result{scrape_job="app",scrape_instance="${app.address}",env="dev",result="unauthorized"} 0`);
    expect(text).toContain(`scrape_auth_probes_total{scrape_job="app",scrape_instance="${app.address}",env="dev",result="ok"} 1`);
    expect(text).toContain('Cached: refreshed every probe interval.');
    expect(text).not.toMatch(/[{,]job=|[{,]instance=|__meta/);
  });

  it('re-reads file SD on change, keeps a broken file\'s last good targets and logs it', async () => {
    const h = await harness({ watchFiles: true, realTimers: true });
    const sd = path.join(h.dir, 'targets.json');
    writeFileSync(sd, JSON.stringify([{ targets: [app.address] }]));
    await h.apply(`
scrape_configs:
  - job_name: app
    file_sd_configs: [ { files: ["targets.json"] } ]
`);
    expect(h.wiring.probes.targets().map((t) => t.instance)).toEqual([app.address]);
    writeFileSync(sd, JSON.stringify([{ targets: [app.address, `localhost:${app.port}`] }]));
    await until(() => h.wiring.probes.targets().length === 2);
    writeFileSync(sd, '[{"targets": ["broken"');
    await until(() => h.logs.some((l) => l.includes('Error reading file_sd file')));
    expect(h.wiring.probes.targets().length).toBe(2);
    expect(h.logs.find((l) => l.includes('Error reading file_sd file'))).toContain(sd);
  });

  it('re-reads file SD every refresh_interval even without a watcher', async () => {
    const h = await harness({ watchFiles: false });
    const sd = path.join(h.dir, 'targets.yaml');
    writeFileSync(sd, `- targets: ["${app.address}"]\n`);
    await h.apply(`
scrape_configs:
  - job_name: app
    file_sd_configs: [ { files: ["targets.yaml"], refresh_interval: 1m } ]
`);
    writeFileSync(sd, `- targets: ["${app.address}", "localhost:1"]\n`);
    expect(h.wiring.probes.targets().length).toBe(1);
    await h.clock.advance(60_000);
    await until(() => h.wiring.probes.targets().length === 2);
  });

  it('removes the series of a target a reload removed', async () => {
    const h = await harness();
    await h.apply(`
scrape_configs:
  - job_name: app
    authorization: { credentials: ${TOKEN} }
    static_configs: [ { targets: ["${app.address}", "localhost:${app.port}"] } ]
`);
    await probeAll(h);
    expect(await h.metrics()).toContain(`scrape_instance="localhost:${app.port}"`);
    await h.apply(`
scrape_configs:
  - job_name: app
    authorization: { credentials: ${TOKEN} }
    static_configs: [ { targets: ["${app.address}"] } ]
`);
    const text = await h.metrics();
    expect(text).not.toContain(`scrape_instance="localhost:${app.port}"`);
    expect(text).toContain(`scrape_instance="${app.address}"`);
    // The kept target keeps its counter.
    expect(text).toContain(`scrape_auth_probes_total{scrape_job="app",scrape_instance="${app.address}",result="ok"} 1`);
  });

  it('probes targets fed by setDiscoveredTargets with the job\'s authentication', async () => {
    const h = await harness();
    await h.apply(`
scrape_configs:
  - job_name: app
    authorization: { credentials: ${TOKEN} }
`);
    h.wiring.probes.setDiscoveredTargets('prometheus', [
      { job: 'app', url: `http://${app.address}/metrics`, labels: { node: 'n1', __meta_x: 'y' } },
      { job: 'unknown', url: `http://${app.address}/metrics`, labels: {} },
    ]);
    expect(h.wiring.probes.targets()).toHaveLength(1);
    await probeAll(h);
    expect(h.wiring.probes.targets()[0]).toMatchObject({ result: 'ok', labels: { node: 'n1' } });
    h.wiring.probes.setDiscoveredTargets('prometheus', []);
    expect(h.wiring.probes.targets()).toHaveLength(0);
  });

  it('probes a discovered target at once when asked (Prometheus found it down), outside its slot', async () => {
    const h = await harness();
    await h.apply(`
scrape_configs:
  - job_name: app
    authorization: { credentials: ${TOKEN} }
`);
    const fed = [
      { job: 'app', url: `http://${app.address}/metrics`, labels: { node: 'n1' } },
      { job: 'app', url: `http://${app.address}/open`, labels: { node: 'n2' } },
    ];
    h.wiring.probes.setDiscoveredTargets('prometheus', fed);
    // The fake clock never moves: no slot and no first round comes due, only the probe asked for.
    h.wiring.probes.probeDiscoveredSoon('prometheus', [fed[0]!]);
    await until(() => h.wiring.probes.targets().some((t) => t.result !== undefined));
    await until(() => h.wiring.probes.probesInFlight === 0);
    const byNode = Object.fromEntries(h.wiring.probes.targets().map((t) => [t.labels.node, t.result]));
    expect(byNode).toEqual({ n1: 'ok', n2: undefined });
    // A target the engine was not handed (another read's object) is not probed.
    h.wiring.probes.probeDiscoveredSoon('prometheus', [{ ...fed[1]! }]);
    expect(h.wiring.probes.probesInFlight).toBe(0);
  });

  it('exposes check_unauthenticated, forbidden_info and status for the status page', async () => {
    const h = await harness();
    await h.apply(`
scrape_configs:
  - job_name: app
    authorization: { credentials: ${TOKEN} }
    probe: { check_unauthenticated: true }
    static_configs: [ { targets: ["${app.address}"] } ]
  - job_name: kubelet
    metrics_path: /kubelet
    authorization: { credentials: ${TOKEN} }
    static_configs: [ { targets: ["${app.address}"] } ]
`);
    await probeAll(h);
    const text = await h.metrics();
    expect(text).toContain(`scrape_auth_probe_auth_enforced{scrape_job="app",scrape_instance="${app.address}"} 1`);
    expect(text).toContain(`scrape_auth_probe_unauthenticated_status_code{scrape_job="app",scrape_instance="${app.address}"} 401`);
    expect(text).toContain(
      `scrape_auth_probe_forbidden_info{scrape_job="kubelet",scrape_instance="${app.address}",user="system:serviceaccount:monitoring:prometheus",verb="get",resource="nodes",subresource="metrics"} 1`,
    );
    expect(text).not.toContain('scrape_auth_probe_auth_enforced{scrape_job="kubelet"');
    const kubelet = h.wiring.status.targets().find((t) => t.job === 'kubelet')!;
    expect(kubelet).toMatchObject({ result: 'forbidden', statusCode: 403, lastError: 'server returned HTTP status 403 Forbidden' });
  });
});

describe('promtool', () => {
  it('finds nothing to complain about in scrape_auth_* metrics', async () => {
    const registry = createRegistry();
    registerSelfMetrics(registry);
    const clock = new FakeClock();
    clock.nowMs = Date.now();
    const wiring = createComponents({ registry, logger: silentLogger(), probes: { timers: clock, now: clock.now, watchFiles: false } });
    running.push(wiring.probes);
    const dir = tmpDir();
    const yaml = `
scrape_configs:
  - job_name: app
    authorization: { credentials: ${TOKEN} }
    probe: { check_unauthenticated: true }
    static_configs: [ { targets: ["${app.address}"], labels: { env: dev } }, { targets: ["localhost:${app.port}"] } ]
  - job_name: kubelet
    metrics_path: /kubelet
    static_configs: [ { targets: ["${app.address}"] } ]
`;
    await wiring.probes.apply(parseConfig(yaml, path.join(dir, 'c.yml')));
    await clock.advance(30_000);
    await until(() => wiring.probes.targets().every((t) => t.result !== undefined));
    const text = await registry.metrics();
    expect(text).toContain('scrape_auth_probe_forbidden_info');
    let out = '';
    try {
      out = execFileSync('/usr/bin/promtool', ['check', 'metrics'], { input: text, encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'] });
    } catch (err) {
      out = `${(err as { stdout?: string }).stdout ?? ''}${(err as { stderr?: string }).stderr ?? ''}`;
    }
    expect(out.split('\n').filter((l) => l.includes('scrape_auth'))).toEqual([]);
  });
});

describe('/probe', () => {
  async function serve(h: Harness): Promise<{ get(p: string): Promise<{ status: number; body: string; ms: number }>; close(): Promise<void> }> {
    const expressApp = createApp({ registry: h.registry, telemetryPath: '/metrics', runtime: { reload: async () => ({ ok: true }), isReady: () => true }, logger: silentLogger(), routers: h.wiring.routers });
    const server = http.createServer(expressApp);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as AddressInfo).port;
    running.push({ stop: () => new Promise<void>((r) => server.close(() => r())) });
    return {
      get: async (p) => {
        const started = Date.now();
        const res = await fetch(`http://127.0.0.1:${port}${p}`);
        return { status: res.status, body: await res.text(), ms: Date.now() - started };
      },
      close: () => new Promise<void>((r) => server.close(() => r())),
    };
  }

  // app probes its own target; the others have none and opt in to any target (blackbox-style).
  const config = (secretFile: string) => `
scrape_configs:
  - job_name: app
    authorization: { credentials: ${CANARY} }
    static_configs: [ { targets: ["${app.address}"] } ]
  - job_name: basic
    basic_auth: { username: prometheus, password: ${CANARY} }
    http_headers: { X-Key: { secrets: [${CANARY}] }, X-File: { files: [${secretFile}] }, X-Scope: { values: [visible] } }
    proxy_url: http://user:${CANARY}@127.0.0.1:1
    probe: { allow_any_target: true }
  - job_name: file
    bearer_token_file: ${secretFile}
    probe: { allow_any_target: true }
  - job_name: slow
    probe: { timeout: 1s, interval: 2s, allow_any_target: true }
`;

  it('answers 400 with a clear message for an unknown module or a bad target', async () => {
    const h = await harness();
    await h.apply(config(path.join(h.dir, 'token')));
    const s = await serve(h);
    expect(await s.get('/probe?target=x:1&module=nope')).toMatchObject({ status: 400, body: 'Unknown module "nope": module is a job_name from the config\n' });
    expect(await s.get('/probe?module=app')).toMatchObject({ status: 400, body: 'Target parameter is missing\n' });
    expect(await s.get('/probe?target=x:1')).toMatchObject({ status: 400 });
    expect((await s.get('/probe?target=ftp://x/&module=app')).body).toContain('unsupported scheme "ftp"');
    expect((await s.get(`/probe?target=${encodeURIComponent('http://u:p@x:1/')}&module=app`)).body).toContain('credentials in the URL are not allowed');
    expect((await s.get(`/probe?target=${encodeURIComponent('a b')}&module=app`)).status).toBe(400);
  });

  it('says why a module is not probed when it names a skipped job of prometheus.yml, instead of "Unknown module"', async () => {
    const h = await harness();
    writeFileSync(path.join(h.dir, 'prometheus.yml'), 'scrape_configs:\n  - job_name: aws\n    sigv4: { region: eu-west-1 }\n    static_configs: [ { targets: ["x:1"] } ]\n');
    writeFileSync(path.join(h.dir, 'own.yml'), 'prometheus: { config_file: prometheus.yml }\n');
    await h.wiring.probes.apply(await createConfigLoader(path.join(h.dir, 'own.yml'), silentLogger())());
    const s = await serve(h);
    expect(await s.get('/probe?target=x:1&module=aws')).toMatchObject({
      status: 400,
      body: 'Module "aws" is skipped, not probed (sigv4): sigv4 authentication is not probed\n',
    });
    expect((await s.get('/probe?target=x:1&module=nope')).body).toBe('Unknown module "nope": module is a job_name from the config\n');
  });

  it('probes now with the module\'s auth and answers only that probe\'s metrics from a fresh registry', async () => {
    const h = await harness();
    await h.apply(config(path.join(h.dir, 'token')));
    const s = await serve(h);
    const r = await s.get(`/probe?target=${app.address}&module=app`);
    expect(r.status).toBe(200);
    expect(r.body).toContain(`scrape_auth_probe_success{scrape_job="app",scrape_instance="${app.address}"} 1`);
    expect(r.body).toContain(`scrape_auth_probes_total{scrape_job="app",scrape_instance="${app.address}",result="ok"} 1`);
    const url = await s.get(`/probe?target=${encodeURIComponent(`http://${app.address}/open`)}&module=app`);
    expect(url.body).toContain('scrape_auth_probe_success{scrape_job="app",scrape_instance="' + app.address + '"} 1');
    // The scheduled state is untouched: nothing was probed on schedule yet.
    expect(await h.metrics()).not.toContain('scrape_auth_probe_success{');
  });

  it('times out a tarpit after 1 s while the exporter\'s /metrics still answers quickly', async () => {
    const h = await harness();
    await h.apply(config(path.join(h.dir, 'token')));
    const s = await serve(h);
    let slowDone = false;
    const slow = s.get(`/probe?target=127.0.0.1:${tarpit.port}&module=slow`).finally(() => (slowDone = true));
    const quick = await s.get('/metrics');
    expect(quick.status).toBe(200);
    // /metrics is answered while the probe is still waiting on the tarpit: no time bound, an ordering.
    expect(slowDone).toBe(false);
    const r = await slow;
    expect(r.body).toContain(`scrape_auth_probe_result{scrape_job="slow",scrape_instance="127.0.0.1:${tarpit.port}",result="timeout"} 1`);
    expect(r.ms).toBeGreaterThanOrEqual(900);
    expect(r.ms).toBeLessThan(10_000);
  });

  it('never shows a secret: not in metrics, debug logs, /probe?debug=true, the status page data or errors', async () => {
    const h = await harness();
    const secretFile = path.join(h.dir, 'token');
    writeFileSync(secretFile, `${CANARY}\n`);
    await h.apply(config(secretFile));
    const s = await serve(h);
    const outputs: string[] = [];
    for (const [module, target] of [
      ['app', app.address],
      ['basic', app.address],
      ['file', `${app.address}`],
      ['app', `http://${app.address}/nowhere`],
      ['basic', `https://${app.address}/metrics`],
    ] as const) {
      for (const debug of ['', '&debug=true']) {
        const r = await s.get(`/probe?target=${encodeURIComponent(target)}&module=${module}${debug}`);
        outputs.push(r.body);
      }
    }
    const debugOut = (await s.get(`/probe?target=${app.address}&module=basic&debug=true`)).body;
    expect(debugOut).toContain('> Authorization: <secret>');
    expect(debugOut).toContain('> X-Key: <secret>');
    expect(debugOut).toContain('> X-File: <secret>');
    expect(debugOut).toContain('> X-Scope: visible');
    expect(debugOut).toContain('Result: ');
    expect(debugOut).toContain('Timings: ');
    expect(debugOut).toContain('scrape_auth_probe_success');
    const appDebug = (await s.get(`/probe?target=${app.address}&module=app&debug=true`)).body;
    expect(appDebug).toContain('< HTTP 200');
    expect(appDebug).toContain('Result: ok');

    // Scheduled probes with debug logging on.
    h.wiring.probes.setDiscoveredTargets('test', [
      { job: 'basic', url: `http://${app.address}/metrics`, labels: {} },
      { job: 'file', url: `http://${app.address}/metrics`, labels: {} },
    ]);
    await probeAll(h);
    expect(h.logs.some((l) => l.includes('Probe finished'))).toBe(true);
    outputs.push(await h.metrics(), JSON.stringify(h.wiring.status.targets()), ...h.logs, debugOut, appDebug);
    const all = outputs.join('\n');
    expect(all).not.toContain(CANARY);
    expect(all).not.toContain(Buffer.from(`prometheus:${CANARY}`).toString('base64'));
    expect(all).not.toContain(Buffer.from(`user:${CANARY}`).toString('base64'));
  });

  it('probes oauth2 modules, client credentials and JWT bearer alike', async () => {
    const h = await harness();
    await h.apply(`
scrape_configs:
  - job_name: cloud
    oauth2: { client_id: a, client_secret: b, token_url: "http://127.0.0.1:1/token" }
    static_configs: [ { targets: ["${app.address}"] } ]
  - job_name: jwt
    oauth2: { client_id: a, grant_type: "urn:ietf:params:oauth:grant-type:jwt-bearer", token_url: "http://127.0.0.1:1/token" }
    static_configs: [ { targets: ["${app.address}"] } ]
`);
    const s = await serve(h);
    const r = await s.get(`/probe?target=${app.address}&module=cloud&debug=true`);
    expect(r.status).toBe(200);
    expect(r.body).toContain('Error: Get "http://');
    expect(r.body).toContain('oauth2: cannot fetch token: Post "http://127.0.0.1:1/token": dial tcp 127.0.0.1:1: connect: connection refused');
    const jwt = await s.get(`/probe?target=${app.address}&module=jwt&debug=true`);
    expect(jwt.status).toBe(200);
    // No signing key configured: the token request cannot be made, and the probe says so.
    expect(jwt.body).toContain('oauth2: cannot fetch token: invalid key: Key must be a PEM encoded PKCS1 or PKCS8 key');
  });
});
