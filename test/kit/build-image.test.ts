// scripts/build-image.mjs (`npm run image`) with stand-in engines: each records its arguments, so the test sees the
// exact build and push commands without a Docker or Podman daemon (this machine has none).
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { repoFile, ROOT } from './tools.js';

const { version } = JSON.parse(repoFile('package.json')) as { version: string };

describe('npm run image (scripts/build-image.mjs)', () => {
  let bin: string;
  let log: string;
  beforeEach(() => {
    bin = mkdtempSync(path.join(tmpdir(), 'engines-'));
    log = path.join(bin, 'calls.log');
    writeFileSync(log, '');
  });
  afterEach(() => rmSync(bin, { recursive: true, force: true }));

  /** A stand-in engine on PATH: logs "NAME ARGS", answers `info` with `infoStatus` (or never), everything else with 0. */
  function engine(name: string, infoStatus: number | 'hang'): void {
    const file = path.join(bin, name);
    const info = infoStatus === 'hang' ? 'exec sleep 30' : `echo "no daemon here" >&2; exit ${infoStatus}`;
    writeFileSync(file, `#!/bin/sh\necho "${name} $*" >> "${log}"\nif [ "$1" = info ]; then ${info}; fi\nexit 0\n`);
    chmodSync(file, 0o755);
  }
  // Only the stand-ins and /bin (sh, sleep): the machine's own docker CLI must not be found.
  const run = (args: string[], env: Record<string, string> = {}) =>
    spawnSync(process.execPath, ['scripts/build-image.mjs', ...args], { cwd: ROOT, encoding: 'utf8', env: { PATH: `${bin}:/bin`, HOME: bin, ...env }, timeout: 30_000 });
  const calls = () => readFileSync(log, 'utf8').trim().split('\n').filter(Boolean);

  it('says clearly that no engine is there, with the command to run elsewhere, and fails', () => {
    const result = run([]);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain(`No container engine to build scrape-auth-exporter:${version} with:`);
    expect(result.stderr).toContain('docker: not installed');
    expect(result.stderr).toContain('podman: not installed');
    expect(result.stderr).toContain(`docker build --build-arg VERSION=${version} -t scrape-auth-exporter:${version} .`);
  });

  it('builds scrape-auth-exporter:<version> from the repository with Docker when its daemon answers', () => {
    engine('docker', 0);
    const result = run([]);
    expect(result.status, result.stderr).toBe(0);
    expect(calls()).toEqual(['docker info', `docker build --build-arg VERSION=${version} -t scrape-auth-exporter:${version} .`]);
    expect(result.stdout).toContain(`images: [{ name: scrape-auth-exporter, newName: scrape-auth-exporter, newTag: "${version}" }]`);
  });

  it('passes over a Docker CLI without a daemon and builds and pushes with Podman', () => {
    engine('docker', 1);
    engine('podman', 0);
    const result = run(['--image', 'registry.example.com:5000/team/scrape-auth-exporter:1.2.3', '--push']);
    expect(result.status, result.stderr).toBe(0);
    expect(calls()).toEqual([
      'docker info',
      'podman info',
      `podman build --build-arg VERSION=${version} -t registry.example.com:5000/team/scrape-auth-exporter:1.2.3 .`,
      'podman push registry.example.com:5000/team/scrape-auth-exporter:1.2.3',
    ]);
    expect(result.stdout).toContain('newName: registry.example.com:5000/team/scrape-auth-exporter, newTag: "1.2.3"');
  });

  it('names the engine that does not answer when none does', () => {
    engine('docker', 1);
    const result = run(['--engine=docker']);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('docker: installed, but its engine does not answer (no daemon here)');
  });

  it('gives up on an engine whose `info` hangs, after its time limit, and tries the next', () => {
    engine('docker', 'hang');
    engine('podman', 0);
    const result = run([], { CONTAINER_ENGINE_INFO_TIMEOUT_MS: '300' });
    expect(result.status, result.stderr).toBe(0);
    expect(calls()).toEqual(['docker info', 'podman info', `podman build --build-arg VERSION=${version} -t scrape-auth-exporter:${version} .`]);
    const only = run(['--engine', 'docker'], { CONTAINER_ENGINE_INFO_TIMEOUT_MS: '300' });
    expect(only.status).toBe(1);
    expect(only.stderr).toContain('docker: installed, but `docker info` did not answer within 300 ms');
  });
});
