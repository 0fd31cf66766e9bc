// End to end: oauth2 jobs next to a real Prometheus (same verdict, same words), and proxy_from_environment from main's environment.
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import type http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAIN, sampleValue, startExporter, waitFor, type RunningExporter } from '../helpers/exporter.js';
import { startRecordingProxy, type RecordingProxy } from '../probe/recording-proxy.js';
import { startServer, type TestServer } from '../probe/helpers.js';
import { hasPrometheus, PROMETHEUS_BIN, startPrometheus, type PrometheusTarget, type RunningPrometheus } from './prometheus.js';

const SECRET = `canary-oauth-e2e-${randomBytes(8).toString('hex')}`;
const WRONG_SECRET = `canary-oauth-wrong-${randomBytes(8).toString('hex')}`;
const ACCESS = `access-${randomBytes(8).toString('hex')}`;

/** A token endpoint knowing one client, and a target that wants its token. */
async function startIdpAndApp(): Promise<{ idp: TestServer; app: TestServer }> {
  const idp = await startServer((req: http.IncomingMessage, res: http.ServerResponse) => {
    const basic = Buffer.from((req.headers.authorization ?? '').replace(/^Basic /, ''), 'base64').toString();
    req.resume();
    req.on('end', () => {
      if (basic === `prometheus:${SECRET}`) return void res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ access_token: ACCESS, token_type: 'bearer', expires_in: 3600 }));
      res.writeHead(401, { 'content-type': 'application/json' }).end('{"error":"invalid_client"}');
    });
  });
  const app = await startServer((req, res) => {
    if (req.headers.authorization === `Bearer ${ACCESS}`) return void res.writeHead(200, { 'content-type': 'text/plain' }).end('up_like 1\n');
    res.writeHead(401).end();
  });
  return { idp, app };
}

