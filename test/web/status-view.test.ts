import { describe, expect, it } from 'vitest';
import { PROBE_RESULTS } from '../../src/status/types.js';
import { buildStatus, parseResultFilter, redactUserinfo } from '../../src/web/status-view.js';
import { CANARY, everyStateSources } from './helpers/fixtures.js';

const NOW = Date.parse('2025-01-02T03:04:05Z');
const config = { file: '/etc/scrape-auth.yml', lastReloadSuccessful: true, lastReloadSuccessMs: NOW - 60_000 };

describe('buildStatus', () => {
  it('answers every target with its result, "pending" before the first probe, and counts per result', () => {
    const data = buildStatus(everyStateSources(NOW), config, [], NOW);
    expect(data.targets.map((t) => t.result)).toEqual([...PROBE_RESULTS, 'pending', 'unauthorized']);
    expect(data.resultCounts).toMatchObject({ ok: 1, unauthorized: 2, pending: 1, dns_error: 1 });
    expect(data.config).toEqual({ file: '/etc/scrape-auth.yml', lastReloadSuccessful: true, lastReloadSuccessTimestamp: '2025-01-02T03:03:05.000Z' });
  });

  it('writes times as RFC 3339 and ages in seconds, null where there is nothing yet', () => {
    const data = buildStatus(everyStateSources(NOW), config, [], NOW);
    expect(data.targets[0]).toMatchObject({ lastProbe: '2025-01-02T03:03:53.000Z', lastProbeAgeSeconds: 12, durationSeconds: 0.042, tlsCertExpiresInSeconds: 864000 });
    const pending = data.targets.find((t) => t.result === 'pending')!;
    expect(pending).toMatchObject({ statusCode: null, lastError: null, lastProbe: null, lastProbeAgeSeconds: null, authEnforced: null });
    const token = data.credentialFiles[0]!;
    expect(token).toMatchObject({ ageSeconds: 3600, expiresInSeconds: 259200, rotations: 4, refreshDue: '2025-01-02T05:04:05.000Z' });
    expect(data.credentialFiles[2]!.expiresInSeconds).toBe(-7200);
  });

  it('keeps only the results asked for, but counts all of them', () => {
    const data = buildStatus(everyStateSources(NOW), config, ['unauthorized', 'pending'], NOW);
    expect(data.targets.map((t) => t.result)).toEqual(['unauthorized', 'pending', 'unauthorized']);
    expect(data.resultCounts.ok).toBe(1);
  });

  it('never shows the userinfo of a URL, even when a producer leaves it in', () => {
    const json = JSON.stringify(buildStatus(everyStateSources(NOW), config, [], NOW));
    expect(json).not.toContain(CANARY);
    expect(json).toContain('https://evil:1/metrics');
  });
});

describe('parseResultFilter', () => {
  it.each([
    [undefined, []],
    ['unauthorized', ['unauthorized']],
    ['unauthorized,forbidden', ['unauthorized', 'forbidden']],
    [['ok', 'pending', 'ok'], ['ok', 'pending']],
    ['', []],
  ])('%o → %o', (query, expected) => {
    expect(parseResultFilter(query)).toEqual({ ok: true, filter: expected });
  });

  it('refuses an unknown result, naming the known ones', () => {
    expect(parseResultFilter('unauthorised')).toEqual({ ok: false, error: expect.stringContaining('unknown result "unauthorised": expected one of ok, unauthorized,') });
    expect(parseResultFilter({ a: 1 })).toMatchObject({ ok: false });
  });
});

describe('redactUserinfo', () => {
  it.each([
    ['https://user:pw@host:1/x', 'https://host:1/x'],
    ['Get "http://tok@h/m": EOF', 'Get "http://h/m": EOF'],
    ['http://h/m?next=a@b', 'http://h/m?next=a@b'],
    ['no url here', 'no url here'],
  ])('%s → %s', (input, expected) => {
    expect(redactUserinfo(input)).toBe(expected);
  });
});
