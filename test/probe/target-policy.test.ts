// The /probe target policy and the redirect rule, as pure functions: where a job's credentials may go.
import { describe, expect, it } from 'vitest';
import { checkProbeTarget, credentialsAllowedOnHop, originOf } from '../../src/probe/target-policy.js';

describe('originOf', () => {
  it.each([
    ['http://Example.COM/metrics', 'http://example.com:80'],
    ['http://example.com:80/x', 'http://example.com:80'],
    ['https://example.com/', 'https://example.com:443'],
    ['https://example.com:443', 'https://example.com:443'],
    ['https://example.com:8443/m?x=1', 'https://example.com:8443'],
    ['http://[0:0::1]:9100/', 'http://[::1]:9100'],
    ['http://[::1]/', 'http://[::1]:80'],
    ['ftp://example.com/', undefined],
    ['not a url', undefined],
  ])('%s → %s', (url, origin) => {
    expect(originOf(url)).toBe(origin);
  });
});

describe('checkProbeTarget', () => {
  const own = new Set(['https://kubelet.example:10250', 'http://[::1]:9100']);
  const check = (url: string, extra: Partial<Parameters<typeof checkProbeTarget>[0]> = {}) =>
    checkProbeTarget({ job: 'kubelet', jobScheme: 'https', url, ownOrigins: own, allowAnyTarget: false, ...extra });

  it('lets a job probe its own targets, whatever the path, host case, default port or IPv6 spelling', () => {
    expect(check('https://KUBELET.example:10250/metrics/cadvisor')).toEqual({ ok: true });
    expect(check('http://[0::1]:9100/metrics')).toEqual({ ok: true });
    expect(checkProbeTarget({ job: 'j', jobScheme: 'https', url: 'https://h/', ownOrigins: new Set(['https://h:443']), allowAnyTarget: false })).toEqual({ ok: true });
  });

  it('refuses another host, another port and another scheme, with a one-line reason', () => {
    for (const url of ['http://attacker:8080/steal', 'https://kubelet.example:10251/metrics', 'http://kubelet.example:10250/metrics']) {
      const decision = check(url);
      expect(decision.ok).toBe(false);
      if (!decision.ok) {
        expect(decision.reason).toContain('is not one of the targets of job "kubelet"');
        expect(decision.reason).toContain('allow_any_target');
        expect(decision.reason).not.toContain('\n');
      }
    }
  });

  it('refuses everything for a job with no targets', () => {
    expect(checkProbeTarget({ job: 'j', jobScheme: 'http', url: 'http://a:1/', ownOrigins: new Set(), allowAnyTarget: false }).ok).toBe(false);
  });

  it('allows any target when the operator opted in, but never plain http for an https job', () => {
    expect(check('https://elsewhere:443/', { allowAnyTarget: true })).toEqual({ ok: true });
    const downgrade = check('http://elsewhere:80/', { allowAnyTarget: true });
    expect(downgrade).toEqual({ ok: false, reason: 'job "kubelet" uses https: its credentials are never sent over plain http' });
    expect(check('http://elsewhere:80/', { allowAnyTarget: true, jobScheme: 'http' })).toEqual({ ok: true });
  });
});

describe('credentialsAllowedOnHop', () => {
  const u = (s: string) => new URL(s);
  it.each([
    ['https://a:8443/x', 'https://a:8443/y', true],
    ['http://a/x', 'http://a/y', true],
    ['http://a/x', 'https://a/y', true],
    ['https://a:8443/x', 'http://a:8443/y', false],
    ['https://a/x', 'http://a/y', false],
    ['https://a/x', 'https://b/y', false],
    ['http://a:1/x', 'http://a:2/y', false],
  ])('%s → %s: %s', (first, hop, allowed) => {
    expect(credentialsAllowedOnHop(u(first), u(hop))).toBe(allowed);
  });
});
