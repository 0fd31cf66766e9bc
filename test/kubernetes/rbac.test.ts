import { mkdirSync, mkdtempSync, renameSync, symlinkSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Registry } from 'prom-client';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { RbacChecker, type Timers } from '../../src/kubernetes/rbac.js';
import { createLogger } from '../../src/log.js';
import { makeCert, startFakeApiServer, type FakeApiServer, type Mode, type TestCert } from './fake-apiserver.js';

const CANARY_TOKEN = 'eyJhbGciOiJSUzI1NiJ9.CANARY-sa-token-7f3a9c.sig';

/** A service-account volume as the kubelet lays it out: files behind the `..data` symlink, swapped on rotation. */
class ServiceAccountVolume {
  readonly dir = mkdtempSync(path.join(tmpdir(), 'sa-volume-'));
  private generation = 0;

  constructor(token: string, ca: string) {
    this.write(token, ca);
    symlinkSync('..data/token', path.join(this.dir, 'token'));
    symlinkSync('..data/ca.crt', path.join(this.dir, 'ca.crt'));
  }

  write(token: string, ca: string): void {
    const data = `..2026_01_01_00_00_0${this.generation++}.000`;
    mkdirSync(path.join(this.dir, data));
    writeFileSync(path.join(this.dir, data, 'token'), token);
    writeFileSync(path.join(this.dir, data, 'ca.crt'), ca);
    symlinkSync(data, path.join(this.dir, '..data_tmp'));
    renameSync(path.join(this.dir, '..data_tmp'), path.join(this.dir, '..data'));
  }
}

class ManualTimers implements Timers {
  pending: { fn: () => void; ms: number }[] = [];
  set(fn: () => void, ms: number) {
    const entry = { fn, ms };
    this.pending.push(entry);
    return entry;
  }
  clear(handle: unknown) {
    this.pending = this.pending.filter((e) => e !== handle);
  }
  fire() {
    const next = this.pending.shift();
    if (!next) throw new Error('no timer pending');
    next.fn();
  }
}

let cert: TestCert;
let api: FakeApiServer;
const cleanups: (() => Promise<void> | void)[] = [];

beforeAll(async () => {
  cert = makeCert();
  api = await startFakeApiServer(cert, CANARY_TOKEN);
});
afterAll(async () => {
  await api.close();
  rmSync(cert.dir, { recursive: true, force: true });
});
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  api.mode = 'normal';
  api.acceptedToken = CANARY_TOKEN;
  api.allowed = new Set();
  api.reviews = [];
  api.tokensSeen = [];
});

interface Setup {
  checker: RbacChecker;
  registry: Registry;
  timers: ManualTimers;
  volume: ServiceAccountVolume;
  logs: string[];
  apply(kubernetesYaml?: string): Promise<void>;
  metrics(): Promise<string[]>;
}

function setup(opts: { env?: Record<string, string>; token?: string; ca?: string } = {}): Setup {
  const registry = new Registry();
  const logs: string[] = [];
  const logger = createLogger('debug', 'json', { write: (line) => logs.push(line) });
  const volume = new ServiceAccountVolume(opts.token ?? CANARY_TOKEN, opts.ca ?? cert.cert);
  const timers = new ManualTimers();
  const env = opts.env ?? { KUBERNETES_SERVICE_HOST: '127.0.0.1', KUBERNETES_SERVICE_PORT: String(api.port) };
  const checker = new RbacChecker({ registry, logger, env, serviceAccountDir: volume.dir, timers });
  cleanups.push(async () => {
    await checker.stop();
    rmSync(volume.dir, { recursive: true, force: true });
  });
  return {
    checker,
    registry,
    timers,
    volume,
    logs,
    async apply(kubernetesYaml) {
      const text = kubernetesYaml === undefined ? '{}' : `kubernetes:\n${kubernetesYaml}`;
      await checker.apply(parseConfig(text, path.join(volume.dir, 'scrape-auth.yml')));
      await checker.settled();
    },
    async metrics() {
      const text = await registry.metrics();
      return text.split('\n').filter((l) => l.startsWith('scrape_auth_rbac'));
    },
  };
}

