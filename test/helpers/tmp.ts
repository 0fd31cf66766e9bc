// Temp dirs for tests that are removed when the test worker exits, even when a test forgets (they hold keys).
import { mkdtempSync, rmSync } from 'node:fs';
import { afterAll, onTestFinished } from 'vitest';
import os from 'node:os';
import path from 'node:path';

const created = new Set<string>();
let hooked = false;

/** A fresh directory under the run's temp dir (test/global-setup.ts), removed at the latest when the worker exits. */
export function tempDirSync(prefix: string): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  try {
    // Made inside a test: removed when that test ends.
    onTestFinished(() => {
      rmSync(dir, { recursive: true, force: true });
      created.delete(dir);
    });
  } catch {
    // Made in a hook or at collection time: removed after the file's tests, else when the worker exits.
    try {
      afterAll(() => {
        rmSync(dir, { recursive: true, force: true });
        created.delete(dir);
      });
    } catch {
      // Not inside a test file's collection either.
    }
  }
  created.add(dir);
  if (!hooked) {
    hooked = true;
    process.once('exit', () => {
      for (const d of created) rmSync(d, { recursive: true, force: true });
    });
  }
  return dir;
}
