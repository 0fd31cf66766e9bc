// Writes the probe metrics of SPEC's probe table from the current target state, so removed targets vanish.
import type { Registry } from 'prom-client';
import { escapeHelp, escapeLabelValue, streamFamily, valueText } from '../metrics/exposition.js';
import type { Diagnosis } from '../diagnosis/causes.js';
import { PROBE_RESULTS, type ProbeResultKind } from '../status/types.js';
import type { ProbeResult, ProbeTarget } from './probe.js';

export interface TargetState {
  target: ProbeTarget;
  last: ProbeResult | undefined;
  /** The cause of `last`, as src/diagnosis put it; undefined until the first diagnosis. */
  diagnosis?: Diagnosis | undefined;
  counts: Record<ProbeResultKind, number>;
  checkUnauthenticated: boolean;
  /**
   * This target's sample lines, one string per family of DEFINITIONS, rendered once after a probe and copied into
   * every scrape. Whoever changes the state sets it to undefined (invalidateText); it is rebuilt when next needed.
   */
  text?: string[] | undefined;
}

/** Forget a target's rendered lines: its result, counters, labels or anything a family reads changed. */
export function invalidateText(state: TargetState): void {
  state.text = undefined;
}

type Labels = Record<string, string>;
interface Sample {
  labels: Labels;
  value: number;
}

const CACHED = 'Cached: refreshed every probe interval.';

/**
 * One probe metric family. A family added here (e.g. a diagnosis per target) is rendered into every target's text
 * block with the others; if it reads state that changes outside a probe, call invalidateText on that change.
 */
interface Definition {
  name: string;
  help: string;
  type: 'gauge' | 'counter';
  samples(s: TargetState, base: Labels, last: ProbeResult): Sample[];
}

const DEFINITIONS: Definition[] = [
  {
    name: 'scrape_auth_probe_success',
    help: `1 when the last authenticated probe got a 200 with a metrics exposition. ${CACHED}`,
    type: 'gauge',
    samples: (_s, base, last) => [{ labels: base, value: last.result === 'ok' ? 1 : 0 }],
  },
  {
    name: 'scrape_auth_probe_status_code',
    help: `HTTP status code of the last probe, 0 when there was no HTTP response. ${CACHED}`,
    type: 'gauge',
    samples: (_s, base, last) => [{ labels: base, value: last.statusCode }],
  },
  {
    name: 'scrape_auth_probe_result',
    help: `Result of the last probe, one series per possible result with value 1 for the current one. ${CACHED}`,
    type: 'gauge',
    samples: (s, _base, last) => resultLabels(s.target).map((labels, i) => ({ labels, value: last.result === PROBE_RESULTS[i] ? 1 : 0 })),
  },
  {
    name: 'scrape_auth_probes_total',
    help: 'Probes of the target by result since the target appeared.',
    type: 'counter',
    samples: (s) => resultLabels(s.target).map((labels, i) => ({ labels, value: s.counts[PROBE_RESULTS[i]!] })),
  },
  {
    name: 'scrape_auth_probe_duration_seconds',
    help: `Duration of the last probe in seconds. ${CACHED}`,
    type: 'gauge',
    samples: (_s, base, last) => [{ labels: base, value: last.durationSeconds }],
  },
  {
    name: 'scrape_auth_probe_timestamp_seconds',
    help: `Unix time when the last probe finished. ${CACHED}`,
    type: 'gauge',
    samples: (_s, base, last) => [{ labels: base, value: last.finishedMs / 1000 }],
  },
  {
    name: 'scrape_auth_probe_unauthenticated_status_code',
    help: `With check_unauthenticated: HTTP status code of the same request sent without credentials, 0 when there was no HTTP response. ${CACHED}`,
    type: 'gauge',
    samples: (s, base, last) => (s.checkUnauthenticated && last.unauthenticated ? [{ labels: base, value: last.unauthenticated.statusCode }] : []),
  },
  {
    name: 'scrape_auth_probe_auth_enforced',
    help: `With check_unauthenticated: 1 when a request without credentials is refused, 0 when metrics are served to anyone. ${CACHED}`,
    type: 'gauge',
    samples: (s, base, last) =>
      s.checkUnauthenticated && last.unauthenticated?.authEnforced !== undefined ? [{ labels: base, value: last.unauthenticated.authEnforced ? 1 : 0 }] : [],
  },
  {
    name: 'scrape_auth_probe_tls_cert_expiry_timestamp_seconds',
    help: `Earliest notAfter of the certificate chain the target presented, as Unix time, also when verification failed. ${CACHED}`,
    type: 'gauge',
    samples: (_s, base, last) => (last.tlsCertExpiryMs !== undefined ? [{ labels: base, value: Math.floor(last.tlsCertExpiryMs / 1000) }] : []),
  },
  {
    name: 'scrape_auth_probe_forbidden_info',
    help: `1 when the last probe got a 403 whose body names the missing permission (kubelet, kube-rbac-proxy). ${CACHED}`,
    type: 'gauge',
    samples: (_s, base, last) => (last.result === 'forbidden' && last.forbidden ? [{ labels: { ...base, ...last.forbidden }, value: 1 }] : []),
  },
  {
    name: 'scrape_auth_probe_diagnosis',
    help: `1 for the cause of the last probe's result (ok, token_expired, permission_denied ...): exactly one series per target. ${CACHED}`,
    type: 'gauge',
    // One series per target: the cause label changes with the cause, the old series goes with it.
    samples: (s, base) => (s.diagnosis ? [{ labels: { ...base, cause: s.diagnosis.cause }, value: 1 }] : []),
  },
];

