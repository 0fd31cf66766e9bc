// Descriptor exhaustion (EMFILE/ENFILE) is the exporter's own trouble, never a verdict about a target or a file:
// the one place that recognises it, counts it in a self metric and logs it.
import type { Logger } from 'pino';
import { Counter, type Registry } from 'prom-client';

export const DESCRIPTOR_EXHAUSTION_METRIC = 'scrape_auth_descriptor_exhaustion_total';
/** One warning per component at most this often: under exhaustion every probe and read would log one. */
export const EXHAUSTION_LOG_INTERVAL_MS = 10_000;

const CODES = new Set(['EMFILE', 'ENFILE']);
// describeErrno() writes an unknown errno code in lower case ("emfile"); Go and libc write the sentence.
const TEXT = /\b(?:emfile|enfile)\b|too many open files/i;
const MAX_CHAIN = 16;

/** Whether an error (its cause chain included) or a problem text says the process ran out of file descriptors. */
export function isDescriptorExhaustion(err: unknown): boolean {
  let current: unknown = err;
  for (let depth = 0; depth < MAX_CHAIN && current !== undefined && current !== null; depth++) {
    if (typeof current === 'string') return TEXT.test(current);
    if (typeof current !== 'object') return false;
    const e = current as { code?: unknown; message?: unknown; cause?: unknown };
    if (typeof e.code === 'string' && CODES.has(e.code)) return true;
    if (typeof e.message === 'string' && TEXT.test(e.message)) return true;
    current = e.cause;
  }
  return false;
}

/** Counts and logs exhaustion for one component (`probe`, `credentials`, `file_sd`). */
export class ExhaustionReporter {
  private readonly counter: Counter<'component'>;
  private lastLogMs = -Infinity;

  constructor(
    registry: Registry,
    private readonly component: string,
    private readonly logger: Logger,
    private readonly now: () => number = Date.now,
  ) {
    // Shared by every component on the registry: the first one creates it.
    this.counter =
      (registry.getSingleMetric(DESCRIPTOR_EXHAUSTION_METRIC) as Counter<'component'> | undefined) ??
      new Counter({
        name: DESCRIPTOR_EXHAUSTION_METRIC,
        help: 'Probes and file reads skipped because the exporter ran out of file descriptors (EMFILE/ENFILE); the previous verdict was kept.',
        labelNames: ['component'],
        registers: [registry],
      });
    this.counter.inc({ component }, 0);
  }

  /** Records one occurrence; `what` names the target or file, for the log only. */
  report(what: Record<string, string>): void {
    this.counter.inc({ component: this.component });
    const now = this.now();
    if (now - this.lastLogMs < EXHAUSTION_LOG_INTERVAL_MS) return;
    this.lastLogMs = now;
    this.logger.warn({ component: this.component, ...what }, 'Out of file descriptors (EMFILE/ENFILE): keeping the previous verdict; raise the open files limit or lower the load');
  }
}
