// The credential reader answers content, or a clear problem: never a hang, never past the cap.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readSecretFile } from '../../src/credentials/read.js';

type Reader = (p: string) => Promise<{ ok: true; value: string } | { ok: false; problem: string }>;
const readers: [string, Reader][] = [
  ['readSecretFile', (p) => readSecretFile(p)],
];

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'read-'));
  writeFileSync(path.join(dir, 'token'), '  tok-123\n');
  writeFileSync(path.join(dir, 'empty'), '');
  writeFileSync(path.join(dir, 'long'), 'L'.repeat(100 * 1024));
  writeFileSync(path.join(dir, 'big'), 'B'.repeat(1024 * 1024 + 1));
  writeFileSync(path.join(dir, 'short'), 'ab');
  mkdirSync(path.join(dir, 'adir'));
  execFileSync('mkfifo', [path.join(dir, 'fifo')]);
  symlinkSync(path.join(dir, 'token'), path.join(dir, 'link'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe.each(readers)('%s', (_name, read) => {
  const at = (name: string) => path.join(dir, name);

  it('returns the content trimmed, following a symlink', async () => {
    expect(await read(at('token'))).toEqual({ ok: true, value: 'tok-123' });
    expect(await read(at('link'))).toEqual({ ok: true, value: 'tok-123' });
    expect(await read(at('empty'))).toEqual({ ok: true, value: '' });
  });

  it('reads a file larger than the reused buffer whole, and a short one after a long one exactly', async () => {
    const long = await read(at('long'));
    expect(long.ok && long.value.length).toBe(100 * 1024);
    expect(await read(at('short'))).toEqual({ ok: true, value: 'ab' });
    expect(await read(at('token'))).toEqual({ ok: true, value: 'tok-123' });
  });

  it.each([
    ['missing', 'no such file or directory'],
    ['adir', 'is a directory, not a regular file'],
    ['fifo', 'is a FIFO, not a regular file'],
    ['big', `is ${1024 * 1024 + 1} bytes, more than the 1048576-byte limit`],
  ])('reports %s as "%s" without hanging', async (name, problem) => {
    expect(await read(at(name))).toEqual({ ok: false, problem });
  });
});
