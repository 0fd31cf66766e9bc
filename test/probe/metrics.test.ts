// The probe metrics built from target state: cached label sets must never mix targets up or go stale.
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { emptyCounts, registerProbeMetrics, type TargetState } from '../../src/probe/metrics.js';
import type { ProbeResult, ProbeTarget } from '../../src/probe/probe.js';

function state(target: ProbeTarget, result: ProbeResult['result'], counts: Partial<Record<ProbeResult['result'], number>>): TargetState {
  const last = { result, statusCode: result === 'ok' ? 200 : 401, error: undefined, durationSeconds: 0.01, finishedMs: 1_000_000, tlsCertExpiryMs: undefined, forbidden: undefined, bodyBytesRead: 0, hops: [], unauthenticated: undefined } as ProbeResult;
  return { target, last, counts: { ...emptyCounts(), ...counts }, checkUnauthenticated: false };
}

describe('probe metrics', () => {
  it('keeps each target its own labels and current values across scrapes, and drops a removed target', async () => {
    const a: ProbeTarget = { job: 'app', instance: 'a:9100', url: 'http://a:9100/metrics', labels: { env: 'prod' } };
    const b: ProbeTarget = { job: 'app', instance: 'b:9100', url: 'http://b:9100/metrics', labels: { env: 'dev' } };
    let states = [state(a, 'ok', { ok: 1 }), state(b, 'unauthorized', { unauthorized: 1 })];
    const registry = new Registry();
    registerProbeMetrics(registry, () => states);

    const first = await registry.metrics();
    expect(first).toContain('scrape_auth_probe_result{scrape_job="app",scrape_instance="a:9100",env="prod",result="ok"} 1');
    expect(first).toContain('scrape_auth_probe_result{scrape_job="app",scrape_instance="b:9100",env="dev",result="unauthorized"} 1');

    states = [state(a, 'forbidden', { ok: 1, forbidden: 1 })];
    const second = await registry.metrics();
    expect(second).toContain('scrape_auth_probe_result{scrape_job="app",scrape_instance="a:9100",env="prod",result="ok"} 0');
    expect(second).toContain('scrape_auth_probe_result{scrape_job="app",scrape_instance="a:9100",env="prod",result="forbidden"} 1');
    expect(second).toContain('scrape_auth_probes_total{scrape_job="app",scrape_instance="a:9100",env="prod",result="forbidden"} 1');
    expect(second).not.toContain('b:9100');
    // Same labels, same series: a second scrape never shows a label set twice.
    expect(second.split('\n').filter((l) => l.startsWith('scrape_auth_probe_success{')).length).toBe(1);
  });
});
