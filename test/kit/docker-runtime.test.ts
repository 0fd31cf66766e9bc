// No Docker engine here: the Dockerfile is parsed, and its runtime stage's steps are performed in a clean folder.
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoFile, ROOT } from './tools.js';

interface Instruction {
  keyword: string;
  args: string;
}
interface Stage {
  from: string;
  name: string | undefined;
  instructions: Instruction[];
}

/** Splits a Dockerfile into stages of instructions, joining continued lines and dropping comments. */
export function parseDockerfile(text: string): Stage[] {
  const logical: string[] = [];
  let pending = '';
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (pending === '' && (line === '' || line.startsWith('#'))) continue;
    if (line.startsWith('#')) continue;
    if (line.endsWith('\\')) {
      pending += `${line.slice(0, -1)} `;
      continue;
    }
    logical.push(pending + line);
    pending = '';
  }
  const stages: Stage[] = [];
  for (const line of logical) {
    const [, keyword = '', args = ''] = /^(\S+)\s*(.*)$/.exec(line) ?? [];
    if (keyword.toUpperCase() === 'FROM') {
      const [, from = '', name] = /^(\S+)(?:\s+AS\s+(\S+))?$/i.exec(args) ?? [];
      stages.push({ from, name, instructions: [] });
    } else if (keyword.toUpperCase() !== 'ARG' || stages.length > 0) {
      stages.at(-1)?.instructions.push({ keyword: keyword.toUpperCase(), args });
    }
  }
  return stages;
}

const pkg = JSON.parse(repoFile('package.json')) as { version: string; dependencies: Record<string, string>; devDependencies: Record<string, string> };
const stages = parseDockerfile(repoFile('Dockerfile'));
const build = stages[0]!;
const runtime = stages.at(-1)!;
const runs = (stage: Stage) => stage.instructions.filter((i) => i.keyword === 'RUN').map((i) => i.args);
const one = (stage: Stage, keyword: string) => stage.instructions.filter((i) => i.keyword === keyword).map((i) => i.args);

describe('the Dockerfile', () => {
  it('builds in a stage with the dev dependencies', () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    expect(build.name).toBe('build');
    expect(runs(build).some((r) => /^npm ci\b/.test(r) && !r.includes('--omit=dev'))).toBe(true);
    expect(runs(build)).toContain('npm run build');
  });

  it('runs on a current Node LTS image with production dependencies and the built dist only', () => {
    expect(runtime.from).toMatch(/^node:22-(bookworm-slim|alpine)$/);
    expect(build.from).toBe(runtime.from);
    const installs = runs(runtime).filter((r) => r.includes('npm'));
    expect(installs).toHaveLength(1);
    expect(installs[0]).toMatch(/^npm ci --omit=dev --ignore-scripts\b/);
    const copies = one(runtime, 'COPY');
    expect(copies).toEqual(['package.json package-lock.json ./', '--from=build /app/dist ./dist']);
    // No source, no tests, no dev dependency names anywhere in the runtime stage.
    const text = runtime.instructions.map((i) => i.args).join('\n');
    for (const dev of Object.keys(pkg.devDependencies)) expect(text).not.toContain(dev);
  });

  it('runs as a numeric non-root user, exposes 9863, and starts with the config file flag', () => {
    const user = one(runtime, 'USER');
    expect(user).toHaveLength(1);
    const [uid, gid] = user[0]!.split(':');
    expect(uid).toMatch(/^[1-9]\d*$/);
    if (gid !== undefined) expect(gid).toMatch(/^[1-9]\d*$/);
    expect(one(runtime, 'EXPOSE')).toEqual(['9863']);
    expect(JSON.parse(one(runtime, 'ENTRYPOINT')[0]!)).toEqual(['node', '/app/dist/main.js']);
    expect(JSON.parse(one(runtime, 'CMD')[0]!)).toEqual(['--config.file=/etc/scrape-auth/scrape-auth.yml']);
  });

  it('carries OCI labels', () => {
    const labels = one(runtime, 'LABEL').join(' ');
    for (const key of ['title', 'description', 'version', 'licenses']) expect(labels).toContain(`org.opencontainers.image.${key}=`);
  });

  it('has a .dockerignore that keeps node_modules, dist and .git out of the context', () => {
    const ignored = repoFile('.dockerignore').split('\n').map((l) => l.trim());
    expect(ignored).toEqual(expect.arrayContaining(['**/node_modules', 'dist', '.git']));
    // Everything the build stage copies must stay in the context.
    for (const kept of ['package.json', 'package-lock.json', 'tsconfig.json', 'tsconfig.build.json', 'src']) expect(ignored).not.toContain(kept);
  });
});

/** Bare package names imported by the compiled code, builtins excluded. */
function importedPackages(dir: string): Set<string> {
  const names = new Set<string>();
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile() || !entry.name.endsWith('.js')) continue;
    const code = readFileSync(path.join(entry.parentPath, entry.name), 'utf8');
    for (const match of code.matchAll(/(?:\bfrom\s*|\bimport\s*\(\s*|^import\s+)['"]([^'".][^'"]*)['"]/gm)) {
      const spec = match[1]!;
      if (spec.startsWith('node:') || builtinModules.includes(spec)) continue;
      names.add(spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]!);
    }
  }
  return names;
}

