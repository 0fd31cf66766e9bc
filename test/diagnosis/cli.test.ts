// --diagnose as a user runs it (the built dist/main.js) and as CI reads it: flags, exit codes, text and JSON.
import { randomBytes } from 'node:crypto';
import { rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseCli } from '../../src/cli.js';
import { renderText, type DiagnoseRow } from '../../src/diagnosis/report.js';
import { runDiagnose } from '../../src/diagnosis/run.js';
import { runExporter } from '../helpers/exporter.js';
import { METRICS_BODY, startServer, tmpDir, type TestServer } from '../probe/helpers.js';

const TOKEN = `cli-canary-${randomBytes(8).toString('hex')}`;
let dir: string;
let target: TestServer;
let prometheus: TestServer;
const config = () => path.join(dir, 'scrape-auth.yml');

beforeAll(async () => {
  dir = tmpDir('diagnosis-cli-');
  target = await startServer((req, res) => {
    if (req.headers.authorization === `Bearer ${TOKEN}`) return void res.writeHead(200, { 'Content-Type': 'text/plain' }).end(METRICS_BODY);
    res.writeHead(401).end();
  });
  writeFileSync(path.join(dir, 'token'), `${TOKEN}\n`, { mode: 0o640 });
  writeFileSync(path.join(dir, 'stale'), 'stale-token-value\n', { mode: 0o640 });
  writeFileSync(
    config(),
    `global: { probe_interval: 1h, probe_timeout: 5s, max_concurrent_probes: 2 }
scrape_configs:
  - { job_name: good-a, authorization: { credentials_file: token }, static_configs: [ { targets: ["${target.address}"] } ] }
  - { job_name: good-b, authorization: { credentials_file: token }, static_configs: [ { targets: ["${target.address}", "localhost:${target.port}"] } ] }
  - { job_name: stale, authorization: { credentials_file: stale }, static_configs: [ { targets: ["${target.address}"] } ] }
`,
  );
  // A Prometheus that reports one active target for an imported job (sidecar mode with prometheus.url).
  prometheus = await startServer((req, res) => {
    if (!req.url?.startsWith('/api/v1/targets')) return void res.writeHead(404).end();
    res.writeHead(200, { 'Content-Type': 'application/json' }).end(
      JSON.stringify({
        status: 'success',
        data: {
          activeTargets: [
            { discoveredLabels: {}, labels: { job: 'imported', instance: target.address, env: 'prod' }, scrapePool: 'imported', scrapeUrl: `http://${target.address}/metrics`, health: 'up' },
          ],
          droppedTargets: [],
        },
      }),
    );
  });
});

