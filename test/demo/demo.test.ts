import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createComponents, type Wiring } from '../../src/components.js';
import { loadConfigFile } from '../../src/config/load.js';
import { startDemo, type Demo } from '../../src/demo/demo.js';
import { silentLogger } from '../../src/log.js';
import { createRegistry, registerSelfMetrics } from '../../src/metrics/self.js';
import { Runtime } from '../../src/runtime.js';
import { runExporter, sampleValue, startExporter, waitFor } from '../helpers/exporter.js';
import type { Registry } from 'prom-client';

const EXPECTED: Record<string, string> = {
  'demo-healthy': 'ok',
  'demo-basic-auth': 'ok',
  'demo-stale-token': 'unauthorized',
  'demo-forbidden': 'forbidden',
  'demo-unprotected': 'ok',
  'demo-tls': 'ok',
  'demo-untrusted-ca': 'tls_error',
  'demo-missing-file': 'credentials_error',
  'demo-empty-file': 'unauthorized',
  'demo-wrong-token': 'unauthorized',
  'demo-no-credentials': 'unauthorized',
  'demo-client-cert': 'tls_error',
  'demo-login-page': 'invalid_response',
};

/** Each job's cause: the demo shows at least six different ones (issue 13). */
const CAUSES: Record<string, string> = {
  'demo-healthy': 'ok',
  'demo-basic-auth': 'ok',
  'demo-stale-token': 'token_expired',
  'demo-forbidden': 'permission_denied',
  'demo-unprotected': 'ok',
  'demo-tls': 'ok',
  'demo-untrusted-ca': 'server_cert_untrusted',
  'demo-missing-file': 'credential_file_missing',
  'demo-empty-file': 'credential_file_empty',
  'demo-wrong-token': 'credentials_rejected',
  'demo-no-credentials': 'no_credentials_configured',
  'demo-client-cert': 'client_cert_required',
  'demo-login-page': 'login_page',
};

