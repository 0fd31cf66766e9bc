// The /metrics text, produced in chunks: prom-client renders its own metrics, families that keep their own text
// (the per-target probe blocks) are copied from it, so a scrape of 10,000 targets is a concatenation.
import type { Registry } from 'prom-client';

/** A family whose sample lines are kept as text by its owner; registry.metrics() still works through its get(). */
export interface StreamedFamily {
  /** The family's sample lines in prom-client's text format, each one starting with "\n". */
  lines(): Iterable<string>;
}

/**
 * How much text is gathered before it is handed on: the event loop is yielded between chunks, so /-/healthy and
 * probes run during a large scrape, and no more than a chunk of the exposition is held at once.
 */
export const EXPOSITION_CHUNK_CHARS = 64 * 1024;

const streamed = new WeakMap<object, StreamedFamily>();

/** Registers how `metric` (already registered on a registry) is streamed: its header, then `family.lines()`. */
export function streamFamily(metric: object, family: StreamedFamily): void {
  streamed.set(metric, family);
}

interface RegisteredMetric {
  name: string;
  help: string;
  type: string;
}

type RegistryInternals = Registry & { getMetricsAsString(metric: unknown): Promise<string> };

/**
 * The same text as `registry.metrics()` (Prometheus text format 0.0.4; byte for byte, held equal by a test), in
 * chunks of about EXPOSITION_CHUNK_CHARS. Streamed families are written from their own text; every other metric is
 * rendered by prom-client, one metric at a time.
 */
export async function* expositionChunks(registry: Registry): AsyncGenerator<string> {
  if (registry.contentType !== 'text/plain; version=0.0.4; charset=utf-8') {
    // OpenMetrics renames counters and ends with "# EOF": not ours to re-implement; prom-client renders it whole.
    yield await registry.metrics();
    return;
  }
  const internals = registry as RegistryInternals;
  let pending = '';
  let first = true;
  for (const metric of registry.getMetricsAsArray() as unknown as RegisteredMetric[]) {
    if (!first) pending += '\n\n';
    first = false;
    const family = streamed.get(metric);
    if (!family) {
      pending += await internals.getMetricsAsString(metric);
    } else {
      const name = escapeHelp(metric.name);
      pending += `# HELP ${name} ${escapeHelp(metric.help)}\n# TYPE ${name} ${metric.type}`;
      for (const line of family.lines()) {
        pending += line;
        if (pending.length >= EXPOSITION_CHUNK_CHARS) {
          yield pending;
          pending = '';
        }
      }
    }
    if (pending.length >= EXPOSITION_CHUNK_CHARS) {
      yield pending;
      pending = '';
    }
  }
  yield `${pending}\n`;
}

/** prom-client's escaping of metric names and HELP text. */
export function escapeHelp(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

/** prom-client's escaping of a label value. */
export function escapeLabelValue(text: string): string {
  return escapeHelp(text).replace(/"/g, '\\"');
}

/** A sample value as prom-client writes it. */
export function valueText(value: number): string {
  if (Number.isNaN(value)) return 'Nan';
  if (!Number.isFinite(value)) return value < 0 ? '-Inf' : '+Inf';
  return `${value}`;
}
