// Pure parsers: is a body a metrics exposition; which permission does a 403 body name.
import { describe, expect, it } from 'vitest';
import { checkExposition } from '../../src/probe/exposition.js';
import { MAX_FORBIDDEN_FIELD_LENGTH, parseForbidden, validForbidden } from '../../src/probe/forbidden.js';

describe('checkExposition', () => {
  it.each([
    ['Prometheus text', 'text/plain; version=0.0.4', '# HELP a A.\n# TYPE a gauge\na 1\nb{x="y z",w="{}"} 2.5e3 1700000000\n'],
    ['OpenMetrics', 'application/openmetrics-text; version=1.0.0', '# TYPE a counter\na_total 1 # {trace_id="x"} 1 1.0\n# EOF\n'],
    ['special values', 'text/plain', 'a NaN\nb +Inf\nc -Inf\n'],
    ['UTF-8 quoted names', 'text/plain', '{"my.metric",a="b"} 1\n'],
    ['an empty body', 'text/plain', ''],
    ['CRLF lines', 'text/plain', 'a 1\r\nb 2\r\n'],
    ['protobuf', 'application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily', '\u0000\u0001binary'],
  ])('accepts %s', (_name, type, body) => {
    expect(checkExposition(type, body, false).ok).toBe(true);
  });

  it.each([
    ['an HTML login page', 'text/html', '<!DOCTYPE html><html>'],
    ['HTML served as text/plain', 'text/plain', '<html><body>Login</body></html>'],
    ['JSON', 'text/plain', '{"status":"ok"}'],
    ['a sentence', undefined, 'Please sign in to continue'],
  ])('rejects %s', (_name, type, body) => {
    expect(checkExposition(type, body, false).ok).toBe(false);
  });

  it('ignores a last line cut off by the 64 KiB limit', () => {
    expect(checkExposition('text/plain', 'a 1\nb{x="unfinis', true).ok).toBe(true);
    expect(checkExposition('text/plain', 'a 1\nb{x="unfinis', false).ok).toBe(false);
  });
});

describe('parseForbidden', () => {
  it('reads the kubelet / kube-rbac-proxy resource form', () => {
    expect(parseForbidden('Forbidden (user=system:serviceaccount:monitoring:prometheus, verb=get, resource=nodes, subresource=metrics)\n')).toEqual({
      user: 'system:serviceaccount:monitoring:prometheus',
      verb: 'get',
      resource: 'nodes',
      subresource: 'metrics',
    });
  });

  it('reads the non-resource URL form as the resource', () => {
    expect(parseForbidden('Forbidden (user=alice, verb=get, url=/metrics)')).toEqual({ user: 'alice', verb: 'get', resource: '/metrics', subresource: '' });
  });

  it.each(['Forbidden', 'access denied', '{"kind":"Status","code":403}', 'Forbidden (verb=get)'])('finds nothing in %j', (body) => {
    expect(parseForbidden(body)).toBeUndefined();
  });

  it.each([
    ['a reflected Authorization header', 'Forbidden (user=Bearer abc.def, verb=get, resource=nodes)'],
    ['base64', 'Forbidden (user=Q0FOQVJZOnNlY3JldA==, verb=get, resource=nodes)'],
    [`a user name over ${MAX_FORBIDDEN_FIELD_LENGTH} characters`, `Forbidden (user=${'u'.repeat(MAX_FORBIDDEN_FIELD_LENGTH + 1)}, verb=get, resource=nodes)`],
    ['a 60 KB user name', `Forbidden (user=${'u'.repeat(60 * 1024)}, verb=get, resource=nodes)`],
    ['markup', 'Forbidden (user=<script>, verb=get, resource=nodes)'],
    ['an empty verb', 'Forbidden (user=alice, verb=, resource=nodes)'],
  ])('emits nothing for a field that is no Kubernetes name: %s', (_what, body) => {
    expect(parseForbidden(body)).toBeUndefined();
  });

  it(`takes a name of exactly ${MAX_FORBIDDEN_FIELD_LENGTH} characters and e-mail-style users`, () => {
    expect(parseForbidden(`Forbidden (user=${'u'.repeat(MAX_FORBIDDEN_FIELD_LENGTH)}, verb=get, resource=nodes)`)?.user.length).toBe(MAX_FORBIDDEN_FIELD_LENGTH);
    expect(validForbidden({ user: 'jane@example.com', verb: 'list', resource: 'pods', subresource: '' })).toBe(true);
  });
});
