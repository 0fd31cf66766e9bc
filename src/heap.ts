// Bounds V8's young generation: smallest while the exporter starts, then at most the size the floor settles at.
import { PerformanceObserver } from 'node:perf_hooks';
import { getHeapSpaceStatistics, setFlagsFromString } from 'node:v8';

/**
 * Why: V8 doubles the young generation (up to 2 × 16 MiB on 64-bit) whenever many objects survive a scavenge and
 * keeps the pages committed for good. Loading and parsing our module graph does that once at start-up: 16 MiB of
 * nursery (~10 MiB of RSS) kept for the rest of the process's life because of one burst. So the exporter starts
 * with V8's smallest nursery and lets V8 grow it once it is up, when growth follows the real load. The growth factor
 * is the one young-generation knob V8 still reads after start-up (the semi-space sizes are fixed when the heap is
 * made). Whoever sizes the young generation on the command line or in NODE_OPTIONS keeps V8's own behaviour.
 * A cap after start-up (capBytes) saves ~30 MiB more at 1,000 targets but makes /metrics at that scale ~1.6× slower
 * and adds GC time per probe, so it is off (docs/benchmarks.md has the figures).
 */
export function sizedByUser(execArgv: readonly string[], nodeOptions: string | undefined): boolean {
  const given = [...execArgv, ...(nodeOptions ?? '').split(/\s+/)];
  return given.some((arg) => /^--(max|min)[-_]semi[-_]space[-_]size|^--semi[-_]space[-_]growth[-_]factor/.test(arg));
}

/** Two 2 MiB semi-spaces: where an express + prom-client hello world settles; the cap the tests and figures use. */
export const YOUNG_GENERATION_CAP_BYTES = 4 * 1024 * 1024;

const NO_GROWTH = '--semi-space-growth-factor=1';
const V8_GROWTH = '--semi-space-growth-factor=2';

let managed = false;

/** Called first thing by main.ts, before the exporter's module graph is loaded: no growth until it is up. */
export function keepYoungGenerationSmall(): void {
  managed = !sizedByUser(process.execArgv, process.env.NODE_OPTIONS);
  if (managed) setFlagsFromString(NO_GROWTH);
}

export function youngGenerationBytes(): number {
  return getHeapSpaceStatistics().find((s) => s.space_name === 'new_space')?.space_size ?? 0;
}

/**
 * Called once the exporter is up: the nursery may now double, as V8 decides; with capBytes, only until it reaches
 * that size. A GC observer stops the growth there and then disconnects, so it costs nothing afterwards. The observer
 * runs on a later turn of the event loop: one long synchronous burst of survivors could overshoot by a doubling.
 */
export function allowYoungGenerationGrowth(capBytes?: number): void {
  if (!managed) return;
  if (capBytes === undefined) {
    setFlagsFromString(V8_GROWTH);
    return;
  }
  if (youngGenerationBytes() >= capBytes) return;
  setFlagsFromString(V8_GROWTH);
  const observer = new PerformanceObserver(() => {
    if (youngGenerationBytes() < capBytes) return;
    setFlagsFromString(NO_GROWTH);
    observer.disconnect();
  });
  observer.observe({ entryTypes: ['gc'] });
}
