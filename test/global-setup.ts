// Builds dist/ once before the tests that start the real exporter (node dist/main.js), only when src/ is newer;
// gives the run a temp dir of its own and, at the end, names what tests left in it and removes it.
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(full) : statSync(full).mtimeMs);
  }
  return newest;
}

/**
 * Every test's mkdtemp (os.tmpdir() reads TMPDIR) and every exporter it starts (the demo's directory included)
 * land in one directory per run: test workers and their children inherit TMPDIR. The system temp dir never keeps
 * a test's keys and tokens, and whatever a test forgot to remove is named here, so it can be fixed.
 */
function runTempDir(): () => void {
  const previous = process.env.TMPDIR;
  const runDir = mkdtempSync(path.join(previous ?? os.tmpdir(), 'sae-test-run-'));
  // As /tmp itself: the permission tests run code as uid 65534, which must reach (and may write) its temp files.
  chmodSync(runDir, 0o1777);
  process.env.TMPDIR = runDir;
  return () => {
    let left: string[] = [];
    try {
      left = readdirSync(runDir);
    } catch {
      // Already gone.
    }
    if (left.length > 0) {
      const shown = left.slice(0, 20).join(', ');
      process.stderr.write(`warning: tests left ${left.length} temp entr${left.length === 1 ? 'y' : 'ies'} behind (removed now): ${shown}${left.length > 20 ? ', …' : ''}\n`);
    }
    rmSync(runDir, { recursive: true, force: true });
    if (previous === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = previous;
  };
}

export default function setup(): () => void {
  const teardown = runTempDir();
  build();
  return teardown;
}

function build(): void {
  let built = 0;
  try {
    built = statSync('dist/main.js').mtimeMs;
  } catch {
    // not built yet
  }
  if (built >= newestMtime('src')) return;
  execFileSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.build.json'], { stdio: 'inherit' });
}
