// Starts Debian's real Prometheus for a test: a free 127.0.0.1 port, a temp TSDB, and its HTTP API.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';

export const PROMETHEUS_BIN = process.env['PROMETHEUS_BIN'] ?? '/usr/bin/prometheus';
export const hasPrometheus = existsSync(PROMETHEUS_BIN);

export interface PrometheusTarget {
  scrapePool: string;
  scrapeUrl: string;
  labels: Record<string, string>;
  health: 'up' | 'down' | 'unknown';
  lastError: string;
  lastScrape: string;
  lastScrapeDuration: number;
}

export interface RunningPrometheus {
  url: string;
  child: ChildProcess;
  logs(): string;
  activeTargets(): Promise<PrometheusTarget[]>;
  /** The value of an instant query with one series, or undefined. */
  queryValue(promql: string): Promise<number | undefined>;
  stop(): Promise<void>;
}

/** A port that was free a moment ago (the kernel picks it; we close and hand it over). */
export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

export async function startPrometheus(configFile: string, dataDir: string, timeoutMs = 15_000, extraArgs: string[] = []): Promise<RunningPrometheus> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child = spawn(
    PROMETHEUS_BIN,
    [
      `--config.file=${configFile}`,
      `--storage.tsdb.path=${path.join(dataDir, 'tsdb')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--web.enable-lifecycle',
      '--log.level=info',
      ...extraArgs,
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let logs = '';
  child.stderr!.on('data', (d: Buffer) => (logs += d.toString()));
  const running: RunningPrometheus = {
    url,
    child,
    logs: () => logs,
    async activeTargets() {
      const response = await fetch(`${url}/api/v1/targets?state=active`);
      const body = (await response.json()) as { data: { activeTargets: PrometheusTarget[] } };
      return body.data.activeTargets;
    },
    async queryValue(promql) {
      const response = await fetch(`${url}/api/v1/query?query=${encodeURIComponent(promql)}`);
      const body = (await response.json()) as { data: { result: { value: [number, string] }[] } };
      const first = body.data.result[0];
      return first ? Number(first.value[1]) : undefined;
    },
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    },
  };
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`prometheus exited with ${child.exitCode}:\n${logs}`);
    // With a web config that wants basic auth, a 401 still says the server is up and serving.
    const ready = await fetch(`${url}/-/ready`).then((r) => r.ok || r.status === 401, () => false);
    if (ready) return running;
    if (Date.now() > deadline) {
      await running.stop();
      throw new Error(`prometheus was not ready within ${timeoutMs} ms:\n${logs}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}
