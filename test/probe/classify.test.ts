// The classifier maps error codes (never one exact message) to SPEC's results and Prometheus's error texts.
import { describe, expect, it } from 'vitest';
import { classifyError, classifyStatus, ProbeError, PROBE_ERROR_CODES, statusLine } from '../../src/probe/classify.js';
import { PROBE_RESULTS } from '../../src/status/types.js';

const URL_ = 'https://10.0.0.8:9000/metrics';
const ctx = { url: URL_, host: '10.0.0.8', remote: '10.0.0.8:9000', local: '10.0.0.1:50000' };
const coded = (code: string, extra: Record<string, unknown> = {}) => Object.assign(new Error(`some words that may change ${Math.random()}`), { code, ...extra });

describe('classifyStatus', () => {
  it.each([
    [200, 'ok', ''],
    [401, 'unauthorized', 'server returned HTTP status 401 Unauthorized'],
    [403, 'forbidden', 'server returned HTTP status 403 Forbidden'],
    [204, 'http_error', 'server returned HTTP status 204 No Content'],
    [302, 'http_error', 'server returned HTTP status 302 Found'],
    [404, 'http_error', 'server returned HTTP status 404 Not Found'],
    [413, 'http_error', 'server returned HTTP status 413 Request Entity Too Large'],
    [503, 'http_error', 'server returned HTTP status 503 Service Unavailable'],
    [599, 'http_error', 'server returned HTTP status 599'],
  ])('classifies status %i as "%s"', (code, result, message) => {
    expect(classifyStatus(code)).toEqual({ result, message });
  });

  it("uses Go's status text where Node's differs", () => {
    expect(statusLine(418)).toBe("418 I'm a teapot");
  });
});

