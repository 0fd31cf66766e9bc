// Starts and talks to the targets process (bench/targets.mjs).
import { fork } from 'node:child_process';
import { once } from 'node:events';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const SCRIPT = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'targets.mjs');

/** Loopback addresses 127.0.0.1, 127.0.0.2, …: distinct host:port targets all served by the one process. */
export function loopbackAddresses(n) {
  return Array.from({ length: n }, (_, i) => `127.0.${Math.floor(i / 250)}.${(i % 250) + 1}`);
}

export async function startTargets({ token, certs, addresses, kinds, keepAliveMs }) {
  const child = fork(SCRIPT, [JSON.stringify({ token, ...certs, addresses, kinds, keepAliveMs })], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const [msg] = await Promise.race([
    once(child, 'message'),
    once(child, 'exit').then(([code]) => {
      throw new Error(`targets process exited with ${code}`);
    }),
  ]);
  if (!msg.ready) throw new Error('targets process did not start');
  return {
    pid: child.pid,
    ports: msg.ports,
    addresses,
    async counts() {
      child.send('counts');
      const [reply] = await once(child, 'message');
      return reply.counts;
    },
    /** Starts recording arrival times per target (clearing earlier ones). */
    async record() {
      child.send('record');
      await once(child, 'message');
    },
    /** Stops recording; every |gap − interval| between two probes of one target. */
    async lateness(intervalMs) {
      child.send({ lateness: { intervalMs } });
      const [reply] = await once(child, 'message');
      return reply;
    },
    async stop() {
      if (child.exitCode !== null) return;
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      await exited;
    },
  };
}