const ALLOW_GUIDE = ['get nodes/metrics', 'get nodes/proxy', ...['nodes', 'services', 'endpoints', 'pods'].flatMap((r) => ['get', 'list', 'watch'].map((v) => `${v} ${r}`))];

describe('RBAC checks against the in-cluster API server', () => {
  it("asks SPEC's default checks and reports each answer as scrape_auth_rbac_allowed", async () => {
    api.allowed = new Set(ALLOW_GUIDE.filter((p) => p !== 'get nodes/proxy' && p !== 'watch endpoints'));
    const s = setup();
    await s.apply();
    expect(api.reviews).toHaveLength(14);
    expect(api.reviews).toContainEqual({ verb: 'get', resource: 'nodes', subresource: 'metrics' });
    expect(api.reviews).toContainEqual({ verb: 'watch', resource: 'pods' });
    expect((await s.metrics()).sort()).toEqual(
      [
        'scrape_auth_rbac_allowed{verb="get",resource="nodes",subresource="metrics"} 1',
        'scrape_auth_rbac_allowed{verb="get",resource="nodes",subresource="proxy"} 0',
        ...['nodes', 'services', 'endpoints', 'pods'].flatMap((r) =>
          ['get', 'list', 'watch'].map((v) => `scrape_auth_rbac_allowed{verb="${v}",resource="${r}",subresource=""} ${r === 'endpoints' && v === 'watch' ? 0 : 1}`),
        ),
        'scrape_auth_rbac_check_success 1',
      ].sort(),
    );
    expect(s.logs.join('')).toContain('RBAC check denied');
    expect(s.logs.join('')).toContain('"resource":"nodes/proxy"');
  });

  it('sends group, namespace and name of a configured check, as kubectl auth can-i does', async () => {
    api.allowed = new Set(['get secrets']);
    const s = setup();
    await s.apply('  rbac_checks:\n    - { verb: get, resource: secrets, namespace: monitoring, name: app, group: "" }\n    - { verb: create, resource: deployments, group: apps }');
    expect(api.reviews).toEqual([
      { verb: 'get', resource: 'secrets', namespace: 'monitoring', name: 'app' },
      { verb: 'create', resource: 'deployments', group: 'apps' },
    ]);
    expect((await s.metrics()).sort()).toEqual([
      'scrape_auth_rbac_allowed{verb="create",resource="deployments",subresource=""} 0',
      'scrape_auth_rbac_allowed{verb="get",resource="secrets",subresource=""} 1',
      'scrape_auth_rbac_check_success 1',
    ]);
  });

  it('re-reads the token each round, so a token the kubelet rotated is used at once', async () => {
    api.allowed = new Set(['get nodes/metrics']);
    const s = setup();
    await s.apply('  rbac_checks: [ { verb: get, resource: nodes, subresource: metrics } ]');
    expect(api.tokensSeen).toEqual([CANARY_TOKEN]);
    api.acceptedToken = 'rotated-token-2';
    s.volume.write('rotated-token-2\n', cert.cert);
    s.timers.fire();
    await s.checker.settled();
    expect(api.tokensSeen).toEqual([CANARY_TOKEN, 'rotated-token-2']);
    expect(await s.metrics()).toContain('scrape_auth_rbac_check_success 1');
  });

  it('runs every check_interval, never two rounds at once', async () => {
    api.allowed = new Set(['get pods']);
    const s = setup();
    await s.apply('  check_interval: 2m\n  rbac_checks: [ { verb: get, resource: pods } ]');
    expect(s.timers.pending.map((t) => t.ms)).toEqual([120_000]);
    s.timers.fire();
    expect(s.timers.pending).toHaveLength(0); // the next round is scheduled only after this one ends
    await s.checker.settled();
    expect(s.timers.pending.map((t) => t.ms)).toEqual([120_000]);
    expect(api.reviews).toHaveLength(2);
  });

  it('reports a 401 from the API server as check_success 0 and never shows the token', async () => {
    const s = setup();
    api.allowed = new Set(ALLOW_GUIDE);
    api.acceptedToken = 'some-other-token';
    await s.apply();
    const metrics = await s.metrics();
    expect(metrics).toEqual(['scrape_auth_rbac_check_success 0']);
    const logs = s.logs.join('');
    expect(logs).toContain('server returned HTTP status 401 Unauthorized: Unauthorized');
    expect(s.checker.status().lastError).toBe('server returned HTTP status 401 Unauthorized: Unauthorized');
    // One warning for the round, not one per check.
    expect(s.logs.filter((l) => l.includes('"level":"warn"'))).toHaveLength(1);
    const everything = `${logs}${await s.registry.metrics()}${JSON.stringify(s.checker.status())}`;
    expect(everything).not.toContain('CANARY');
  });

  it('never repeats the token when an answer quotes it', async () => {
    const s = setup();
    api.mode = 'echo-token';
    await s.apply('  rbac_checks: [ { verb: get, resource: pods } ]');
    expect(s.checker.status().lastError).toBe('server returned HTTP status 403 Forbidden: forbidden: request with header Bearer <secret> denied');
    expect(`${s.logs.join('')}${await s.registry.metrics()}`).not.toContain('CANARY');
  });

  it('keeps the last answers while the API server cannot be asked, and says so', async () => {
    api.allowed = new Set(['get pods']);
    const s = setup();
    await s.apply('  rbac_checks: [ { verb: get, resource: pods }, { verb: list, resource: pods } ]');
    api.mode = 'status-500';
    s.timers.fire();
    await s.checker.settled();
    expect((await s.metrics()).sort()).toEqual([
      'scrape_auth_rbac_allowed{verb="get",resource="pods",subresource=""} 1',
      'scrape_auth_rbac_allowed{verb="list",resource="pods",subresource=""} 0',
      'scrape_auth_rbac_check_success 0',
    ]);
    expect(s.checker.status().lastError).toBe('server returned HTTP status 500 Internal Server Error: etcdserver: request timed out');
    api.mode = 'normal';
    s.timers.fire();
    await s.checker.settled();
    expect(await s.metrics()).toContain('scrape_auth_rbac_check_success 1');
    expect(s.logs.join('')).toContain('answered again');
  });

  it('gives up on a slow API server after the timeout, without hanging', async () => {
    const s = setup();
    api.mode = 'slow';
    const started = Date.now();
    // check_interval caps the timeout: 300ms here.
    await s.apply('  check_interval: 300ms\n  rbac_checks: [ { verb: get, resource: pods } ]');
    const took = Date.now() - started;
    expect(took).toBeGreaterThanOrEqual(250);
    expect(took).toBeLessThan(5_000);
    expect(await s.metrics()).toEqual(['scrape_auth_rbac_check_success 0']);
    expect(s.checker.status().lastError).toBe('context deadline exceeded');
  });

  it('stops promptly while a review is in flight, and records nothing after', async () => {
    const s = setup();
    api.mode = 'slow';
    await s.checker.apply(parseConfig('kubernetes: { rbac_checks: [ { verb: get, resource: pods } ] }', 'x.yml'));
    const deadline = Date.now() + 5_000;
    while (api.reviews.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    expect(api.reviews).toHaveLength(1);
    const started = Date.now();
    await s.checker.stop();
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(await s.metrics()).toEqual([]);
    expect(s.timers.pending).toHaveLength(0);
  });

  it.each<[Mode, string]>([
    ['html', 'invalid response: the body is not JSON'],
    ['truncated', 'invalid response: the body is not JSON'],
    ['wrong-shape', 'invalid response: not a SelfSubjectAccessReview with status.allowed'],
    ['allowed-as-string', 'invalid response: not a SelfSubjectAccessReview with status.allowed'],
    ['huge', 'invalid response: the body is not JSON'],
    ['reset', 'connection reset by peer'],
  ])('survives a garbage answer (%s): check_success 0, then recovers', async (mode, error) => {
    const s = setup();
    api.allowed = new Set(['get pods']);
    api.mode = mode;
    await s.apply('  rbac_checks: [ { verb: get, resource: pods } ]');
    expect(await s.metrics()).toEqual(['scrape_auth_rbac_check_success 0']);
    expect(s.checker.status().lastError).toBe(error);
    api.mode = 'normal';
    s.timers.fire();
    await s.checker.settled();
    expect(await s.metrics()).toEqual(['scrape_auth_rbac_allowed{verb="get",resource="pods",subresource=""} 1', 'scrape_auth_rbac_check_success 1']);
  });

  it('refuses an API server whose certificate the service-account CA did not sign', async () => {
    const stranger = makeCert('some-other-ca');
    cleanups.push(() => rmSync(stranger.dir, { recursive: true, force: true }));
    const s = setup({ ca: stranger.cert });
    await s.apply('  rbac_checks: [ { verb: get, resource: pods } ]');
    expect(await s.metrics()).toEqual(['scrape_auth_rbac_check_success 0']);
    expect(s.checker.status().lastError).toContain('x509: certificate signed by unknown authority');
    expect(api.reviews).toHaveLength(0);
  });

  it('reports a missing or empty token file by path, without asking', async () => {
    const s = setup();
    rmSync(path.join(s.volume.dir, 'token'));
    await s.apply('  rbac_checks: [ { verb: get, resource: pods } ]');
    expect(s.checker.status().lastError).toBe(`cannot read the service-account token ${path.join(s.volume.dir, 'token')}: no such file or directory`);
    const e = setup({ token: '  \n' });
    await e.apply('  rbac_checks: [ { verb: get, resource: pods } ]');
    expect(e.checker.status().lastError).toBe(`the service-account token ${path.join(e.volume.dir, 'token')} is empty`);
    expect(await e.metrics()).toEqual(['scrape_auth_rbac_check_success 0']);
    expect(api.reviews).toHaveLength(0);
  });

  it('reports a refused connection', async () => {
    const s = setup({ env: { KUBERNETES_SERVICE_HOST: '127.0.0.1', KUBERNETES_SERVICE_PORT: '1' } });
    await s.apply('  rbac_checks: [ { verb: get, resource: pods } ]');
    expect(s.checker.status().lastError).toBe('connection refused');
  });

  it('drops the series of a check removed by a reload', async () => {
    api.allowed = new Set(['get pods', 'get services']);
    const s = setup();
    await s.apply('  rbac_checks: [ { verb: get, resource: pods }, { verb: get, resource: services } ]');
    expect(await s.metrics()).toHaveLength(3);
    await s.apply('  rbac_checks: [ { verb: get, resource: services } ]');
    expect(await s.metrics()).toEqual(['scrape_auth_rbac_allowed{verb="get",resource="services",subresource=""} 1', 'scrape_auth_rbac_check_success 1']);
    // The reload restarted the schedule: one timer, not two.
    expect(s.timers.pending).toHaveLength(1);
  });
});

describe('when the RBAC checks run', () => {
  it('are off outside a cluster unless enabled: no series, no request', async () => {
    const s = setup({ env: {} });
    await s.apply();
    expect(await s.metrics()).toEqual([]);
    expect(api.reviews).toHaveLength(0);
    expect(s.timers.pending).toHaveLength(0);
  });

  it('are off in a cluster with enabled: false', async () => {
    const s = setup();
    await s.apply('  enabled: false');
    expect(await s.metrics()).toEqual([]);
    expect(api.reviews).toHaveLength(0);
  });

  it('say why they fail when enabled outside a cluster', async () => {
    const s = setup({ env: { KUBERNETES_SERVICE_HOST: '10.96.0.1' } });
    await s.apply('  enabled: true');
    expect(await s.metrics()).toEqual(['scrape_auth_rbac_check_success 0']);
    expect(s.checker.status().lastError).toContain('KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT are not set');
  });

  it('turn off on a reload that disables them, and their series go', async () => {
    api.allowed = new Set(['get pods']);
    const s = setup();
    await s.apply('  rbac_checks: [ { verb: get, resource: pods } ]');
    expect(await s.metrics()).toHaveLength(2);
    await s.apply('  enabled: false');
    expect(await s.metrics()).toEqual([]);
    expect(s.timers.pending).toHaveLength(0);
  });
});