describe('classifyError', () => {
  const cases: [string, unknown, string, string][] = [
    ['ECONNREFUSED', coded('ECONNREFUSED'), 'connection_refused', `Get "${URL_}": dial tcp 10.0.0.8:9000: connect: connection refused`],
    ['ENOTFOUND from the lookup', coded('ENOTFOUND', { syscall: 'getaddrinfo', hostname: 'app.svc' }), 'dns_error', `Get "${URL_}": dial tcp: lookup app.svc: no such host`],
    ['EAI_AGAIN from the lookup', coded('EAI_AGAIN', { phase: 'dns', hostname: 'app.svc' }), 'dns_error', `Get "${URL_}": dial tcp: lookup app.svc: server misbehaving`],
    ['ECONNRESET', coded('ECONNRESET'), 'network_error', `Get "${URL_}": read tcp 10.0.0.1:50000->10.0.0.8:9000: read: connection reset by peer`],
    ['EHOSTUNREACH', coded('EHOSTUNREACH'), 'network_error', `Get "${URL_}": dial tcp 10.0.0.8:9000: connect: no route to host`],
    ['UND_ERR_SOCKET', coded('UND_ERR_SOCKET'), 'network_error', `Get "${URL_}": EOF`],
    ['a close without a reset (node:http\'s "socket hang up")', new ProbeError(PROBE_ERROR_CODES.eof, 'EOF'), 'network_error', `Get "${URL_}": EOF`],
    ['HPE_HEADER_OVERFLOW', coded('HPE_HEADER_OVERFLOW'), 'network_error', `Get "${URL_}": net/http: server response headers exceeded the size limit; aborted`],
    ['UND_ERR_HEADERS_OVERFLOW', coded('UND_ERR_HEADERS_OVERFLOW'), 'network_error', `Get "${URL_}": net/http: server response headers exceeded the size limit; aborted`],
    ['a parser error', coded('HPE_INVALID_CONSTANT'), 'network_error', `Get "${URL_}": net/http: HTTP/1.x transport connection broken: malformed HTTP response`],
    ['our deadline', new ProbeError(PROBE_ERROR_CODES.timeout, 'x'), 'timeout', `Get "${URL_}": context deadline exceeded`],
    ['UND_ERR_HEADERS_TIMEOUT', coded('UND_ERR_HEADERS_TIMEOUT'), 'timeout', `Get "${URL_}": context deadline exceeded`],
    ['an AbortSignal.timeout reason', Object.assign(new Error('t'), { name: 'TimeoutError' }), 'timeout', `Get "${URL_}": context deadline exceeded`],
    ['UNABLE_TO_VERIFY_LEAF_SIGNATURE', coded('UNABLE_TO_VERIFY_LEAF_SIGNATURE'), 'tls_error', `Get "${URL_}": tls: failed to verify certificate: x509: certificate signed by unknown authority`],
    ['DEPTH_ZERO_SELF_SIGNED_CERT', coded('DEPTH_ZERO_SELF_SIGNED_CERT'), 'tls_error', `Get "${URL_}": tls: failed to verify certificate: x509: certificate signed by unknown authority`],
    ['SELF_SIGNED_CERT_IN_CHAIN', coded('SELF_SIGNED_CERT_IN_CHAIN'), 'tls_error', `Get "${URL_}": tls: failed to verify certificate: x509: certificate signed by unknown authority`],
    ['CERT_HAS_EXPIRED', coded('CERT_HAS_EXPIRED'), 'tls_error', `Get "${URL_}": tls: failed to verify certificate: x509: certificate has expired or is not yet valid`],
    ['ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED', coded('ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED'), 'tls_error', `Get "${URL_}": remote error: tls: certificate required`],
    ['ERR_SSL_SSLV3_ALERT_HANDSHAKE_FAILURE', coded('ERR_SSL_SSLV3_ALERT_HANDSHAKE_FAILURE'), 'tls_error', `Get "${URL_}": remote error: tls: handshake failure`],
    ['ERR_SSL_TLSV1_ALERT_UNKNOWN_CA', coded('ERR_SSL_TLSV1_ALERT_UNKNOWN_CA'), 'tls_error', `Get "${URL_}": remote error: tls: unknown certificate authority`],
    ['ERR_SSL_WRONG_VERSION_NUMBER', coded('ERR_SSL_WRONG_VERSION_NUMBER'), 'tls_error', `Get "${URL_}": http: server gave HTTP response to HTTPS client`],
    ['a credential file problem', coded(PROBE_ERROR_CODES.credentials), 'credentials_error', ''],
    ['an error undici wraps in `cause`', Object.assign(new Error('fetch failed'), { cause: coded('ECONNREFUSED') }), 'connection_refused', `Get "${URL_}": dial tcp 10.0.0.8:9000: connect: connection refused`],
    ['an AggregateError', new AggregateError([coded('ECONNREFUSED')], 'all failed'), 'connection_refused', `Get "${URL_}": dial tcp 10.0.0.8:9000: connect: connection refused`],
    ['something unknown', new Error('odd failure'), 'network_error', `Get "${URL_}": odd failure`],
  ];
  it.each(cases)('classifies %s', (_name, err, result, message) => {
    const got = classifyError(err, ctx);
    expect(got.result).toBe(result);
    if (message) expect(got.message).toBe(message);
  });

  it('writes "current time X is after Y" for an expired certificate when the dates are known', () => {
    const got = classifyError(coded('CERT_HAS_EXPIRED'), { ...ctx, nowMs: Date.UTC(2026, 0, 2), cert: { notAfterMs: Date.UTC(2026, 0, 1) } });
    expect(got.message).toBe(`Get "${URL_}": tls: failed to verify certificate: x509: certificate has expired or is not yet valid: current time 2026-01-02T00:00:00Z is after 2026-01-01T00:00:00Z`);
  });

  it.each([
    ['app.example', 'DNS:localhost, DNS:other.example', 'x509: certificate is valid for localhost, other.example, not app.example'],
    ['10.0.0.8', 'IP Address:10.0.0.9', 'x509: certificate is valid for 10.0.0.9, not 10.0.0.8'],
    ['10.0.0.8', 'DNS:localhost', "x509: cannot validate certificate for 10.0.0.8 because it doesn't contain any IP SANs"],
  ])('writes a hostname mismatch for %s against %s as Go does', (host, san, text) => {
    const got = classifyError(coded('ERR_TLS_CERT_ALTNAME_INVALID', { cert: { subjectaltname: san } }), { ...ctx, host });
    expect(got).toEqual({ result: 'tls_error', message: `Get "${URL_}": tls: failed to verify certificate: ${text}` });
  });

  it('names the proxy, not the target, when the proxy cannot be reached', () => {
    const got = classifyError(coded('ECONNREFUSED'), { ...ctx, proxy: 'proxy:3128' });
    expect(got.message).toBe(`Get "${URL_}": proxyconnect tcp: dial tcp proxy:3128: connect: connection refused`);
  });

  it('reports too many redirects as an http_error', () => {
    expect(classifyError(new ProbeError(PROBE_ERROR_CODES.tooManyRedirects, 'stopped after 10 redirects'), ctx)).toEqual({ result: 'http_error', message: `Get "${URL_}": stopped after 10 redirects` });
  });

  it('only ever returns a result of SPEC\'s enum', () => {
    for (const [, err] of cases) expect(PROBE_RESULTS).toContain(classifyError(err, ctx).result);
  });
});
