// Starts the processes under test (our exporter, blackbox_exporter, the floor app) on free loopback ports and stops them.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import net from 'node:net';
import { request } from 'undici';

export async function freePort() {
  const server = net.createServer();
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls until `fn` returns a truthy value; throws with `what` after `timeoutMs`. */
export async function waitUntil(fn, what, timeoutMs = 15_000, everyMs = 20, giveUp = () => undefined) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const reason = giveUp();
    if (reason) throw new Error(reason);
    const value = await fn().catch(() => undefined);
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(everyMs);
  }
}

export async function get(url) {
  const res = await request(url);
  const body = await res.body.text();
  return { status: res.statusCode, body };
}

/**
 * Spawns `command args`, keeps the tail of its output for error messages (and drains the pipes, so a chatty
 * process never blocks on a full pipe), and resolves once `readyUrl` answers 200.
 */
export async function startServer(name, command, args, readyUrl, { env } = {}) {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], env: env ?? process.env });
  let tail = '';
  const keep = (d) => {
    tail = (tail + d.toString()).slice(-4000);
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  let exited = false;
  child.once('exit', () => (exited = true));
  try {
    await waitUntil(
      async () => (await get(readyUrl)).status === 200,
      `${name} to answer ${readyUrl}`,
      15_000,
      20,
      () => (exited ? `exited with ${child.exitCode ?? child.signalCode}` : undefined),
    );
  } catch (err) {
    child.kill('SIGKILL');
    throw new Error(`${name} did not start: ${err.message}\n${tail}`);
  }
  return {
    name,
    pid: child.pid,
    output: () => tail,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const done = once(child, 'exit');
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await done;
      clearTimeout(timer);
    },
  };
}