describe('the demo', () => {
  let demo: Demo;
  let runtime: Runtime;
  let wiring: Wiring;
  let registry: Registry;

  beforeAll(async () => {
    const logger = silentLogger();
    demo = await startDemo({ logger, rotateEveryMs: 400, probeInterval: '1s', probeTimeout: '900ms' });
    registry = createRegistry();
    const metrics = registerSelfMetrics(registry);
    wiring = createComponents({ registry, logger, env: {} });
    runtime = new Runtime({ load: () => loadConfigFile(demo.configFile), components: wiring.components, metrics, logger });
    expect(await runtime.reload()).toEqual({ ok: true });
  });
  afterAll(async () => {
    await runtime?.stop();
    await demo?.stop();
  });

  it('shows a job in every state a newcomer should see', async () => {
    const results = await waitFor(() => {
      const byJob = Object.fromEntries(wiring.status.targets().map((t) => [t.job, t.result]));
      return Object.entries(EXPECTED).every(([job, result]) => byJob[job] === result) && byJob;
    }, 'every demo job to reach its result', 15_000);
    expect(results).toEqual(EXPECTED);
  });

  it('shows at least six different causes, each with a fix', async () => {
    const causes = await waitFor(() => {
      const byJob = Object.fromEntries(wiring.status.targets().map((t) => [t.job, t.diagnosis?.cause]));
      return Object.entries(CAUSES).every(([job, cause]) => byJob[job] === cause) && byJob;
    }, 'every demo job to reach its cause', 15_000);
    expect(causes).toEqual(CAUSES);
    expect(new Set(Object.values(CAUSES)).size).toBeGreaterThanOrEqual(6);
    const metrics = await registry.metrics();
    for (const [job, cause] of Object.entries(CAUSES)) expect(sampleValue(metrics, 'scrape_auth_probe_diagnosis', { scrape_job: job, cause })).toBe(1);
    const stale = wiring.status.targets().find((t) => t.job === 'demo-stale-token')!;
    expect(stale.diagnosis!.summary).toMatch(/expired \d+m(\d+s)? ago, at /);
  });

  it('names the missing permission of the 403 and the unprotected endpoint', async () => {
    const body = await waitFor(async () => {
      const text = await registry.metrics();
      return sampleValue(text, 'scrape_auth_probe_auth_enforced', { scrape_job: 'demo-unprotected' }) === 0 && text;
    }, 'auth_enforced of the unprotected job');
    expect(sampleValue(body, 'scrape_auth_probe_forbidden_info', { scrape_job: 'demo-forbidden', verb: 'get', resource: 'nodes', subresource: 'metrics' })).toBe(1);
    expect(sampleValue(body, 'scrape_auth_probe_auth_enforced', { scrape_job: 'demo-healthy' })).toBe(1);
    expect(sampleValue(body, 'scrape_auth_probe_tls_cert_expiry_timestamp_seconds', { scrape_job: 'demo-tls' })).toBeGreaterThan(Date.now() / 1000 + 19 * 86400);
  });

  it('rotates the token through a ..data swap while the healthy job stays green', async () => {
    const token = `${demo.dir}/serviceaccount/token`;
    const rotated = await waitFor(async () => {
      const text = await registry.metrics();
      return (sampleValue(text, 'scrape_auth_credential_file_changes_total', { path: token }) ?? 0) >= 2 && text;
    }, 'two rotations of the demo token', 10_000);
    expect(sampleValue(rotated, 'scrape_auth_credential_expiry_timestamp_seconds', { path: token, type: 'jwt' })).toBeGreaterThan(Date.now() / 1000);
    expect(sampleValue(rotated, 'scrape_auth_credential_refresh_due_timestamp_seconds', { path: token, type: 'jwt' })).toBeGreaterThan(Date.now() / 1000);
    const before = wiring.status.targets().find((t) => t.job === 'demo-healthy')!.lastProbeMs!;
    const after = await waitFor(() => {
      const t = wiring.status.targets().find((x) => x.job === 'demo-healthy')!;
      return t.lastProbeMs! > before && t;
    }, 'a probe after the rotations');
    expect(after.result).toBe('ok');
    expect(wiring.status.credentials().find((c) => c.path.endsWith('legacy-api-key'))?.worldReadable).toBe(true);
  });


  it('documents every metric it exposes in docs/metrics.md, and documents no metric the code lacks', async () => {
    const root = path.resolve(import.meta.dirname, '../..');
    const documented = new Set([...(await readFile(path.join(root, 'docs/metrics.md'), 'utf8')).matchAll(/^\| `(scrape_auth_[a-z_]+)`/gm)].map((m) => m[1]!));
    const exposed = new Set([...(await registry.metrics()).matchAll(/^# HELP (scrape_auth_[a-z_]+) /gm)].map((m) => m[1]!));
    expect(exposed.size).toBeGreaterThan(25);
    expect([...exposed].filter((name) => !documented.has(name))).toEqual([]);
    let source = '';
    const walk = async (dir: string): Promise<void> => {
      for (const entry of await readdir(dir, { withFileTypes: true })) {
        const file = path.join(dir, entry.name);
        if (entry.isDirectory()) await walk(file);
        else if (entry.name.endsWith('.ts')) source += await readFile(file, 'utf8');
      }
    };
    await walk(path.join(root, 'src'));
    expect([...documented].filter((name) => !exposed.has(name) && !source.includes(`'${name}'`) && !source.includes(`'${name.replace(/^scrape_auth_/, '')}'`))).toEqual([]);
  });
});

describe('--demo from the command line', () => {
  it('starts, loads the generated config and serves the status page', async () => {
    const env = { ...process.env };
    delete env['KUBERNETES_SERVICE_HOST'];
    const exporter = await startExporter(['--demo'], { env });
    try {
      expect((await fetch(`${exporter.baseUrl}/-/ready`)).status).toBe(200);
      const page = await (await fetch(`${exporter.baseUrl}/`)).text();
      for (const job of Object.keys(EXPECTED)) expect(page).toContain(job);
    } finally {
      expect(await exporter.stop()).toBe(0);
    }
    expect(exporter.stderr()).toContain('Demo started');
  });

  it('is listed in --help', async () => {
    const result = await runExporter(['--help']);
    expect(result.stdout).toContain('--demo');
  });
});
