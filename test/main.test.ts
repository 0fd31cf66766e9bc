import { execFile } from 'node:child_process';
import { mkdir, writeFile, truncate, copyFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDirSync } from './helpers/tmp.js';
import { runExporter, sampleValue, startExporter, waitFor, type RunningExporter } from './helpers/exporter.js';

const TESTDATA = path.resolve(import.meta.dirname, 'testdata/config');

const GOOD_CONFIG = `
global:
  probe_interval: 1h
scrape_configs:
  - job_name: app
    basic_auth: { username: prometheus, password: s3cr3t-canary-main }
    static_configs: [ { targets: ["127.0.0.1:9"] } ]
`;

function tempDir(): string {
  return tempDirSync('sae-main-');
}

describe('starting with a bad config', () => {
  it.each([
    'invalid-empty.yml',
    'invalid-yaml-syntax.yml',
    'invalid-indentation.yml',
    'invalid-string-for-list.yml',
    'invalid-unknown-top-key.yml',
    'invalid-unknown-nested-key.yml',
    'invalid-duplicate-job-name.yml',
    'invalid-duration-words.yml',
    'invalid-duration-zero.yml',
    'invalid-timeout-over-interval.yml',
    'invalid-two-auth-methods.yml',
  ])('exits 1 with one line naming the file, line and key for %s', async (file) => {
    const result = await runExporter([`--config.file=${path.join(TESTDATA, file)}`, '--web.listen-address=127.0.0.1:0']);
    expect(result.code).toBe(1);
    const lines = result.stderr.trimEnd().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(new RegExp(`^error: ${path.join(TESTDATA, file).replace(/[.]/g, '\\.')}:\\d+:\\d+: `));
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });

  it('exits 1 for a missing path, a directory and a 50 MB file', async () => {
    const dir = tempDir();
    const big = path.join(dir, 'big.yml');
    await writeFile(big, '');
    await truncate(big, 50 * 1024 * 1024);
    for (const [file, reason] of [
      [path.join(dir, 'nope.yml'), 'cannot read config file: no such file or directory'],
      [dir, 'cannot read config file: is a directory'],
      [big, 'config file is 52428800 bytes, more than the 10 MiB limit'],
    ] as const) {
      const result = await runExporter([`--config.file=${file}`]);
      expect(result.code).toBe(1);
      expect(result.stderr).toBe(`error: ${file}: ${reason}\n`);
    }
  });

  it('exits 1 on a bad flag with one line', async () => {
    const result = await runExporter(['--web.listen-adress', ':1']);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe("error: unknown option '--web.listen-adress' (did you mean --web.listen-address?)\n");
  });
});

describe('--config.check', () => {
  it('prints a summary and exits 0 when the config and its files are valid', async () => {
    const dir = tempDir();
    await mkdir(path.join(dir, 'secrets'));
    await writeFile(path.join(dir, 'secrets/pw'), 'pw\n');
    await writeFile(path.join(dir, 'c.yml'), 'scrape_configs:\n  - job_name: a\n    basic_auth: { username: u, password_file: secrets/pw }\n    static_configs: [ { targets: ["h:1", "h:2"] } ]\n');
    const result = await runExporter(['--config.check', `--config.file=${path.join(dir, 'c.yml')}`]);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('jobs: 1, static targets: 2, file_sd blocks: 0, credential files: 1');
    expect(result.stdout).toContain('SUCCESS');
  });

  it('exits 1 naming each file that is missing or a directory', async () => {
    const dir = tempDir();
    await mkdir(path.join(dir, 'token'));
    await writeFile(path.join(dir, 'c.yml'), 'scrape_configs:\n  - job_name: a\n    basic_auth: { username: u, password_file: missing }\n  - job_name: b\n    authorization: { credentials_file: token }\n');
    const result = await runExporter(['--config.check', `--config.file=${path.join(dir, 'c.yml')}`]);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain(`FAILED: job "a" basic_auth.password_file: ${dir}/missing: no such file or directory`);
    expect(result.stdout).toContain(`FAILED: job "b" authorization.credentials_file: ${dir}/token: is a directory`);
  });

  it('exits 1 with the located error for an invalid config', async () => {
    const file = path.join(TESTDATA, 'invalid-unknown-job-key.yml');
    const result = await runExporter(['--config.check', `--config.file=${file}`]);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(`error: ${file}:3:5: scrape_configs[0].basic_auht: unknown field "basic_auht", did you mean "basic_auth"?\n`);
  });
});

