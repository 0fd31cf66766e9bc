// A credential file is looked at on every use and read again whenever it may have changed: never a stale secret.
import { chmodSync, mkdirSync, mkdtempSync, renameSync, rmSync, statSync, symlinkSync, unlinkSync, utimesSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readCredentialFile } from '../../src/credentials/read.js';
import { SecretFiles } from '../../src/credentials/secret-files.js';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'secret-files-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const EXT4_SUPER_MAGIC = 0xef53;

/**
 * A SecretFiles counting the full reads it makes; files count as settled 30 ms after their last change and sit on
 * ext4 (the tests' temp dir may be on any file system; the NFS case below says what happens elsewhere).
 */
function counted(settledMs = 30, fileSystem: (p: string) => Promise<number | undefined> = async () => EXT4_SUPER_MAGIC) {
  let reads = 0;
  const files = new SecretFiles({
    read: (p) => {
      reads++;
      return readCredentialFile(p);
    },
    settledMs,
    fileSystem,
  });
  return { files, reads: () => reads };
}

/** Writes `content` and waits (bounded) until the change is older than the settle time on the real clock. */
async function writeSettled(file: string, content: string): Promise<void> {
  writeFileSync(file, content);
  const changed = Math.max(statSync(file).ctimeMs, statSync(file).mtimeMs);
  const deadline = Date.now() + 5000;
  while (Date.now() - changed < 40 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 5));
}

describe('SecretFiles', () => {
  it('reads a settled file once and then only looks at it', async () => {
    const file = path.join(dir, 'settled');
    await writeSettled(file, '  token-a\n');
    const { files, reads } = counted();
    for (let i = 0; i < 5; i++) expect(await files.read(file)).toEqual({ ok: true, value: 'token-a' });
    expect(reads()).toBe(1);
  });

  it('sees a rewrite of the same size in place (same inode) at the next use', async () => {
    const file = path.join(dir, 'in-place');
    await writeSettled(file, 'token-a');
    const { files, reads } = counted();
    expect(await files.read(file)).toEqual({ ok: true, value: 'token-a' });
    const inode = statSync(file).ino;
    writeFileSync(file, 'token-b');
    expect(statSync(file).ino).toBe(inode);
    expect(await files.read(file)).toEqual({ ok: true, value: 'token-b' });
    expect(reads()).toBe(2);
  });

  it('reads a file changed within the settle time on every use (two writes in one clock tick look alike)', async () => {
    const file = path.join(dir, 'fresh');
    writeFileSync(file, 'token-a');
    const { files, reads } = counted(60_000);
    expect(await files.read(file)).toEqual({ ok: true, value: 'token-a' });
    // Same size, and possibly the same ctime and mtime on a coarse clock: only a real read can tell.
    writeFileSync(file, 'token-b');
    expect(await files.read(file)).toEqual({ ok: true, value: 'token-b' });
    expect(await files.read(file)).toEqual({ ok: true, value: 'token-b' });
    expect(reads()).toBe(3);
  });

  it('reads a file on a network file system (NFS) in full on every use: its stat may come from a cache', async () => {
    const file = path.join(dir, 'nfs');
    await writeSettled(file, 'token-a');
    const NFS_SUPER_MAGIC = 0x6969;
    const { files, reads } = counted(30, async () => NFS_SUPER_MAGIC);
    for (let i = 0; i < 3; i++) expect(await files.read(file)).toEqual({ ok: true, value: 'token-a' });
    expect(reads()).toBe(3);
    const unknown = counted(30, async () => undefined);
    await unknown.files.read(file);
    await unknown.files.read(file);
    expect(unknown.reads()).toBe(2);
  });

  it('follows a Kubernetes `..data` swap at once', async () => {
    const volume = path.join(dir, 'volume');
    mkdirSync(path.join(volume, '..2026_a'), { recursive: true });
    mkdirSync(path.join(volume, '..2026_b'));
    writeFileSync(path.join(volume, '..2026_a', 'token'), 'token-a');
    writeFileSync(path.join(volume, '..2026_b', 'token'), 'token-b');
    const past = new Date(Date.now() - 60_000);
    for (const v of ['..2026_a', '..2026_b']) utimesSync(path.join(volume, v, 'token'), past, past);
    symlinkSync('..2026_a', path.join(volume, '..data'));
    symlinkSync('..data/token', path.join(volume, 'token'));
    await writeSettled(path.join(dir, 'tick'), 'x');
    const { files, reads } = counted();
    expect(await files.read(path.join(volume, 'token'))).toEqual({ ok: true, value: 'token-a' });
    expect(await files.read(path.join(volume, 'token'))).toEqual({ ok: true, value: 'token-a' });
    expect(reads()).toBe(1);
    symlinkSync('..2026_b', path.join(volume, '..data_tmp'));
    renameSync(path.join(volume, '..data_tmp'), path.join(volume, '..data'));
    expect(await files.read(path.join(volume, 'token'))).toEqual({ ok: true, value: 'token-b' });
    expect(reads()).toBe(2);
  });

  it('reports a deleted file, and reads it again once it is back', async () => {
    const file = path.join(dir, 'deleted');
    await writeSettled(file, 'token-a');
    const { files } = counted();
    expect(await files.read(file)).toEqual({ ok: true, value: 'token-a' });
    unlinkSync(file);
    expect(await files.read(file)).toEqual({ ok: false, problem: 'no such file or directory' });
    writeFileSync(file, 'token-b');
    expect(await files.read(file)).toEqual({ ok: true, value: 'token-b' });
  });

  it('reads again after a chmod (so a file made unreadable fails at once)', async () => {
    const file = path.join(dir, 'chmod');
    await writeSettled(file, 'token-a');
    const { files, reads } = counted();
    await files.read(file);
    chmodSync(file, 0o000);
    await files.read(file);
    expect(reads()).toBe(2);
    chmodSync(file, 0o600);
  });
});
