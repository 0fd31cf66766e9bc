// Attack: targets that echo the credentials they get into the places a diagnosis quotes (a 403 body's user, a
// login redirect's path). No secret may reach a diagnosis, the metric, the API or --diagnose's output.
import { randomBytes } from 'node:crypto';
import { rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createComponents, type Wiring } from '../../src/components.js';
import { silentLogger } from '../../src/log.js';
import { createRegistry, registerSelfMetrics } from '../../src/metrics/self.js';
import { Runtime } from '../../src/runtime.js';
import { createConfigLoader } from '../../src/sidecar/merge.js';
import { buildStatus } from '../../src/web/status-view.js';
import type { Registry } from 'prom-client';
import { startServer, tmpDir, type TestServer } from '../probe/helpers.js';

const TOKEN = `canaryTok${randomBytes(8).toString('hex')}`;
const PASSWORD = `canaryPw${randomBytes(8).toString('hex')}`;
let target: TestServer;
let dir: string;
let registry: Registry;
let wiring: Wiring;
let runtime: Runtime;

beforeAll(async () => {
  target = await startServer((req, res) => {
    const auth = req.headers.authorization ?? '';
    const sent = auth.startsWith('Bearer ') ? auth.slice(7) : Buffer.from(auth.slice(6), 'base64').toString();
    if (req.url === '/forbidden') {
      return void res.writeHead(403, { 'Content-Type': 'text/plain' }).end(`Forbidden (user=${sent}, verb=get, resource=nodes, subresource=metrics)\n`);
    }
    if (req.url === '/sso') return void res.writeHead(302, { Location: `/login/${encodeURIComponent(sent)}/${sent}?token=${sent}` }).end();
    if (req.url?.startsWith('/login/')) return void res.writeHead(200, { 'Content-Type': 'text/html' }).end(`<html><title>Sign in ${sent}</title></html>`);
    res.writeHead(401).end(`bad credentials: ${sent}`);
  });
  dir = tmpDir('diagnosis-canary-');
  writeFileSync(path.join(dir, 'token'), TOKEN, { mode: 0o640 });
  writeFileSync(path.join(dir, 'password'), PASSWORD, { mode: 0o640 });
  writeFileSync(
    path.join(dir, 'scrape-auth.yml'),
    `global: { probe_interval: 1h, probe_timeout: 5s }
scrape_configs:
  - { job_name: reflect-403, metrics_path: /forbidden, authorization: { credentials_file: token }, static_configs: [ { targets: ["${target.address}"] } ] }
  - { job_name: reflect-login, metrics_path: /sso, authorization: { credentials_file: token }, static_configs: [ { targets: ["${target.address}"] } ] }
  - { job_name: reflect-basic, metrics_path: /sso, basic_auth: { username: prometheus, password_file: password }, static_configs: [ { targets: ["${target.address}"] } ] }
  - { job_name: reflect-401, basic_auth: { username: prometheus, password_file: password }, static_configs: [ { targets: ["${target.address}"] } ] }
`,
  );
  registry = createRegistry();
  wiring = createComponents({ registry, logger: silentLogger() });
  runtime = new Runtime({ load: createConfigLoader(path.join(dir, 'scrape-auth.yml'), silentLogger()), components: wiring.components, metrics: registerSelfMetrics(registry), logger: silentLogger() });
  expect((await runtime.reload()).ok).toBe(true);
  await wiring.probes.probeAll();
});

afterAll(async () => {
  await runtime.stop();
  await target.close();
  rmSync(dir, { recursive: true, force: true });
});

const forms = (s: string) => [s, encodeURIComponent(s), Buffer.from(s).toString('base64'), Buffer.from(`prometheus:${s}`).toString('base64')];

describe('a target that echoes the credentials it got', () => {
  it('first proves its setup: every job got its answer with the secret in it', () => {
    const byJob = Object.fromEntries(wiring.probes.targets().map((t) => [t.job, t.diagnosis?.cause]));
    expect(byJob).toEqual({ 'reflect-403': 'permission_denied', 'reflect-login': 'login_page', 'reflect-basic': 'login_page', 'reflect-401': 'credentials_rejected' });
    expect(target.requests.some((r) => r.headers.authorization === `Bearer ${TOKEN}`)).toBe(true);
  });

  it('never lets the secret into a diagnosis, the metric or the status API', async () => {
    const everything = [
      JSON.stringify(wiring.probes.targets().map((t) => t.diagnosis)),
      await registry.metrics(),
      JSON.stringify(buildStatus(wiring.status, { file: 'x', lastReloadSuccessful: true, lastReloadSuccessMs: 0 }, [], Date.now())),
    ].join('\n');
    for (const secret of [TOKEN, PASSWORD]) for (const form of forms(secret)) expect(everything).not.toContain(form);
  });
});
