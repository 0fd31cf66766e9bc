// The canary sweep: every credential form holds a canary, every target and proxy reflects what it receives, the
// config gets typos with secrets in them; then every output of the built exporter is collected and searched for
// each canary, raw and encoded. Nothing may be found.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAIN, runExporter, startExporter, waitFor, type RunningExporter } from '../helpers/exporter.js';
import { startServer, startTcp, type TestServer } from '../probe/helpers.js';

const TOKEN = 'CANARYtokenSweep0a1b';
const HEADER_SECRET = 'CANARYheaderSweep2c3d';
const PASSWORD = 'CANARYpasswordSweep4e5f';
const PROXY_PASSWORD = 'CANARYproxySweep6a7b';
const CONFIG_SECRET = 'CANARYconfigSweep8c9d';
const WEB_PLAINTEXT = 'CANARYwebPlain0e1f';
const OAUTH_SECRET = 'CANARYoauthSweep2a3b';
const CONNECT_HEADER = 'CANARYconnectSweep4c5d';
const CANARIES = [TOKEN, HEADER_SECRET, PASSWORD, PROXY_PASSWORD, CONFIG_SECRET, WEB_PLAINTEXT, OAUTH_SECRET, CONNECT_HEADER];

/** The canaries found in `text`, in any form a leak could take. */
function leaks(text: string): string[] {
  const lower = text.toLowerCase();
  const found: string[] = [];
  for (const c of CANARIES) {
    const forms = [c, encodeURIComponent(c), Buffer.from(c).toString('base64').replace(/=+$/, '')];
    if (forms.some((f) => lower.includes(f.toLowerCase()))) found.push(c);
  }
  for (const pair of [`prometheus:${PASSWORD}`, `puser:${PROXY_PASSWORD}`, `prometheus:${OAUTH_SECRET}`]) {
    if (text.includes(Buffer.from(pair).toString('base64').replace(/=+$/, ''))) found.push(pair);
  }
  return found;
}

let dir: string;
let reflector: TestServer;
let recorder: TestServer;
let proxy: { port: number; close(): Promise<void> };
let exporter: RunningExporter | undefined;
const outputs: [string, string][] = [];

function config(typo = ''): string {
  return `
global: { probe_interval: 2s, probe_timeout: 1s }
scrape_configs:
  - job_name: bearer
    authorization: { credentials_file: ${path.join(dir, 'token')} }
    http_headers: { X-Key: { secrets: [${HEADER_SECRET}] } }
    metrics_path: /forbidden
    static_configs: [ { targets: ["${reflector.address}"] } ]
    probe: { check_unauthenticated: true }
  - job_name: basic
    basic_auth: { username: prometheus, password_file: ${path.join(dir, 'password')} }
    metrics_path: /text
    static_configs: [ { targets: ["${reflector.address}"] } ]
  - job_name: redirect
    bearer_token: ${TOKEN}
    metrics_path: /redirect
    static_configs: [ { targets: ["${reflector.address}"] } ]
  - job_name: proxied
    scheme: https
    proxy_url: http://puser:${PROXY_PASSWORD}@127.0.0.1:${proxy.port}
    proxy_connect_header: { X-Proxy-Key: [${CONNECT_HEADER}] }
    bearer_token: ${TOKEN}
    static_configs: [ { targets: ["127.0.0.1:1"] } ]
  - job_name: oauth
    oauth2: { client_id: prometheus, client_secret: ${OAUTH_SECRET}, token_url: "http://${reflector.address}/token" }
    metrics_path: /text
    static_configs: [ { targets: ["${reflector.address}"] } ]
${typo}`;
}

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'canary-sweep-'));
  writeFileSync(path.join(dir, 'token'), `${TOKEN}\n`);
  writeFileSync(path.join(dir, 'password'), `${PASSWORD}\n`);
  // Reflects everything it receives: in a 403 body, a 200 text body, response headers and a Location.
  reflector = await startServer((req, res) => {
    const auth = req.headers.authorization ?? '';
    const key = String(req.headers['x-key'] ?? '');
    const bare = auth.replace(/^\S+ /, '');
    const echo = { 'www-authenticate': `Bearer realm="${auth}"`, 'x-echo': `${auth} ${key}` };
    if (req.url?.startsWith('/forbidden')) return void res.writeHead(403, echo).end(`Forbidden (user=${bare}, verb=get, resource=${key}, subresource=${auth})`);
    if (req.url?.startsWith('/text')) return void res.writeHead(200, { 'content-type': 'text/plain', ...echo }).end(`${auth} 1\n${bare} 2\n`);
    if (req.url?.startsWith('/redirect')) return void res.writeHead(302, { ...echo, location: `/text?t=${encodeURIComponent(bare)}` }).end();
    // A token endpoint that refuses and quotes the whole request (the Basic credentials, then the form body).
    if (req.url?.startsWith('/token')) {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      return void req.on('end', () => res.writeHead(401, { 'content-type': 'application/json', ...echo }).end(JSON.stringify({ error: 'invalid_client', auth, body })));
    }
    res.writeHead(401, echo).end(auth);
  });
  recorder = await startServer((_req, res) => void res.writeHead(200).end());
  proxy = await startTcp((client) => {
    let head = '';
    client.on('data', (chunk: Buffer) => {
      head += chunk.toString('latin1');
      if (!head.includes('\r\n\r\n')) return;
      const auth = /Proxy-Authorization: (.*)\r\n/i.exec(head)?.[1] ?? '';
      const key = /X-Proxy-Key: (.*)\r\n/i.exec(head)?.[1] ?? '';
      client.end(`HTTP/1.1 407 Denied for ${auth} (${Buffer.from(auth.replace(/^Basic /, ''), 'base64').toString()}) ${key}\r\nContent-Length: 0\r\n\r\n`);
    });
  });
  writeFileSync(path.join(dir, 'scrape-auth.yml'), config());
  const built = spawnSync('npm', ['run', 'build'], { cwd: path.resolve(path.dirname(MAIN), '..'), encoding: 'utf8' });
  if (built.status !== 0) throw new Error(`build failed: ${built.stdout}${built.stderr}`);
}, 180_000);

