// Attack (as a new user would): start the demo and leave it every way there is. Its temporary directory holds
// tokens and passwords; before, it stayed behind on every exit (shutdown exited before stopAll() finished).
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { MAIN } from '../helpers/exporter.js';

async function runDemo(args: string[], until: RegExp): Promise<{ child: ReturnType<typeof spawn>; dir: string; stderr: () => string }> {
  const child = spawn(process.execPath, [MAIN, '--demo', ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  const exited = once(child, 'exit');
  await new Promise<void>((resolve, reject) => {
    child.stderr!.on('data', (d: Buffer) => {
      stderr += d.toString();
      if (until.test(stderr)) resolve();
    });
    void exited.then(() => (until.test(stderr) ? resolve() : reject(new Error(`exited early:\n${stderr}`))));
  });
  const dir = /Demo started[^\n]*\bdir=("?)([^\s"]+)\1/.exec(stderr)?.[2];
  if (!dir) throw new Error(`no demo dir in:\n${stderr}`);
  return { child, dir, stderr: () => stderr };
}

describe('the demo leaves no temporary directory behind', () => {
  it.each(['SIGTERM', 'SIGINT'] as const)('on %s', async (signal) => {
    const { child, dir, stderr } = await runDemo(['--web.listen-address=127.0.0.1:0'], /Listening on/);
    expect(existsSync(dir)).toBe(true);
    const exited = child.exitCode !== null ? Promise.resolve([child.exitCode]) : once(child, 'exit');
    child.kill(signal);
    const [code] = (await exited) as [number | null];
    expect(code, stderr()).toBe(0);
    expect(existsSync(dir)).toBe(false);
  }, 30_000);

  it('when it cannot listen (an exit with an error)', async () => {
    const taken = net.createServer();
    await new Promise<void>((r) => taken.listen(0, '127.0.0.1', r));
    const port = (taken.address() as net.AddressInfo).port;
    try {
      const { child, dir, stderr } = await runDemo([`--web.listen-address=127.0.0.1:${port}`], /Demo started[^\n]*\n/);
      const [code] = (child.exitCode !== null ? [child.exitCode] : await once(child, 'exit')) as [number | null];
      expect(code).toBe(1);
      expect(stderr()).toContain('cannot listen');
      expect(existsSync(dir)).toBe(false);
    } finally {
      taken.close();
    }
  }, 30_000);
});
