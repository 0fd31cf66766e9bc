// The probe metrics built from target state: cached label sets must never mix targets up or go stale.
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { emptyCounts, PROBE_TEXT_CONTENT_TYPE, registerProbeMetrics, renderProbeText, type TargetState } from '../../src/probe/metrics.js';
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

  it('renders /probe\'s text exactly as a prom-client Registry holding the same state does', async () => {
    const odd: ProbeTarget = { job: 'j"ob', instance: '[::1]:9100', url: 'https://[::1]:9100/metrics', labels: { note: 'back\\slash "quoted"\nnew line', zone: '' } };
    const plain: ProbeTarget = { job: 'app', instance: 'a:9100', url: 'http://a:9100/metrics', labels: {} };
    const forbidden = state(odd, 'forbidden', { ok: 3, forbidden: 1 });
    forbidden.last = { ...forbidden.last!, statusCode: 403, forbidden: { user: 'system:serviceaccount:m:p', verb: 'get', resource: 'nodes', subresource: '' }, tlsCertExpiryMs: 1_900_000_123_456, durationSeconds: 0.123456789 };
    const checked = state(plain, 'ok', { ok: 1 });
    checked.checkUnauthenticated = true;
    checked.last = { ...checked.last!, unauthenticated: { statusCode: 401, authEnforced: true, result: 'unauthorized', error: undefined } };
    const unknown = state(plain, 'timeout', { timeout: 2 });
    unknown.checkUnauthenticated = true;
    unknown.last = { ...unknown.last!, statusCode: 0, durationSeconds: Number.POSITIVE_INFINITY, unauthenticated: { statusCode: 0, authEnforced: undefined, result: 'timeout', error: undefined } };
    const never: TargetState = { target: plain, last: undefined, counts: emptyCounts(), checkUnauthenticated: false };
    for (const states of [[forbidden], [checked], [unknown], [never], [forbidden, checked, never], []]) {
      const registry = new Registry();
      registerProbeMetrics(registry, () => states);
      expect(renderProbeText(states)).toBe(await registry.metrics());
      expect(PROBE_TEXT_CONTENT_TYPE).toBe(registry.contentType);
    }
  });
});
