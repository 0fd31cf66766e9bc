// How the bench starts each process under test and asks it for one probe: ours, blackbox_exporter, the floor app.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, startServer } from './processes.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const OUR_MAIN = path.join(ROOT, 'dist', 'main.js');
const FLOOR_APP = path.join(ROOT, 'bench', 'floor-app.mjs');
export const BLACKBOX_BIN = process.env.BLACKBOX_EXPORTER ?? '/usr/bin/prometheus-blackbox-exporter';

/** Extra node flags for our exporter only, e.g. BENCH_OURS_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof". */
const ourNodeArgs = () => (process.env.BENCH_OURS_NODE_ARGS ?? '').split(' ').filter(Boolean);

/** `main`: another build to compare with (bench/run.mjs --ours-before=PATH/dist/main.js), else this one. */
export async function startOurs(configFile, main = OUR_MAIN) {
  const port = await freePort();
  const server = await startServer(
    'scrape-auth-exporter',
    process.execPath,
    [...ourNodeArgs(), main, `--config.file=${configFile}`, `--web.listen-address=127.0.0.1:${port}`],
    `http://127.0.0.1:${port}/-/ready`,
  );
  return { ...server, origin: `http://127.0.0.1:${port}` };
}

export function blackboxVersion() {
  if (!existsSync(BLACKBOX_BIN)) return undefined;
  try {
    const out = execFileSync(BLACKBOX_BIN, ['--version'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    return /version (\S+)/.exec(out)?.[1] ?? 'unknown';
  } catch {
    return undefined;
  }
}

export async function startBlackbox(configFile) {
  const port = await freePort();
  const server = await startServer(
    'blackbox_exporter',
    BLACKBOX_BIN,
    [`--config.file=${configFile}`, `--web.listen-address=127.0.0.1:${port}`],
    `http://127.0.0.1:${port}/-/healthy`,
  );
  return { ...server, origin: `http://127.0.0.1:${port}` };
}

export async function startFloor(seriesFile) {
  const port = await freePort();
  const args = [FLOOR_APP, '--port', String(port), ...(seriesFile ? ['--series', seriesFile] : [])];
  const server = await startServer(seriesFile ? 'bare registry' : 'express + prom-client floor', process.execPath, args, `http://127.0.0.1:${port}/`);
  return { ...server, origin: `http://127.0.0.1:${port}` };
}

/** The /probe request and its success test, per exporter: the module is the job (ours) or the module name (blackbox). */
export const probeApi = {
  ours: {
    path: (kind, host, port) => `/probe?module=${kind}&target=${encodeURIComponent(`${host}:${port}`)}`,
    ok: (body) => /^scrape_auth_probe_success(\{[^}]*\})? 1$/m.test(body),
  },
  blackbox: {
    path: (kind, host, port) =>
      `/probe?module=${kind}&target=${encodeURIComponent(`${kind === 'mtls' ? 'https' : 'http'}://${host}:${port}/metrics`)}`,
    ok: (body) => /^probe_success 1$/m.test(body),
  },
};
