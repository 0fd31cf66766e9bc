import { execFileSync } from 'node:child_process';
import { chmod, mkdir, symlink, truncate } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { observeFile } from '../../src/credentials/observe.js';
import { tempDir, write } from './helpers.js';

describe('observeFile', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  beforeAll(async () => ({ dir, cleanup } = await tempDir()));
  afterAll(() => cleanup());

  it('reads a regular file: size, mtime, mode, a content hash, not empty', async () => {
    const file = await write(path.join(dir, 'token'), 's3cret\n', 0o640);
    const o = await observeFile(file, undefined);
    expect(o).toMatchObject({ exists: true, readable: true, problem: undefined, sizeBytes: 7, empty: false, isSymlink: false });
    expect(o.mode! & 0o777).toBe(0o640);
    expect(o.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(o.inspection?.type).toBe('opaque');
  });

  it('hashes the trimmed content, so a trailing newline is not a different credential', async () => {
    const a = await observeFile(await write(path.join(dir, 'a'), 'same'), undefined);
    const b = await observeFile(await write(path.join(dir, 'b'), '  same\n\n'), undefined);
    expect(a.hash).toBe(b.hash);
    expect((await observeFile(path.join(dir, 'b'), b.hash)).inspection).toBeUndefined();
  });

  it('calls a file of white space empty', async () => {
    const o = await observeFile(await write(path.join(dir, 'blank'), ' \n\t\n'), undefined);
    expect(o).toMatchObject({ readable: true, empty: true });
  });

  it('never opens a FIFO (opening one would block until a writer comes)', async () => {
    const fifo = path.join(dir, 'fifo');
    execFileSync('mkfifo', [fifo]);
    const o = await observeFile(fifo, undefined);
    expect(o).toMatchObject({ exists: true, readable: false, problem: 'is a FIFO, not a regular file', hash: undefined });
  });

  it('never reads a directory', async () => {
    const sub = path.join(dir, 'subdir');
    await mkdir(sub);
    expect(await observeFile(sub, undefined)).toMatchObject({ exists: true, readable: false, problem: 'is a directory, not a regular file' });
  });

  it('never reads a device such as /dev/zero', async () => {
    expect(await observeFile('/dev/zero', undefined)).toMatchObject({ exists: true, readable: false, problem: 'is a device, not a regular file' });
  });

  it('refuses a 10 MB file without reading it, but still reports its size', async () => {
    const big = path.join(dir, 'big');
    await write(big, '');
    await truncate(big, 10 * 1024 * 1024);
    const o = await observeFile(big, undefined);
    expect(o).toMatchObject({ exists: true, readable: false, sizeBytes: 10 * 1024 * 1024 });
    expect(o.problem).toContain('more than the 1048576-byte limit');
  });

  it('calls a dangling symlink not existing', async () => {
    const link = path.join(dir, 'dangling');
    await symlink(path.join(dir, 'nowhere'), link);
    expect(await observeFile(link, undefined)).toMatchObject({ exists: false, readable: false, isSymlink: true, problem: 'no such file or directory' });
  });

  it('calls a missing file not existing', async () => {
    expect(await observeFile(path.join(dir, 'missing'), undefined)).toMatchObject({ exists: false, readable: false, isSymlink: false });
  });

  it('follows a symlink to its target and says where it leads', async () => {
    const target = await write(path.join(dir, 'target'), 'x');
    const link = path.join(dir, 'link');
    await symlink('target', link);
    expect(await observeFile(link, undefined)).toMatchObject({ readable: true, isSymlink: true, realPath: target });
  });

  it('reports the mode of a 0644 and a 0640 file', async () => {
    const open = await write(path.join(dir, 'open'), 'x');
    await chmod(open, 0o644);
    const closed = await write(path.join(dir, 'closed'), 'x');
    await chmod(closed, 0o640);
    expect((await observeFile(open, undefined)).mode! & 0o004).toBe(0o004);
    expect((await observeFile(closed, undefined)).mode! & 0o004).toBe(0);
  });
});
