// CI runs as root, which reads any file: these cases run the built exporter code as uid 65534, or they prove nothing.
import { execFileSync, spawnSync } from 'node:child_process';
import { chmod, readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseSamples, tempDir, valueOf, write } from './helpers.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const NOBODY = 65534;
const canDropPrivileges = process.getuid?.() === 0 && spawnSync('setpriv', ['--version']).status === 0;

/** Watches the given files once, as the exporter would, and prints the metrics and the log lines. */
const SCRIPT = `
import { Registry } from ${JSON.stringify(path.join(root, 'node_modules/prom-client/index.js'))};
import { CredentialWatcher } from ${JSON.stringify(path.join(root, 'dist/credentials/watcher.js'))};
import { parseConfig } from ${JSON.stringify(path.join(root, 'dist/config/load.js'))};
import { createLogger } from ${JSON.stringify(path.join(root, 'dist/log.js'))};
const [configFile, yaml] = process.argv.slice(2);
const registry = new Registry();
const logs = [];
const watcher = new CredentialWatcher({ registry, logger: createLogger('debug', 'json', { write: (l) => logs.push(l) }) });
await watcher.apply(parseConfig(yaml, configFile));
process.stdout.write(JSON.stringify({ uid: process.getuid(), metrics: await registry.metrics(), logs }));
await watcher.stop();
`;

describe.skipIf(!canDropPrivileges)('as an unprivileged user (setpriv to uid 65534)', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  beforeAll(async () => {
    // The test runs the built code, as the image does; `npm test` has built it already, a lone run builds it here.
    if (await distIsStale()) execFileSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: root, stdio: 'pipe' });
    ({ dir, cleanup } = await tempDir());
    await chmod(dir, 0o755); // traversable by uid 65534
  });
  afterAll(() => cleanup());

  it('reports a mode-000 file and a root-only 0640 file as existing but unreadable, and a 0644 file as readable', async () => {
    const canary = 'CANARY-unprivileged-5b1f';
    const locked = await write(path.join(dir, 'locked'), canary);
    await chmod(locked, 0o000);
    const group = await write(path.join(dir, 'group-only'), canary);
    await chmod(group, 0o640);
    const open = await write(path.join(dir, 'open'), canary);
    await chmod(open, 0o644);
    const script = await write(path.join(dir, 'run.mjs'), SCRIPT);
    await chmod(script, 0o644);
    const yaml = `credential_files: [ { path: locked }, { path: group-only }, { path: open } ]\n`;

    const run = spawnSync(
      'setpriv',
      [`--reuid=${NOBODY}`, `--regid=${NOBODY}`, '--clear-groups', process.execPath, script, path.join(dir, 'scrape-auth.yml'), yaml],
      { encoding: 'utf8', timeout: 20_000 },
    );
    expect(run.stderr).toBe('');
    const out = JSON.parse(run.stdout) as { uid: number; metrics: string; logs: string[] };
    expect(out.uid).toBe(NOBODY);
    const s = parseSamples(out.metrics);
    const P = 'scrape_auth_credential_file';
    expect([locked, group, open].map((p) => [valueOf(s, `${P}_exists`, { path: p }), valueOf(s, `${P}_readable`, { path: p })])).toEqual([
      [1, 0],
      [1, 0],
      [1, 1],
    ]);
    expect(valueOf(s, `${P}_size_bytes`, { path: locked })).toBe(canary.length);
    expect(valueOf(s, `${P}_world_readable`, { path: locked })).toBe(0);
    const warnings = out.logs.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l.level === 'warn');
    expect(warnings.map((w) => [w.path, w.problem]).sort()).toEqual([
      [group, 'permission denied'],
      [locked, 'permission denied'],
    ]);
    expect(out.metrics + out.logs.join('')).not.toContain(canary);
  });
});

/** Whether some src/**\/*.ts is newer than its dist/**\/*.js (or the latter is missing). */
async function distIsStale(): Promise<boolean> {
  const src = path.join(root, 'src');
  for (const entry of await readdir(src, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile() || !entry.name.endsWith('.ts')) continue;
    const file = path.join(entry.parentPath, entry.name);
    const built = path.join(root, 'dist', path.relative(src, file)).replace(/\.ts$/, '.js');
    try {
      if ((await stat(built)).mtimeMs < (await stat(file)).mtimeMs) return true;
    } catch {
      return true;
    }
  }
  return false;
}