afterAll(async () => {
  await exporter?.stop();
  await Promise.all([reflector.close(), recorder.close(), proxy.close()]);
  rmSync(dir, { recursive: true, force: true });
});

describe('canary sweep over every output', () => {
  it('finds no canary in /metrics, /, /api/v1/status, /probe?debug=true, logs, stderr, the reload body or --config.check', async () => {
    const file = path.join(dir, 'scrape-auth.yml');
    exporter = await startExporter([`--config.file=${file}`, '--log.level=debug']);
    const base = exporter.baseUrl;
    const get = async (p: string, init?: RequestInit) => {
      const res = await fetch(`${base}${p}`, init);
      const body = await res.text();
      outputs.push([p, body]);
      return { status: res.status, body };
    };
    // Every target probed at least once (the reflections have happened).
    await waitFor(async () => {
      const { data } = JSON.parse((await get('/api/v1/status')).body) as { data: { targets: { lastProbe: string | null }[] } };
      return data.targets.length === 5 && data.targets.every((t) => t.lastProbe !== null);
    }, 'every target probed', 20_000);

    const metrics = await get('/metrics');
    expect(metrics.body).toContain('scrape_auth_probe_result{scrape_job="bearer"');
    expect(metrics.body).not.toContain('scrape_auth_probe_forbidden_info{');
    await get('/');
    for (const module of ['bearer', 'basic', 'redirect', 'oauth']) await get(`/probe?module=${module}&target=${reflector.address}&debug=true`);
    expect(outputs.at(-1)![1]).toContain('oauth2: cannot fetch token: 401 Unauthorized');
    await get(`/probe?module=proxied&target=127.0.0.1:1&debug=true`);
    // The stolen-token attempt: refused, and the recording server receives nothing.
    expect((await get(`/probe?module=bearer&target=${encodeURIComponent(`http://${recorder.address}/steal`)}&debug=true`)).status).toBe(403);
    expect(recorder.requests).toEqual([]);

    // A typo that turns a secret into a key, reloaded: 500 with the error, old config kept.
    writeFileSync(file, config(`  - job_name: typo\n    basic_auth: {username: u, password:${CONFIG_SECRET}}\n`));
    const reload = await get('/-/reload', { method: 'POST' });
    expect(reload.status).toBe(500);
    expect(reload.body).toContain('unknown field "password…"');
    await get('/metrics');

    const check = await runExporter([`--config.file=${file}`, '--config.check']);
    outputs.push(['--config.check', check.stdout + check.stderr]);
    expect(check.code).toBe(1);
    const startup = await runExporter([`--config.file=${file}`, '--web.listen-address=127.0.0.1:0']);
    outputs.push(['start-up', startup.stdout + startup.stderr]);
    expect(startup.code).toBe(1);
    expect(startup.stderr).toContain('basic_auth[…]');
    const web = path.join(dir, 'web.yml');
    writeFileSync(web, `basic_auth_users: {alice:${WEB_PLAINTEXT}}\n`);
    writeFileSync(file, config());
    const badWeb = await runExporter([`--config.file=${file}`, `--web.config.file=${web}`, '--web.listen-address=127.0.0.1:0']);
    outputs.push(['web config', badWeb.stdout + badWeb.stderr]);
    expect(badWeb.code).toBe(1);
    expect(badWeb.stderr).toContain('basic_auth_users[…]');

    await exporter.stop();
    outputs.push(['stdout', exporter.stdout()], ['stderr (logs)', exporter.stderr()]);
    expect(exporter.stderr()).toContain('Probe finished');
    const found = outputs.flatMap(([where, text]) => leaks(text).map((c) => `${c} in ${where}`));
    expect(found).toEqual([]);
    // The reflections did happen: the scrubbed forms are there.
    expect(outputs.map(([, t]) => t).join('\n')).toContain('<secret>');
  }, 120_000);
});

describe('--probe.allow-any-target on the command line', () => {
  it('lets /probe reach a target outside the job (the operator opted in), still never http for an https job', async () => {
    const file = path.join(dir, 'any.yml');
    writeFileSync(file, `scrape_configs:\n  - job_name: open\n    bearer_token: ${TOKEN}\n  - job_name: secure\n    scheme: https\n    bearer_token: ${TOKEN}\n`);
    const running = await startExporter([`--config.file=${file}`, '--probe.allow-any-target']);
    try {
      const ok = await fetch(`${running.baseUrl}/probe?module=open&target=${recorder.address}`);
      expect(ok.status).toBe(200);
      expect(recorder.requests.at(-1)?.headers.authorization).toBe(`Bearer ${TOKEN}`);
      const refused = await fetch(`${running.baseUrl}/probe?module=secure&target=${encodeURIComponent(`http://${recorder.address}/`)}`);
      expect(refused.status).toBe(403);
      expect(await refused.text()).toBe('Forbidden: job "secure" uses https: its credentials are never sent over plain http\n');
      expect(recorder.requests.length).toBe(1);
    } finally {
      recorder.requests.length = 0;
      await running.stop();
    }
  }, 60_000);
});
