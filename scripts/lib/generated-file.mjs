// Writes a generated file, or with --check fails when the committed copy is stale: one rule for every generator.
import { readFileSync, writeFileSync } from 'node:fs';

export function writeOrCheck({ root, source, target, script, text }) {
  if (process.argv.includes('--check')) {
    let current = '';
    try {
      current = readFileSync(`${root}${target}`, 'utf8');
    } catch {
      // missing counts as stale
    }
    if (current !== text) {
      process.stderr.write(`${target} is not generated from ${source}: run node ${script}\n`);
      process.exit(1);
    }
    process.stdout.write(`${target} is up to date\n`);
  } else {
    writeFileSync(`${root}${target}`, text);
    process.stdout.write(`wrote ${target}\n`);
  }
}