/** The labels every probe series of a target carries. */
export function baseLabels(target: ProbeTarget): Labels {
  return { scrape_job: target.job, scrape_instance: target.instance, ...target.labels };
}

/**
 * Label sets per target, built once: a scrape of 1,000 targets otherwise allocates ~30,000 label objects, which
 * made /metrics 1.6× slower than a bare registry holding the same series (docs/benchmarks.md). A target's labels
 * never change (a relabelled target is a new ProbeTarget), and prom-client only reads them.
 */
const labelCache = new WeakMap<ProbeTarget, { base: Labels; byResult: Labels[] }>();

function cachedLabels(target: ProbeTarget): { base: Labels; byResult: Labels[] } {
  let cached = labelCache.get(target);
  if (!cached) {
    const base = baseLabels(target);
    cached = { base, byResult: PROBE_RESULTS.map((result) => ({ ...base, result })) };
    labelCache.set(target, cached);
  }
  return cached;
}

function resultLabels(target: ProbeTarget): Labels[] {
  return cachedLabels(target).byResult;
}

/**
 * Registers the probe metrics on `registry`. A prom-client Gauge insists on one label-name set per metric, but
 * targets bring their own labels, so these are plain collectors: registry.metrics() builds them from `states()`
 * (tests, small registries), while the /metrics handler streams each target's rendered lines instead
 * (metrics/exposition.ts), the same text without building 260,000 sample objects per scrape at 10,000 targets.
 */
export function registerProbeMetrics(registry: Registry, states: () => Iterable<TargetState>): void {
  DEFINITIONS.forEach((def, index) => {
    const metric = {
      name: def.name,
      help: def.help,
      type: def.type,
      aggregator: 'sum',
      get: () => {
        const values: Sample[] = [];
        for (const state of states()) {
          if (!state.last) continue;
          for (const sample of def.samples(state, cachedLabels(state.target).base, state.last)) values.push(sample);
        }
        return Promise.resolve({ name: def.name, help: def.help, type: def.type, aggregator: 'sum', values });
      },
    };
    registry.registerMetric(metric as unknown as Parameters<Registry['registerMetric']>[0]);
    streamFamily(metric, { lines: () => familyLines(index, states()) });
  });
}

/** One family's lines over all targets, from each target's rendered block (rendered now if it has none). */
function* familyLines(index: number, states: Iterable<TargetState>): Iterable<string> {
  for (const state of states) {
    if (!state.last) continue;
    const block = targetText(state)[index];
    if (block) yield block;
  }
}

/** A target's lines per family, rendered once per change of its state. */
export function targetText(state: TargetState): string[] {
  if (state.text) return state.text;
  const last = state.last;
  const base = cachedLabels(state.target).base;
  const text = DEFINITIONS.map((def) => {
    if (!last) return '';
    const name = escapeHelp(def.name);
    // Joined, not concatenated with +=: a join is one flat string, where += leaves a tree of pieces per line that
    // stays in the heap as long as the target (a third of the heap at 10,000 targets).
    const lines: string[] = [];
    for (const sample of def.samples(state, base, last)) lines.push(`\n${name}${labelText(sample.labels)} ${valueText(sample.value)}`);
    return lines.join('');
  });
  state.text = text;
  return text;
}

/** A label set as prom-client writes it; the per-target label objects are cached, so is their text. */
const labelTexts = new WeakMap<Labels, string>();

function labelText(labels: Labels): string {
  let text = labelTexts.get(labels);
  if (text === undefined) {
    const parts = Object.entries(labels).map(([k, v]) => `${k}="${escapeLabelValue(v)}"`);
    text = parts.length > 0 ? `{${parts.join(',')}}` : '';
    labelTexts.set(labels, text);
  }
  return text;
}

/** prom-client's Prometheus text content type, which renderProbeText writes. */
export const PROBE_TEXT_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

/**
 * The same text a Registry holding registerProbeMetrics(states) renders, written directly: /probe answers one
 * target, and a fresh Registry with its ten collectors, promises and label caches per request cost more than the
 * text itself. metrics.test.ts holds the two outputs equal.
 */
export function renderProbeText(states: Iterable<TargetState>): string {
  const list = [...states];
  const blocks: string[] = [];
  DEFINITIONS.forEach((def, index) => {
    const name = escapeHelp(def.name);
    let block = `# HELP ${name} ${escapeHelp(def.help)}\n# TYPE ${name} ${def.type}`;
    for (const state of list) if (state.last) block += targetText(state)[index] ?? '';
    blocks.push(block);
  });
  return `${blocks.join('\n\n')}\n`;
}

export function emptyCounts(): Record<ProbeResultKind, number> {
  return Object.fromEntries(PROBE_RESULTS.map((r) => [r, 0])) as Record<ProbeResultKind, number>;
}