describe('a running exporter', () => {
  let dir: string;
  let configFile: string;
  let exporter: RunningExporter;

  beforeAll(async () => {
    dir = tempDir();
    configFile = path.join(dir, 'scrape-auth.yml');
    await writeFile(configFile, GOOD_CONFIG);
    exporter = await startExporter([`--config.file=${configFile}`, '--log.level=debug']);
  });
  afterAll(async () => {
    await exporter?.stop();
  });

  it('serves health, readiness and its own metrics', async () => {
    expect((await fetch(`${exporter.baseUrl}/-/healthy`)).status).toBe(200);
    expect((await fetch(`${exporter.baseUrl}/-/ready`)).status).toBe(200);
    const res = await fetch(`${exporter.baseUrl}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/plain');
    const body = await res.text();
    expect(sampleValue(body, 'scrape_auth_config_last_reload_successful')).toBe(1);
    expect(sampleValue(body, 'scrape_auth_config_last_reload_success_timestamp_seconds')).toBeGreaterThan(1.7e9);
    expect(sampleValue(body, 'scrape_auth_build_info', { nodejs_version: process.version })).toBe(1);
    expect(body).toContain('process_cpu_seconds_total');
    expect(body).toContain('nodejs_heap_size_total_bytes');
  });

  it('passes promtool check metrics for every scrape_auth metric', async () => {
    const body = await (await fetch(`${exporter.baseUrl}/metrics`)).text();
    const problems = await promtoolCheckMetrics(body);
    expect(problems.filter((line) => line.startsWith('scrape_auth'))).toEqual([]);
  });

  it('answers 404 for unknown paths and 405 for GET /-/reload', async () => {
    expect((await fetch(`${exporter.baseUrl}/nope`)).status).toBe(404);
    const res = await fetch(`${exporter.baseUrl}/-/reload`);
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('POST, PUT');
  });

  it('answers a malformed URL with 400 and no stack trace', async () => {
    const res = await fetch(`${exporter.baseUrl}/%E0%A4%A`);
    expect([400, 404]).toContain(res.status);
    expect(await res.text()).not.toContain(' at ');
  });

  it('keeps the old config when /-/reload meets a broken file, and reports it', async () => {
    await copyFile(path.join(TESTDATA, 'invalid-duplicate-job-name.yml'), configFile);
    for (const method of ['POST', 'PUT']) {
      const res = await fetch(`${exporter.baseUrl}/-/reload`, { method });
      expect(res.status).toBe(500);
      expect(await res.text()).toBe(`failed to reload config: ${configFile}:4:15: scrape_configs[2].job_name: found multiple scrape configs with job name "app"\n`);
    }
    const body = await (await fetch(`${exporter.baseUrl}/metrics`)).text();
    expect(sampleValue(body, 'scrape_auth_config_last_reload_successful')).toBe(0);
    expect((await fetch(`${exporter.baseUrl}/-/ready`)).status).toBe(200);

    await writeFile(configFile, GOOD_CONFIG);
    const ok = await fetch(`${exporter.baseUrl}/-/reload`, { method: 'POST' });
    expect(ok.status).toBe(200);
    const after = await (await fetch(`${exporter.baseUrl}/metrics`)).text();
    expect(sampleValue(after, 'scrape_auth_config_last_reload_successful')).toBe(1);
  });

  it('keeps the old config when SIGHUP meets a broken file', async () => {
    await writeFile(configFile, 'global:\n  probe_interval: 5 minutes\n');
    exporter.child.kill('SIGHUP');
    await waitFor(async () => sampleValue(await (await fetch(`${exporter.baseUrl}/metrics`)).text(), 'scrape_auth_config_last_reload_successful') === 0, 'reload to fail');
    expect(exporter.stderr()).toContain('Error reloading config, keeping the previous one');
    expect((await fetch(`${exporter.baseUrl}/-/healthy`)).status).toBe(200);
    await writeFile(configFile, GOOD_CONFIG);
    exporter.child.kill('SIGHUP');
    await waitFor(async () => sampleValue(await (await fetch(`${exporter.baseUrl}/metrics`)).text(), 'scrape_auth_config_last_reload_successful') === 1, 'reload to succeed');
  });

  it('never logs the inline password', () => {
    expect(exporter.stderr() + exporter.stdout()).not.toContain('s3cr3t-canary-main');
  });
});

describe('stopping', () => {
  it('exits 0 within 2 s of SIGTERM, even with a client holding a connection open', async () => {
    const dir = tempDir();
    await writeFile(path.join(dir, 'c.yml'), GOOD_CONFIG);
    const exporter = await startExporter([`--config.file=${path.join(dir, 'c.yml')}`]);
    const { Agent, fetch: undiciFetch } = await import('undici');
    const agent = new Agent({ keepAliveTimeout: 60_000 });
    await (await undiciFetch(`${exporter.baseUrl}/metrics`, { dispatcher: agent })).text();
    const started = Date.now();
    const code = await exporter.stop();
    expect(code).toBe(0);
    expect(Date.now() - started).toBeLessThan(2000);
    await agent.close();
  });

  it('writes JSON log lines with --log.format=json', async () => {
    const dir = tempDir();
    await writeFile(path.join(dir, 'c.yml'), GOOD_CONFIG);
    const exporter = await startExporter([`--config.file=${path.join(dir, 'c.yml')}`, '--log.format=json']);
    await exporter.stop();
    const lines = exporter.stderr().trim().split('\n');
    for (const line of lines) {
      const entry = JSON.parse(line) as Record<string, unknown>;
      expect(entry).toHaveProperty('level');
      expect(entry).toHaveProperty('ts');
      expect(entry).toHaveProperty('msg');
    }
  });
});

async function promtoolCheckMetrics(body: string): Promise<string[]> {
  const child = execFile('promtool', ['check', 'metrics']);
  const output = new Promise<string>((resolve) => {
    let text = '';
    child.stdout!.on('data', (d: Buffer) => (text += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (text += d.toString()));
    child.on('close', () => resolve(text));
  });
  child.stdin!.end(body);
  return (await output).split('\n').filter((line) => line.trim() !== '');
}

