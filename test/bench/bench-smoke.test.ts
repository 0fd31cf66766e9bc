// The bench is not a timed test: this only checks that `bench/run.mjs --quick` runs to completion and prints its table.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const BLACKBOX = '/usr/bin/prometheus-blackbox-exporter';
const out = mkdtempSync(path.join(os.tmpdir(), 'bench-smoke-'));

afterAll(() => rmSync(out, { recursive: true, force: true }));

async function runBench(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [path.join(ROOT, 'bench/run.mjs'), '--quick', '--out', out, ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), 200_000);
  const [code] = (await once(child, 'exit')) as [number | null];
  clearTimeout(timer);
  return { code, stdout, stderr };
}

describe('npm run bench -- --quick', () => {
  it('runs to completion, prints the ratio table and writes its results as JSON', { timeout: 240_000 }, async () => {
    const blackbox = existsSync(BLACKBOX);
    const run = await runBench(blackbox ? [] : ['--no-blackbox']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain('| figure | ours | peer | ours/peer | target | met |');
    for (const figure of ['c=1: CPU-s per 1,000 probes', 'c=8: CPU-s per 1,000 probes', 'steady 20/s', 'idle RSS MiB', '/metrics ms at scale', 'change → metric ms p99']) {
      expect(run.stdout).toContain(figure);
    }
    // The floor is always there to compare with; blackbox's column is filled whenever the binary is installed.
    expect(run.stdout).toMatch(/\| idle RSS MiB \(ours vs express\+prom-client floor\) \| [\d.]+ \| [\d.]+ \|/);
    if (blackbox) expect(run.stdout).toMatch(/\| bearer\/HTTP c=1: CPU-s per 1,000 probes \| [^|]+ \| [\d.]+ \|/);
    else expect(run.stderr).toContain('blackbox_exporter not found');

    // The scale section: ours, and blackbox_exporter / Prometheus where installed, over the same targets.
    expect(run.stdout).toContain('scale: ours, blackbox_exporter and Prometheus over the same targets');
    expect(run.stdout).toMatch(/\| 20 bearer \| ours \| [\d.]+ \| [\d.]+ \|/);
    expect(run.stdout).toMatch(/\| 20 mtls \| ours \| [\d.]+ \| [\d.]+ \|/);
    if (existsSync('/usr/bin/prometheus')) expect(run.stdout).toMatch(/\| 20 mtls \| prometheus \| [\d.]+ \|/);

    const files = readdirSync(out).filter((f) => f.endsWith('.json'));
    expect(files).toHaveLength(1);
    const results = JSON.parse(readFileSync(path.join(out, files[0]!), 'utf8')) as { machine: { nproc: number; node: string }; table: unknown[] };
    expect(results.machine.node).toBe(process.version);
    expect(results.table.length).toBeGreaterThan(10);
  });
});
