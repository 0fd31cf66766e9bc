// Temp dirs for tests, removed when the test that made them ends or after its file's tests (they hold keys).
import { mkdtempSync, rmSync } from 'node:fs';
import { onTestFinished } from 'vitest';
import os from 'node:os';
import path from 'node:path';

const created = new Set<string>();

function remove(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
  created.delete(dir);
}

/**
 * A fresh directory under the run's temp dir (test/global-setup.ts). Made inside a test, it is removed when that
 * test ends; made in a hook or at collection time, after the file's tests (removeTempDirs in test/setup.ts).
 */
export function tempDirSync(prefix: string): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  created.add(dir);
  try {
    onTestFinished(() => remove(dir));
  } catch {
    // Not inside a test: the file-level afterAll in test/setup.ts removes it. (An afterAll registered here from
    // inside a beforeAll would never run: once the file is collected, vitest gives it to a suite that never runs.)
  }
  return dir;
}

/** Removes every directory tempDirSync made that is still there. */
export function removeTempDirs(): void {
  for (const dir of created) remove(dir);
}
