// Reads the answer of Prometheus's GET /api/v1/targets?state=active into the targets a probe needs.
import { z } from 'zod';

export interface ActiveTarget {
  /** The job the target belongs to (its scrape_config's job_name). */
  scrapePool: string;
  /** The URL Prometheus scrapes, after relabelling (scheme, address, metrics path and params). */
  scrapeUrl: string;
  /** The target's labels after relabelling, `job` and `instance` included. */
  labels: Record<string, string>;
  /** Prometheus's verdict of its last scrape: "up", "down" or "unknown" (not scraped yet); undefined if absent or odd. */
  health?: TargetHealth;
}

export type TargetHealth = 'up' | 'down' | 'unknown';
const HEALTH: ReadonlySet<string> = new Set<TargetHealth>(['up', 'down', 'unknown']);

export type TargetsParse = { ok: true; targets: ActiveTarget[]; invalid: number } | { ok: false; error: string };

// Loose objects: Prometheus adds fields between versions (globalUrl, scrapeInterval, ...); only these matter.
const targetSchema = z.looseObject({
  scrapePool: z.string().min(1),
  scrapeUrl: z.string().refine((u) => URL.canParse(u) && /^https?:$/.test(new URL(u).protocol)),
  labels: z.record(z.string(), z.string()).default({}),
  // Read, never required: an answer without it (or with a word we do not know) still gives the target.
  health: z.unknown().optional(),
});

const responseSchema = z.looseObject({
  status: z.literal('success'),
  data: z.looseObject({ activeTargets: z.array(z.unknown()) }),
});

/**
 * The whole answer must have Prometheus's shape, or it is garbage and the caller keeps what it knew; inside a
 * good answer one malformed target is dropped and counted rather than spoiling the others.
 */
export function parseActiveTargets(body: string): TargetsParse {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    return { ok: false, error: 'response is not JSON' };
  }
  const response = responseSchema.safeParse(json);
  if (!response.success) {
    const status = (json as { status?: unknown } | null)?.status;
    const error = (json as { error?: unknown } | null)?.error;
    if (status === 'error' && typeof error === 'string') return { ok: false, error: `Prometheus answered an error: ${error.slice(0, 200)}` };
    return { ok: false, error: 'response is not a Prometheus targets answer (expected status "success" and data.activeTargets)' };
  }
  const targets: ActiveTarget[] = [];
  let invalid = 0;
  for (const entry of response.data.data.activeTargets) {
    const target = targetSchema.safeParse(entry);
    if (!target.success) {
      invalid++;
      continue;
    }
    const { scrapePool, scrapeUrl, labels, health } = target.data;
    targets.push({ scrapePool, scrapeUrl, labels, ...(typeof health === 'string' && HEALTH.has(health) ? { health: health as TargetHealth } : {}) });
  }
  return { ok: true, targets, invalid };
}