describe('the runtime stage, performed in a clean folder', () => {
  let tmp: string;
  let app: string;
  // The image runs as 65534; as root here, so do we (setpriv), or the check proves less.
  const asNobody = process.getuid?.() === 0 && spawnSync('setpriv', ['--version']).status === 0;
  const command = (args: string[]) => (asNobody ? ['setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, ...args]] : [process.execPath, args]) as [string, string[]];
  // Never let a started exporter talk to a real cluster, whatever the CI machine's environment says.
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('KUBERNETES_')));

  beforeAll(() => {
    tmp = mkdtempSync(path.join(tmpdir(), 'docker-runtime-'));
    app = path.join(tmp, 'app');
    mkdirSync(app);
    copyFileSync(path.join(ROOT, 'package.json'), path.join(app, 'package.json'));
    copyFileSync(path.join(ROOT, 'package-lock.json'), path.join(app, 'package-lock.json'));
    const install = spawnSync('npm', ['ci', '--omit=dev', '--ignore-scripts', '--prefer-offline', '--no-audit', '--no-fund'], {
      cwd: app,
      encoding: 'utf8',
      timeout: 300_000,
      env: { ...env, NODE_ENV: 'production' },
    });
    if (install.status !== 0) throw new Error(`npm ci --omit=dev failed:\n${install.stdout}${install.stderr}`);
    // What the build stage's `npm run build` produces, compiled fresh so a stale dist/ cannot hide anything.
    const tsc = spawnSync(process.execPath, [path.join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json', '--outDir', path.join(app, 'dist')], {
      cwd: ROOT,
      encoding: 'utf8',
      timeout: 120_000,
    });
    if (tsc.status !== 0) throw new Error(`tsc failed:\n${tsc.stdout}${tsc.stderr}`);
    mkdirSync(path.join(tmp, 'etc'));
    writeFileSync(path.join(tmp, 'etc', 'token'), 'not-a-real-token\n');
    writeFileSync(
      path.join(tmp, 'etc', 'scrape-auth.yml'),
      'global: { probe_interval: 30s }\ncredential_files:\n  - path: token\n    labels: { owner: docker-runtime-test }\n',
    );
    chmodSync(tmp, 0o755);
    spawnSync('chmod', ['-R', 'a+rX', tmp]);
  }, 420_000);

  afterAll(() => {
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  it('installs no dev dependency', () => {
    for (const dev of Object.keys(pkg.devDependencies)) expect(existsSync(path.join(app, 'node_modules', dev)), dev).toBe(false);
    for (const dep of Object.keys(pkg.dependencies)) expect(existsSync(path.join(app, 'node_modules', dep)), dep).toBe(true);
  });

  it('has every package the compiled code imports among the production dependencies', () => {
    const imported = [...importedPackages(path.join(app, 'dist'))];
    expect(imported.length).toBeGreaterThan(3);
    expect(imported.filter((name) => !(name in pkg.dependencies))).toEqual([]);
  });

  it('prints the version', () => {
    const [cmd, args] = command([path.join(app, 'dist/main.js'), '--version']);
    const result = spawnSync(cmd, args, { cwd: tmp, encoding: 'utf8', env, timeout: 20_000 });
    expect(result.stderr).toBe('');
    expect(result.stdout.trim()).toBe(pkg.version);
    expect(result.status).toBe(0);
  });

  it('starts with a config, answers /-/ready and /metrics, and stops on SIGTERM', async () => {
    const [cmd, args] = command([
      path.join(app, 'dist/main.js'),
      `--config.file=${path.join(tmp, 'etc', 'scrape-auth.yml')}`,
      '--web.listen-address=127.0.0.1:0',
      '--log.format=json',
    ]);
    const child = spawn(cmd, args, { cwd: tmp, env: { ...env, NODE_ENV: 'production' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    try {
      const port = await new Promise<number>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no "Listening on" line within 15 s:\n${stderr}`)), 15_000);
        child.stderr.on('data', (chunk: Buffer) => {
          stderr += chunk.toString();
          const match = /"address":"127\.0\.0\.1:(\d+)"/.exec(stderr);
          if (match) {
            clearTimeout(timer);
            resolve(Number(match[1]));
          }
        });
        void exited.then((code) => reject(new Error(`exited with ${code} before listening:\n${stderr}`)));
      });
      const ready = await fetch(`http://127.0.0.1:${port}/-/ready`);
      expect(ready.status).toBe(200);
      const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
      expect(metrics).toContain(`scrape_auth_build_info{version="${pkg.version}"`);
      expect(metrics).toContain('scrape_auth_config_last_reload_successful 1');
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
    expect(stderr).not.toContain('not-a-real-token');
  });
});