describe('oauth2 jobs next to a real Prometheus', () => {
  let dir: string;
  let prometheus: RunningPrometheus | undefined;
  let exporter: RunningExporter | undefined;
  let servers: { idp: TestServer; app: TestServer };

  beforeAll(async () => {
    if (!existsSync(MAIN)) throw new Error(`${MAIN} is missing: run npm run build first`);
    if (!hasPrometheus) throw new Error(`${PROMETHEUS_BIN} is missing: install Debian's prometheus package`);
    dir = await mkdtemp(path.join(tmpdir(), 'oauth2-e2e-'));
    await mkdir(path.join(dir, 'secrets'));
    await writeFile(path.join(dir, 'secrets', 'oauth'), `${SECRET}\n`);
    servers = await startIdpAndApp();
    const { idp, app } = servers;
    await writeFile(
      path.join(dir, 'prometheus.yml'),
      `global: { scrape_interval: 1s, scrape_timeout: 1s }
scrape_configs:
  - job_name: oauth-good
    oauth2: { client_id: prometheus, client_secret_file: secrets/oauth, token_url: "${idp.origin}/token", scopes: [metrics] }
    static_configs: [ { targets: ["${app.address}"] } ]
  - job_name: oauth-refused
    oauth2: { client_id: prometheus, client_secret: "${WRONG_SECRET}", token_url: "${idp.origin}/token" }
    static_configs: [ { targets: ["${app.address}"] } ]
`,
    );
    prometheus = await startPrometheus(path.join(dir, 'prometheus.yml'), dir);
    await writeFile(path.join(dir, 'scrape-auth.yml'), 'global: { probe_interval: 2s, probe_timeout: 1s }\nprometheus:\n  config_file: prometheus.yml\n');
    exporter = await startExporter([`--config.file=${path.join(dir, 'scrape-auth.yml')}`, '--log.level=debug']);
  }, 40_000);

  afterAll(async () => {
    await exporter?.stop();
    await prometheus?.stop();
    await Promise.all([servers?.idp.close(), servers?.app.close()]);
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const ours = async () => (await fetch(`${exporter!.baseUrl}/metrics`)).text();

  it('reaches the verdict Prometheus reaches, with the error text Prometheus shows (on one line)', async () => {
    const byJob = await waitFor(
      async () => {
        const targets = (await prometheus!.activeTargets()).filter((t) => t.health !== 'unknown');
        const text = await ours();
        const done = ['oauth-good', 'oauth-refused'].every((j) => targets.some((t) => t.scrapePool === j) && sampleValue(text, 'scrape_auth_probe_success', { scrape_job: j }) !== undefined);
        return done ? new Map<string, PrometheusTarget>(targets.map((t) => [t.scrapePool, t])) : undefined;
      },
      'both sides to judge both oauth2 jobs',
      30_000,
      100,
    );
    const text = await ours();
    expect(byJob.get('oauth-good')!.health).toBe('up');
    expect(sampleValue(text, 'scrape_auth_probe_success', { scrape_job: 'oauth-good' })).toBe(1);
    expect(byJob.get('oauth-refused')!.health).toBe('down');
    expect(sampleValue(text, 'scrape_auth_probe_result', { scrape_job: 'oauth-refused', result: 'credentials_error' })).toBe(1);

    const status = (await (await fetch(`${exporter!.baseUrl}/api/v1/status`)).json()) as { data: { targets: { job: string; lastError: string | null }[] } };
    const ourError = status.data.targets.find((t) => t.job === 'oauth-refused')!.lastError;
    const theirError = byJob.get('oauth-refused')!.lastError;
    console.log(`oauth2 refusal:\n  Prometheus: ${JSON.stringify(theirError)}\n  ours:       ${JSON.stringify(ourError)}`);
    expect(theirError).toMatch(/oauth2: cannot fetch token: 401 Unauthorized\nResponse: \{"error":"invalid_client"\}/);
    expect(ourError).toBe(theirError.replace(/\n/g, ' '));
    // The secret file is watched as the job's credential.
    expect(sampleValue(text, 'scrape_auth_credential_usage_info', { path: path.join(dir, 'secrets', 'oauth'), scrape_job: 'oauth-good', usage: 'oauth2_client_secret' })).toBe(1);
  });

  it('never shows the client secrets or the access token: metrics, status page and API, /probe debug, logs', async () => {
    const { app } = servers;
    const pages = await Promise.all(
      ['/metrics', '/', '/api/v1/status', `/probe?module=oauth-good&target=${app.address}&debug=true`, `/probe?module=oauth-refused&target=${app.address}&debug=true`].map(async (p) => {
        const res = await fetch(`${exporter!.baseUrl}${p}`);
        return `${p}\n${await res.text()}`;
      }),
    );
    const probed = pages[3]!;
    expect(probed).toContain('Result: ok');
    for (const text of [...pages, exporter!.stderr(), exporter!.stdout()]) {
      for (const secret of [SECRET, WRONG_SECRET, ACCESS]) expect(text).not.toContain(secret);
    }
  });
});

describe('proxy_from_environment with the environment main was started with', () => {
  let dir: string;
  let proxy: RecordingProxy;
  let exporter: RunningExporter | undefined;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'proxy-env-e2e-'));
    proxy = await startRecordingProxy();
    await writeFile(
      path.join(dir, 'scrape-auth.yml'),
      `global: { probe_interval: 2s, probe_timeout: 1s }
scrape_configs:
  - job_name: via-env
    proxy_from_environment: true
    static_configs: [ { targets: ["app.test:9100"] } ]
  - job_name: excluded
    proxy_from_environment: true
    static_configs: [ { targets: ["127.0.0.1:1"] } ]
`,
    );
    exporter = await startExporter([`--config.file=${path.join(dir, 'scrape-auth.yml')}`], {
      env: { ...process.env, HTTP_PROXY: `http://127.0.0.1:${proxy.port}`, NO_PROXY: 'internal.example' },
    });
  }, 30_000);

  afterAll(async () => {
    await exporter?.stop();
    await proxy.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('sends a job with proxy_from_environment through HTTP_PROXY, and loopback targets directly', async () => {
    const text = await waitFor(
      async () => {
        const t = await (await fetch(`${exporter!.baseUrl}/metrics`)).text();
        return sampleValue(t, 'scrape_auth_probe_success', { scrape_job: 'via-env' }) !== undefined && sampleValue(t, 'scrape_auth_probe_success', { scrape_job: 'excluded' }) !== undefined ? t : undefined;
      },
      'both jobs probed',
      20_000,
      100,
    );
    expect(sampleValue(text, 'scrape_auth_probe_success', { scrape_job: 'via-env' })).toBe(1);
    expect(proxy.seen.some((s) => s.method === 'GET' && s.target === 'http://app.test:9100/metrics')).toBe(true);
    // Go never proxies loopback from the environment: the refused port is refused directly.
    expect(sampleValue(text, 'scrape_auth_probe_result', { scrape_job: 'excluded', result: 'connection_refused' })).toBe(1);
    expect(proxy.seen.some((s) => s.target.includes('127.0.0.1:1'))).toBe(false);
  });
});
