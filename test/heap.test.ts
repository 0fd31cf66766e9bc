import { execFile } from 'node:child_process';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { sizedByUser, YOUNG_GENERATION_CAP_BYTES } from '../src/heap.js';

const run = promisify(execFile);
const HEAP = pathToFileURL(path.resolve(import.meta.dirname, '../dist/heap.js')).href;
const MiB = 1024 * 1024;

// Keeps ~60 MiB of small objects alive, in slices with a turn of the event loop between them (as the exporter's
// work comes), so V8 sees many survivors: the pattern that makes it grow the young generation.
const ALLOCATE = `
const keep = [];
const newSpace = () => v8.getHeapSpaceStatistics().find((s) => s.space_name === 'new_space').space_size;
async function churn() {
  for (let slice = 0; slice < 200; slice++) {
    for (let i = 0; i < 3000; i++) keep.push({ a: i, b: 'x' + i, c: [i] });
    await new Promise((resolve) => setImmediate(resolve));
  }
}`;

async function youngGeneration(script: string, nodeArgs: string[] = []): Promise<{ start: number; after: number }> {
  const source = `import v8 from 'node:v8';\n${script}`;
  const { stdout } = await run(process.execPath, [...nodeArgs, '--input-type=module', '-e', source], { timeout: 30_000 });
  return JSON.parse(stdout) as { start: number; after: number };
}

describe('sizedByUser', () => {
  it('is true when the young generation is sized on the command line or in NODE_OPTIONS', () => {
    expect(sizedByUser(['--max-semi-space-size=16'], undefined)).toBe(true);
    expect(sizedByUser([], '--enable-source-maps --min_semi_space_size=4')).toBe(true);
    expect(sizedByUser(['--semi-space-growth-factor=4'], '')).toBe(true);
  });

  it('is false otherwise', () => {
    expect(sizedByUser(['--enable-source-maps', '--max-old-space-size=256'], '--no-warnings')).toBe(false);
    expect(sizedByUser([], undefined)).toBe(false);
  });
});

describe('the young generation', () => {
  it('stays at its initial size until the exporter is up, then grows no further than a cap', async () => {
    const sizes = await youngGeneration(`
      const heap = await import(${JSON.stringify(HEAP)});
      heap.keepYoungGenerationSmall();
      ${ALLOCATE}
      await churn();
      const start = newSpace();
      heap.allowYoungGenerationGrowth(heap.YOUNG_GENERATION_CAP_BYTES);
      await churn();
      process.stdout.write(JSON.stringify({ start, after: newSpace() }));`);
    expect(sizes.start).toBeLessThanOrEqual(2 * MiB);
    expect(sizes.after).toBeLessThanOrEqual(YOUNG_GENERATION_CAP_BYTES);
  });

  it('grows as V8 decides once the exporter is up, without a cap', async () => {
    const sizes = await youngGeneration(`
      const heap = await import(${JSON.stringify(HEAP)});
      heap.keepYoungGenerationSmall();
      ${ALLOCATE}
      await churn();
      const start = newSpace();
      heap.allowYoungGenerationGrowth();
      await churn(); await churn();
      process.stdout.write(JSON.stringify({ start, after: newSpace() }));`);
    expect(sizes.start).toBeLessThanOrEqual(2 * MiB);
    expect(sizes.after).toBeGreaterThan(YOUNG_GENERATION_CAP_BYTES);
  });

  it('grows past the cap without heap.ts, so the tests above can fail', async () => {
    const sizes = await youngGeneration(`${ALLOCATE}
      await churn(); await churn();
      process.stdout.write(JSON.stringify({ start: 0, after: newSpace() }));`);
    expect(sizes.after).toBeGreaterThan(YOUNG_GENERATION_CAP_BYTES);
  });

  it('is left to V8 when the user sized it', async () => {
    const sizes = await youngGeneration(
      `
      const heap = await import(${JSON.stringify(HEAP)});
      heap.keepYoungGenerationSmall();
      ${ALLOCATE}
      await churn();
      const start = newSpace();
      heap.allowYoungGenerationGrowth();
      await churn();
      process.stdout.write(JSON.stringify({ start, after: newSpace() }));`,
      ['--max-semi-space-size=8'],
    );
    expect(sizes.start).toBeGreaterThan(2 * MiB);
    expect(sizes.after).toBeGreaterThan(YOUNG_GENERATION_CAP_BYTES);
  });
});
