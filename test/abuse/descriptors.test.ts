// Attack: the exporter runs under a small `ulimit -n` and a connection flood takes every descriptor it has left.
// Probes and credential reads then fail with EMFILE; that must never become a verdict about the target or the
// file (before: healthy targets showed credentials_error "emfile" and network_error). The built exporter runs as a
// child, as a user runs it.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { sampleValue, startExporter, waitFor, type RunningExporter } from '../helpers/exporter.js';
import { METRICS_BODY, startServer, type TestServer } from '../probe/helpers.js';

/** About 22 descriptors are in use once the exporter runs (start-up, loading modules, needs more at once). */
const OPEN_FILES_LIMIT = 128;
const FLOOD = 400;
/** Rounds of FLOOD / 4 more connections at most (5,000 in all). */
const MAX_ROUNDS = 50;

let dir: string;
let target: TestServer;
let exporter: RunningExporter | undefined;
const flood: net.Socket[] = [];

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'abuse-fds-'));
  target = await startServer((req, res) => {
    if (req.headers.authorization !== 'Bearer good-token') return void res.writeHead(401).end();
    res.writeHead(200, { 'content-type': 'text/plain' }).end(METRICS_BODY);
  });
});

afterAll(async () => {
  for (const s of flood) s.destroy();
  await exporter?.stop();
  await target.close();
  rmSync(dir, { recursive: true, force: true });
});

async function metrics(base: string): Promise<string> {
  const res = await fetch(`${base}/metrics`);
  return res.text();
}

it('keeps the last verdicts of targets and files when the process runs out of descriptors, and counts it', async () => {
  writeFileSync(path.join(dir, 'token'), 'good-token\n');
  writeFileSync(
    path.join(dir, 'scrape-auth.yml'),
    `global: { credential_poll_interval: 100ms }
scrape_configs:
  - job_name: app
    bearer_token_file: token
    probe: { interval: 500ms, timeout: 500ms }
    static_configs: [ { targets: ["${target.address}"] } ]
`,
  );
  exporter = await startExporter([`--config.file=${path.join(dir, 'scrape-auth.yml')}`], {
    command: ['bash', '-c', `ulimit -n ${OPEN_FILES_LIMIT} && exec "$0" "$@"`, process.execPath],
  });
  const base = exporter.baseUrl;
  const { port } = new URL(base);
  await waitFor(async () => sampleValue(await metrics(base), 'scrape_auth_probes_total', { scrape_job: 'app', result: 'ok' }), 'a first ok probe');

  // Idle connections the exporter must accept, until it has no descriptor left for probes or file reads. Topped
  // up in rounds (the server closes idle ones after its header timeout) until the exporter says it is out of
  // descriptors: bounded in rounds, not timed.
  const exhausted = () => exporter!.stderr().includes('Out of file descriptors');
  for (let round = 0; round < MAX_ROUNDS && !exhausted(); round++) {
    for (let i = 0; i < FLOOD / 4; i++) {
      const socket = net.connect(Number(port), '127.0.0.1');
      socket.on('error', () => undefined);
      flood.push(socket);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  await waitFor(exhausted, 'the exhaustion warning', 20_000);
  for (const s of flood.splice(0)) s.destroy();

  const text = await waitFor(async () => {
    const t = await metrics(base);
    return (sampleValue(t, 'scrape_auth_descriptor_exhaustion_total', { component: 'probe' }) ?? 0) + (sampleValue(t, 'scrape_auth_descriptor_exhaustion_total', { component: 'credentials' }) ?? 0) > 0 ? t : '';
  }, 'the exhaustion counter', 20_000);
  // The wrong verdicts exhaustion used to give (a timeout is left out: a loaded machine may take 0.5 s honestly).
  for (const result of ['credentials_error', 'network_error', 'connection_refused', 'dns_error']) {
    expect(sampleValue(text, 'scrape_auth_probes_total', { scrape_job: 'app', result }), result).toBe(0);
  }
  expect(sampleValue(text, 'scrape_auth_probe_success', { scrape_job: 'app' })).toBe(1);
  expect(sampleValue(text, 'scrape_auth_credential_file_readable', { path: path.join(dir, 'token') })).toBe(1);
  // Probes go on once descriptors are back.
  const okBefore = sampleValue(text, 'scrape_auth_probes_total', { scrape_job: 'app', result: 'ok' })!;
  await waitFor(async () => (sampleValue(await metrics(base), 'scrape_auth_probes_total', { scrape_job: 'app', result: 'ok' }) ?? 0) > okBefore, 'another ok probe');
}, 60_000);