afterAll(async () => {
  await target.close();
  await prometheus.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('the --diagnose flags', () => {
  it('parses --diagnose, a repeatable --diagnose.job and --diagnose.output', () => {
    const parsed = parseCli(['--diagnose', '--diagnose.job=a', '--diagnose.job', 'b', '--diagnose.output=json']);
    expect(parsed.kind === 'run' && parsed.options).toMatchObject({ diagnose: true, diagnoseJobs: ['a', 'b'], diagnoseOutput: 'json' });
    const plain = parseCli(['--diagnose']);
    expect(plain.kind === 'run' && plain.options).toMatchObject({ diagnose: true, diagnoseJobs: [], diagnoseOutput: 'text' });
    const bad = parseCli(['--diagnose.output=yaml']);
    expect(bad).toMatchObject({ kind: 'exit', code: 1 });
  });
});

describe('scrape-auth-exporter --diagnose (the built binary)', () => {
  it('exits 0 when every target of the jobs asked for is ok, and prints an aligned table without colour off a terminal', async () => {
    const result = await runExporter([`--config.file=${config()}`, '--diagnose', '--diagnose.job=good-a', '--diagnose.job', 'good-b'], { timeoutMs: 30_000 });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const lines = result.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^JOB +INSTANCE +RESULT +CAUSE +STATUS +FIX$/);
    expect(lines.slice(1, 4).every((l) => /^good-[ab] +\S+ +ok +ok +200 +Nothing to fix\.$/.test(l))).toBe(true);
    // Aligned: every row's RESULT column starts where the header's does.
    const at = lines[0]!.indexOf('RESULT');
    for (const l of lines.slice(1, 4)) expect(l.indexOf(' ok ')).toBe(at - 1);
    expect(lines.at(-1)).toBe('All 3 target(s) ok.');
    expect(result.stdout).not.toContain('\u001b[');
  }, 40_000);

  it('exits 1 when a target is not ok, and --diagnose.output=json prints SPEC\'s fields', async () => {
    const result = await runExporter([`--config.file=${config()}`, '--diagnose', '--diagnose.output=json'], { timeoutMs: 30_000 });
    expect(result.code).toBe(1);
    const rows = JSON.parse(result.stdout) as DiagnoseRow[];
    expect(rows.map((r) => [r.scrape_job, r.result, r.cause])).toEqual([
      ['good-a', 'ok', 'ok'],
      ['good-b', 'ok', 'ok'],
      ['good-b', 'ok', 'ok'],
      ['stale', 'unauthorized', 'credentials_rejected'],
    ]);
    expect(rows[3]).toMatchObject({ scrape_instance: target.address, url: `http://${target.address}/metrics`, status_code: 401, error: 'server returned HTTP status 401 Unauthorized' });
    expect(rows[3]!.fix).toContain(path.join(dir, 'stale'));
    expect(`${result.stdout}${result.stderr}`).not.toContain(TOKEN);
  }, 40_000);

  it('refuses a --diagnose.job the config does not have, and a broken config, with one line and exit 1', async () => {
    const unknown = await runExporter([`--config.file=${config()}`, '--diagnose', '--diagnose.job=nope'], { timeoutMs: 30_000 });
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toBe('error: --diagnose.job names no job of the config: "nope"\n');
    writeFileSync(path.join(dir, 'broken.yml'), 'scrape_configs: [\n');
    const broken = await runExporter([`--config.file=${path.join(dir, 'broken.yml')}`, '--diagnose'], { timeoutMs: 30_000 });
    expect(broken.code).toBe(1);
    expect(broken.stderr.trim().split('\n')).toHaveLength(1);
    expect(broken.stderr).toMatch(/^error: .*broken\.yml:\d+:\d+:/);
  }, 40_000);
});

describe('--diagnose in sidecar mode', () => {
  const capture = () => {
    const out = { stdout: '', stderr: '' };
    return { out, io: { stdout: { write: (s: string) => (out.stdout += s) }, stderr: { write: (s: string) => (out.stderr += s) }, env: {} } };
  };

  it('imports prometheus.yml, reads the targets Prometheus discovered first, then probes them', async () => {
    writeFileSync(path.join(dir, 'prometheus.yml'), `scrape_configs:\n  - job_name: imported\n    authorization: { credentials_file: token }\n    kubernetes_sd_configs: [ { role: pod } ]\n`);
    writeFileSync(path.join(dir, 'sidecar.yml'), `prometheus: { config_file: prometheus.yml, url: "http://${prometheus.address}" }\n`);
    const { out, io } = capture();
    const code = await runDiagnose({ configFile: path.join(dir, 'sidecar.yml'), jobs: [], output: 'json', logLevel: 'info', logFormat: 'logfmt' }, io);
    const rows = JSON.parse(out.stdout) as DiagnoseRow[];
    expect(rows).toEqual([expect.objectContaining({ scrape_job: 'imported', scrape_instance: target.address, result: 'ok', cause: 'ok' })]);
    expect(code).toBe(0);
    expect(prometheus.requests.some((r) => r.url.startsWith('/api/v1/targets'))).toBe(true);
  });

  it('exits 1 when Prometheus cannot be asked: the discovered targets were not checked', async () => {
    const closed = http.createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as { port: number }).port;
    await new Promise<void>((r) => closed.close(() => r()));
    writeFileSync(path.join(dir, 'sidecar-down.yml'), `prometheus: { config_file: prometheus.yml, url: "http://127.0.0.1:${port}" }\n`);
    const { out, io } = capture();
    const code = await runDiagnose({ configFile: path.join(dir, 'sidecar-down.yml'), jobs: [], output: 'text', logLevel: 'error', logFormat: 'logfmt' }, io);
    expect(code).toBe(1);
    expect(out.stderr).toContain(`error: cannot read the active targets of http://127.0.0.1:${port}`);
    expect(out.stdout).toContain('No targets to probe.');
  });
});

describe('renderText', () => {
  const rows: DiagnoseRow[] = [
    { scrape_job: 'a', scrape_instance: 'h:1', url: 'http://h:1/metrics', result: 'ok', status_code: 200, cause: 'ok', summary: 's', fix: 'Nothing to fix.', error: null },
    { scrape_job: 'longer-job', scrape_instance: 'h:2', url: 'http://h:2/metrics', result: 'tls_error', status_code: 0, cause: 'server_cert_untrusted', summary: 's', fix: 'Set ca_file.', error: 'x' },
  ];
  it('pads every column but the last to its widest cell, "-" for no status', () => {
    expect(renderText(rows, false)).toBe(
      [
        'JOB         INSTANCE  RESULT     CAUSE                  STATUS  FIX',
        'a           h:1       ok         ok                     200     Nothing to fix.',
        'longer-job  h:2       tls_error  server_cert_untrusted  -       Set ca_file.',
        '',
        '1 of 2 target(s) not ok.',
        '',
      ].join('\n'),
    );
  });
  it('colours result and cause only when asked (a terminal)', () => {
    const text = renderText(rows, true);
    expect(text).toContain('\u001b[32mok\u001b[0m');
    expect(text).toContain('\u001b[31mserver_cert_untrusted\u001b[0m');
  });
});
