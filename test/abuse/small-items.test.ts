// The smaller findings, each as the attack: a /proc-style file, a TLS server sending garbage, SIGTERM while starting,
// --config.check on a file over the cap.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { once } from 'node:events';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_CREDENTIAL_BYTES, readCredentialFile } from '../../src/credentials/read.js';
import { probe } from '../../src/probe/probe.js';
import { runExporter, startExporter } from '../helpers/exporter.js';
import { job, startServer, startTcp } from '../probe/helpers.js';

let dir: string;
beforeAll(() => void (dir = mkdtempSync(path.join(os.tmpdir(), 'abuse-small-'))));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('a file whose stat size is 0 but has content (/proc-style)', () => {
  it('is read to its end, not as the 1 byte its size suggests', async () => {
    // /proc/self/limits: stat says 0 bytes, reading gives ~1.3 KiB (and the same for this process every time).
    const expected = readFileSync('/proc/self/limits');
    expect(expected.length).toBeGreaterThan(100);
    const read = await readCredentialFile('/proc/self/limits');
    expect(read.ok && read.content.equals(expected)).toBe(true);
  });

  it('is still refused past the cap, read until the cap and no further', async () => {
    const read = await readCredentialFile('/proc/self/limits', 100);
    expect(read).toMatchObject({ ok: false, exists: true, problem: 'is more than the 100-byte limit' });
  });
});

describe('a TLS server that sends garbage', () => {
  it.each([
    ['garbage', '\u0000\u0001\u0002 not tls at all', 'tls: first record does not look like a TLS handshake'],
    ['a plain HTTP answer', 'HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n', 'http: server gave HTTP response to HTTPS client'],
  ])('words %s as Go does', async (_name, answer, text) => {
    const server = await startTcp((s) => s.once('data', () => s.end(answer)));
    try {
      const url = `https://127.0.0.1:${server.port}/metrics`;
      const result = await probe({ job: 't', instance: `127.0.0.1:${server.port}`, url, labels: {} }, job({ scheme: 'https' }), { timeoutMs: 5000 });
      expect(result.result).toBe('tls_error');
      expect(result.error).toBe(`Get "${url}": ${text}`);
    } finally {
      await server.close();
    }
  });
});

describe('SIGTERM during start-up', () => {
  it('exits 0, as after start-up (before: 143)', async () => {
    // 2,000 credential files: the first look at each is logged at debug during start-up, before "Listening on".
    const files = Array.from({ length: 2000 }, (_, i) => path.join(dir, `f${i}`));
    for (const f of files) writeFileSync(f, 'x');
    writeFileSync(path.join(dir, 'slow.yml'), `credential_files:\n${files.map((f) => `  - path: ${f}`).join('\n')}\n`);
    const { spawn } = await import('node:child_process');
    const { MAIN } = await import('../helpers/exporter.js');
    const child = spawn(process.execPath, [MAIN, `--config.file=${path.join(dir, 'slow.yml')}`, '--web.listen-address=127.0.0.1:0', '--log.level=debug'], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    let listening = false;
    const exited = once(child, 'exit') as Promise<[number | null, string | null]>;
    await new Promise<void>((resolve) => {
      child.stderr!.on('data', (d: Buffer) => {
        stderr += d.toString();
        if (stderr.includes('Listening on')) listening = true;
        if (stderr.includes('Watching credential file')) resolve();
      });
      void exited.then(() => resolve());
    });
    child.kill('SIGTERM');
    const [code, signal] = await exited;
    expect(listening).toBe(false);
    expect({ code, signal }).toEqual({ code: 0, signal: null });
  }, 30_000);
});

describe('--config.check and the size cap', () => {
  it('fails for a credential file over the cap the runtime would refuse', async () => {
    writeFileSync(path.join(dir, 'huge-token'), 'x'.repeat(MAX_CREDENTIAL_BYTES + 1));
    writeFileSync(path.join(dir, 'check.yml'), `scrape_configs:\n  - job_name: app\n    bearer_token_file: huge-token\n    static_configs: [ { targets: ["127.0.0.1:1"] } ]\n`);
    const run = await runExporter([`--config.file=${path.join(dir, 'check.yml')}`, '--config.check']);
    expect(run.code).toBe(1);
    expect(run.stdout).toContain(`FAILED: job "app" bearer_token_file: ${path.join(dir, 'huge-token')}: is ${MAX_CREDENTIAL_BYTES + 1} bytes, more than the ${MAX_CREDENTIAL_BYTES}-byte limit`);
  });

  it('still says SUCCESS for a file under the cap', async () => {
    writeFileSync(path.join(dir, 'token'), 'x');
    writeFileSync(path.join(dir, 'ok.yml'), `scrape_configs:\n  - job_name: app\n    bearer_token_file: token\n    static_configs: [ { targets: ["127.0.0.1:1"] } ]\n`);
    const run = await runExporter([`--config.file=${path.join(dir, 'ok.yml')}`, '--config.check']);
    expect(run.stdout).toContain('SUCCESS');
    expect(run.code).toBe(0);
  });
});

// Keeps the import used when the suite is trimmed.
void startServer;
void startExporter;
