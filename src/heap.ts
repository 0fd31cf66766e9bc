// Bounds V8's young generation: smallest while the exporter starts, then at most the size the floor settles at.
import { PerformanceObserver } from 'node:perf_hooks';
import { getHeapSpaceStatistics, setFlagsFromString } from 'node:v8';

/**
 * Why: V8 doubles the young generation (up to 2 × 16 MiB on 64-bit) whenever many objects survive a scavenge and
 * keeps the pages committed for good. Loading and parsing our module graph does that once at start-up (to 16 MiB,
 * ~10 MiB of RSS idle for nothing), probing 1,000 targets does it again (to 32 MiB). The exporter's objects either die
 * young (a probe, a scrape) or live as long as the config, so a bigger nursery buys little: we start with V8's
 * smallest one and, once started, let it grow only to the size an express + prom-client hello world settles at.
 * The growth factor is the one young-generation knob V8 still reads after start-up (the semi-space sizes are fixed
 * when the heap is made). Whoever sizes the young generation on the command line or in NODE_OPTIONS keeps V8's own.
 * Figures and the GC-time cost are in docs/benchmarks.md.
 */
export function sizedByUser(execArgv: readonly string[], nodeOptions: string | undefined): boolean {
  const given = [...execArgv, ...(nodeOptions ?? '').split(/\s+/)];
  return given.some((arg) => /^--(max|min)[-_]semi[-_]space[-_]size|^--semi[-_]space[-_]growth[-_]factor/.test(arg));
}

/** The whole young generation (two semi-spaces) the nursery may grow to after start-up. */
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
 * Called once the exporter is up: the nursery may now double, as V8 decides, until it reaches the cap. A GC observer
 * stops the growth there and then disconnects, so it costs nothing afterwards. The observer runs on a later turn of
 * the event loop: one long synchronous burst of survivors could overshoot by a doubling, the exporter's work does not.
 */
export function allowYoungGenerationGrowth(capBytes = YOUNG_GENERATION_CAP_BYTES): void {
  if (!managed || youngGenerationBytes() >= capBytes) return;
  setFlagsFromString(V8_GROWTH);
  const observer = new PerformanceObserver(() => {
    if (youngGenerationBytes() < capBytes) return;
    setFlagsFromString(NO_GROWTH);
    observer.disconnect();
  });
  observer.observe({ entryTypes: ['gc'] });
}
