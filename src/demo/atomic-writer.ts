// Writes a set of files the way Kubernetes' AtomicWriter updates Secret and projected volumes: a `..data` symlink swap.
import { mkdir, readdir, readlink, rename, rm, symlink, writeFile, lstat } from 'node:fs/promises';
import path from 'node:path';

/**
 * Makes `dir/NAME` point at `..data/NAME` for each file, with `..data` a symlink to a fresh timestamped
 * directory; an update builds a new directory and renames a new symlink over `..data`, so readers see
 * either the old set or the new one, never a mix — and a watch on `dir/NAME` itself never fires.
 */
export async function atomicWriteDir(dir: string, files: Record<string, string | Buffer>, mode = 0o640): Promise<void> {
  await mkdir(dir, { recursive: true });
  const version = `..${new Date().toISOString().replace(/[-:]/g, '_').replace('.', '_')}_${process.hrtime.bigint() % 100000n}`;
  const versionDir = path.join(dir, version);
  await mkdir(versionDir);
  for (const [name, content] of Object.entries(files)) {
    await writeFile(path.join(versionDir, name), content, { mode });
  }
  const previous = await readlink(path.join(dir, '..data')).catch(() => undefined);
  const tmpLink = path.join(dir, '..data_tmp');
  await rm(tmpLink, { force: true });
  await symlink(version, tmpLink);
  await rename(tmpLink, path.join(dir, '..data'));
  for (const name of Object.keys(files)) {
    const link = path.join(dir, name);
    const existing = await lstat(link).catch(() => undefined);
    if (!existing) await symlink(path.join('..data', name), link);
  }
  if (previous && previous !== version) await rm(path.join(dir, previous), { recursive: true, force: true });
  // Stale version directories from an interrupted run would otherwise pile up.
  for (const entry of await readdir(dir)) {
    if (entry.startsWith('..') && entry !== '..data' && entry !== version) await rm(path.join(dir, entry), { recursive: true, force: true });
  }
}
