import { describe, expect, it } from 'vitest';
import { CAUSES, CAUSE_MEANINGS, type Cause } from '../../src/diagnosis/causes.js';
import { diagnose, type ProbeFacts } from '../../src/diagnosis/diagnose.js';
import type { DiagnosisEvidence } from '../../src/diagnosis/evidence.js';
import { span } from '../../src/diagnosis/format.js';
import { evidence, file, jobFacts, NOW, probe, STATUS } from './evidence-fixtures.js';

const TOKEN = '/etc/prometheus/secrets/token';
const HOUR = 3600_000;
const get = (url: string, text: string) => `Get "${url}": ${text}`;
const URL_S = 'https://10.0.0.8:9000/metrics';
const URL_P = 'http://10.0.0.8:9000/metrics';

interface Case {
  name: string;
  probe: ProbeFacts;
  evidence: DiagnosisEvidence;
  cause: Cause;
  /** Texts the summary or fix must contain: the concrete evidence. */
  mentions?: string[];
}

const cases: Case[] = [
  { name: 'a 200 with metrics is ok', probe: probe(), evidence: evidence(), cause: 'ok', mentions: ['Nothing to fix'] },
  {
    name: 'ok, but served to anyone, says so in the fix',
    probe: probe({ unauthenticated: { statusCode: 200, authEnforced: false } }),
    evidence: evidence(),
    cause: 'ok',
    mentions: ['without credentials'],
  },
  {
    name: 'a missing token file named by the credentials error',
    probe: probe({ result: 'credentials_error', statusCode: 0, error: get(URL_S, `unable to read authorization credentials: unable to read file ${TOKEN}: open ${TOKEN}: no such file or directory`) }),
    evidence: evidence({ files: [file({ path: TOKEN, usage: 'bearer_token', exists: false, readable: false, problem: 'no such file or directory' })] }),
    cause: 'credential_file_missing',
    mentions: [TOKEN, 'authorization.credentials_file', '/etc/prometheus/secrets'],
  },
  {
    name: 'an unreadable password file',
    probe: probe({ result: 'credentials_error', statusCode: 0, error: get(URL_S, 'unable to read basic auth password: unable to read file /s/pw: open /s/pw: permission denied') }),
    evidence: evidence({ job: jobFacts({ authorizationType: undefined, basicAuth: true }), files: [file({ path: '/s/pw', usage: 'password', readable: false, problem: 'permission denied' })] }),
    cause: 'credential_file_unreadable',
    mentions: ['/s/pw', 'permission denied', '0640'],
  },
  {
    name: 'a FIFO where the token should be',
    probe: probe({ result: 'credentials_error', statusCode: 0, error: get(URL_S, `unable to read authorization credentials: unable to read file ${TOKEN}: open ${TOKEN}: is a FIFO, not a regular file`) }),
    evidence: evidence(),
    cause: 'credential_file_unreadable',
    mentions: [TOKEN, 'FIFO'],
  },
  {
    name: 'a missing file the watcher saw though the error names no path',
    probe: probe({ result: 'credentials_error', statusCode: 0, error: get(URL_S, 'something else') }),
    evidence: evidence({ files: [file({ path: TOKEN, usage: 'bearer_token', exists: false, readable: false })] }),
    cause: 'credential_file_missing',
    mentions: [TOKEN],
  },
  {
    name: 'a mismatched client certificate and key',
    probe: probe({ result: 'tls_error', statusCode: 0, error: get(URL_S, 'tls: key values mismatch') }),
    evidence: evidence({
      job: jobFacts({ authorizationType: undefined, clientCert: true }),
      files: [file({ path: '/c/tls.crt', usage: 'client_cert', type: 'x509' }), file({ path: '/c/tls.key', usage: 'client_key', type: 'private_key' })],
      clientCertKeyMatch: false,
    }),
    cause: 'client_cert_key_mismatch',
    mentions: ['/c/tls.crt', '/c/tls.key'],
  },
  {
    name: 'an expired client certificate',
    probe: probe({ result: 'tls_error', statusCode: 0, error: get(URL_S, 'remote error: tls: expired certificate') }),
    evidence: evidence({
      job: jobFacts({ authorizationType: undefined, clientCert: true }),
      files: [file({ path: '/c/tls.crt', usage: 'client_cert', type: 'x509', subject: 'CN=prometheus', expiresMs: NOW - 2 * HOUR - 5 * 60_000 })],
      clientCertKeyMatch: true,
    }),
    cause: 'client_cert_expired',
    mentions: ['/c/tls.crt', 'expired 2h5m ago, at 2026-11-30T07:55:00Z'],
  },
  {
    name: 'a client certificate not valid yet',
    probe: probe({ result: 'tls_error', statusCode: 0, error: get(URL_S, 'remote error: tls: bad certificate') }),
    evidence: evidence({
      job: jobFacts({ authorizationType: undefined, clientCert: true }),
      files: [file({ path: '/c/tls.crt', usage: 'client_cert', type: 'x509', notBeforeMs: NOW + HOUR, expiresMs: NOW + 100 * HOUR })],
    }),
    cause: 'client_cert_expired',
    mentions: ['not valid until 2026-11-30T11:00:00Z'],
  },
  {
    name: 'an empty token file',
    probe: STATUS.unauthorized,
    evidence: evidence({ files: [file({ path: TOKEN, usage: 'bearer_token', empty: true })] }),
    cause: 'credential_file_empty',
    mentions: [TOKEN, '401'],
  },
  {
    name: 'an expired JWT',
    probe: STATUS.unauthorized,
    evidence: evidence({ files: [file({ path: TOKEN, usage: 'bearer_token', type: 'jwt', subject: 'system:serviceaccount:monitoring:prometheus', expiresMs: NOW - (3 * HOUR + 12 * 60_000) })] }),
    cause: 'token_expired',
    mentions: [TOKEN, 'expired 3h12m ago, at 2026-11-30T06:48:00Z'],
  },
  {
    name: 'an inline expired JWT',
    probe: STATUS.unauthorized,
    evidence: evidence({ files: [], inline: [{ usage: 'bearer_token', type: 'jwt', subject: undefined, issuer: undefined, expiresMs: NOW - 60_000, notBeforeMs: undefined }] }),
    cause: 'token_expired',
    mentions: ['expired 1m ago', 'credentials_file'],
  },
  {
    name: 'a JWT before its nbf',
    probe: STATUS.unauthorized,
    evidence: evidence({ files: [file({ path: TOKEN, usage: 'bearer_token', type: 'jwt', notBeforeMs: NOW + 10 * 60_000, expiresMs: NOW + HOUR })] }),
    cause: 'token_not_yet_valid',
    mentions: [TOKEN, '10m from now', 'NTP'],
  },
  {
    name: 'a 401 to a job without credentials',
    probe: STATUS.unauthorized,
    evidence: evidence({ job: jobFacts({ authorizationType: undefined }), files: [] }),
    cause: 'no_credentials_configured',
    mentions: ['basic_auth', 'credentials_file'],
  },
  {
    name: 'a 403 to a job without credentials',
    probe: STATUS.forbidden,
    evidence: evidence({ job: jobFacts({ authorizationType: undefined }), files: [] }),
    cause: 'no_credentials_configured',
  },
  {
    name: 'a 401 to a valid-looking token',
    probe: STATUS.unauthorized,
    evidence: evidence({ files: [file({ path: TOKEN, usage: 'bearer_token', type: 'jwt', subject: 'system:serviceaccount:x:y', expiresMs: NOW + HOUR })] }),
    cause: 'credentials_rejected',
    mentions: [TOKEN, 'system:serviceaccount:x:y'],
  },
  {
    name: 'a 401 to basic auth',
    probe: STATUS.unauthorized,
    evidence: evidence({ job: jobFacts({ authorizationType: undefined, basicAuth: true }), files: [file({ path: '/s/pw', usage: 'password' })] }),
    cause: 'credentials_rejected',
    mentions: ['/s/pw', 'basic auth password'],
  },
  {
    name: 'a kubelet 403 names the permission, the kubectl command and the rule',
    probe: { ...STATUS.forbidden, forbidden: { user: 'system:serviceaccount:monitoring:prometheus', verb: 'get', resource: 'nodes', subresource: 'metrics' } },
    evidence: evidence(),
    cause: 'permission_denied',
    mentions: [
      'kubectl auth can-i get nodes/metrics --as=system:serviceaccount:monitoring:prometheus',
      '{apiGroups: [""], resources: ["nodes/metrics"], verbs: ["get"]}',
    ],
  },
  {
    name: 'a kube-rbac-proxy 403 for a URL names a nonResourceURLs rule',
    probe: { ...STATUS.forbidden, forbidden: { user: 'system:serviceaccount:monitoring:prometheus', verb: 'get', resource: '/metrics', subresource: '' } },
    evidence: evidence(),
    cause: 'permission_denied',
    mentions: ['{nonResourceURLs: ["/metrics"], verbs: ["get"]}', 'kubectl auth can-i get /metrics'],
  },
  {
    name: 'a bare 403 with a denied RBAC check names that permission',
    probe: STATUS.forbidden,
    evidence: evidence({ rbac: { serviceAccount: 'system:serviceaccount:monitoring:prometheus', denied: [{ verb: 'get', resource: 'nodes', subresource: 'proxy', group: '' }] } }),
    cause: 'permission_denied',
    mentions: ['kubectl auth can-i get nodes/proxy --as=system:serviceaccount:monitoring:prometheus', 'resources: ["nodes/proxy"]'],
  },
  {
    name: 'a bare 403 without RBAC answers still says what to check',
    probe: STATUS.forbidden,
    evidence: evidence(),
    cause: 'permission_denied',
    mentions: ['kubectl auth can-i get nodes/metrics'],
  },
  {
    name: 'a TLS 1.3 server that wants a client certificate',
    probe: probe({ result: 'tls_error', statusCode: 0, error: get(URL_S, 'remote error: tls: certificate required') }),
    evidence: evidence(),
    cause: 'client_cert_required',
    mentions: ['cert_file'],
  },
  {
    name: 'a client certificate from a CA the server does not trust',
    probe: probe({ result: 'tls_error', statusCode: 0, error: get(URL_S, 'remote error: tls: unknown certificate authority') }),
    evidence: evidence({ job: jobFacts({ authorizationType: undefined, clientCert: true }), files: [file({ path: '/c/tls.crt', usage: 'client_cert', type: 'x509', subject: 'CN=stranger', issuer: 'CN=stranger-ca', expiresMs: NOW + HOUR })] }),
    cause: 'client_cert_rejected',
    mentions: ['/c/tls.crt', 'CN=stranger-ca', 'unknown certificate authority'],
  },
  {
    name: 'an unknown server CA, with a ca_file to fix',
    probe: probe({ result: 'tls_error', statusCode: 0, error: get(URL_S, 'tls: failed to verify certificate: x509: certificate signed by unknown authority') }),
    evidence: evidence({ job: jobFacts({ caFile: '/etc/prometheus/ca.crt' }) }),
    cause: 'server_cert_untrusted',
    mentions: ['/etc/prometheus/ca.crt'],
  },
  {
    name: 'an unknown server CA without a ca_file',
    probe: probe({ result: 'tls_error', statusCode: 0, error: get(URL_S, 'tls: failed to verify certificate: x509: certificate signed by unknown authority') }),
    evidence: evidence(),
    cause: 'server_cert_untrusted',
    mentions: ['tls_config.ca_file'],
  },
  {
    name: 'an expired server certificate',
    probe: probe({
      result: 'tls_error',
      statusCode: 0,
      tlsCertExpiryMs: NOW - 26 * HOUR,
      error: get(URL_S, 'tls: failed to verify certificate: x509: certificate has expired or is not yet valid: current time 2026-11-30T10:00:00Z is after 2026-11-29T08:00:00Z'),
    }),
    evidence: evidence(),
    cause: 'server_cert_expired',
    mentions: ['expired 1d2h ago, at 2026-11-29T08:00:00Z'],
  },
  {
    name: 'a certificate for another name',
    probe: probe({ result: 'tls_error', statusCode: 0, error: get(URL_S, 'tls: failed to verify certificate: x509: certificate is valid for elsewhere.example, not localhost') }),
    evidence: evidence(),
    cause: 'server_name_mismatch',
    mentions: ['server_name', 'elsewhere.example'],
  },
  {
    name: 'a certificate without IP SANs',
    probe: probe({ result: 'tls_error', statusCode: 0, error: get(URL_S, "tls: failed to verify certificate: x509: cannot validate certificate for 10.0.0.8 because it doesn't contain any IP SANs") }),
    evidence: evidence(),
    cause: 'server_name_mismatch',
    mentions: ['server_name'],
  },
  {
    name: 'https to a plain HTTP port',
    probe: probe({ result: 'tls_error', statusCode: 0, error: get(URL_S, 'http: server gave HTTP response to HTTPS client') }),
    evidence: evidence(),
    cause: 'wrong_scheme',
    mentions: ['use http', 'scheme: http'],
  },
  {
    name: 'http to a TLS port (the port answered a handshake)',
    probe: probe({ result: 'network_error', statusCode: 0, error: get(URL_P, 'EOF') }),
    evidence: evidence({ speaksTls: true }, URL_P),
    cause: 'wrong_scheme',
    mentions: ['use https', 'scheme: https'],
  },
  {
    name: 'http to a TLS port that answered with a TLS record',
    probe: probe({ result: 'network_error', statusCode: 0, error: get(URL_P, 'net/http: HTTP/1.x transport connection broken: malformed HTTP response "\\x15\\x03\\x01\\x00\\x02\\x02"') }),
    evidence: evidence({}, URL_P),
    cause: 'wrong_scheme',
  },
  {
    name: 'a proxy asking for its own credentials (CONNECT)',
    probe: probe({ result: 'network_error', statusCode: 0, error: get(URL_S, 'Proxy Authentication Required') }),
    evidence: evidence({ job: jobFacts({ proxy: 'proxy.example:3128' }) }),
    cause: 'proxy_auth_required',
    mentions: ['proxy.example:3128', 'proxy_url'],
  },
  {
    name: 'a proxy asking for its own credentials (plain http)',
    probe: probe({ result: 'http_error', statusCode: 407, error: 'server returned HTTP status 407 Proxy Authentication Required' }),
    evidence: evidence({ job: jobFacts({ proxy: 'proxy.example:3128' }) }, URL_P),
    cause: 'proxy_auth_required',
  },
  {
    name: 'an oauth2 token endpoint that refused the client (credentials_error, as the oauth2 probe reports it)',
    probe: probe({ result: 'credentials_error', statusCode: 0, error: get(URL_S, 'oauth2: cannot fetch token: 401 Unauthorized\nResponse: {"error":"invalid_client"}') }),
    evidence: evidence({ job: jobFacts({ authorizationType: undefined, oauth2: true, oauth2TokenUrl: 'https://idp.example/token' }), files: [] }),
    cause: 'oauth2_token_error',
    mentions: ['https://idp.example/token', '401 Unauthorized'],
  },
  {
    name: 'an oauth2 token request that timed out',
    probe: probe({ result: 'timeout', statusCode: 0, error: 'oauth2: cannot fetch token: Post "https://idp.example/token": context deadline exceeded' }),
    evidence: evidence({ job: jobFacts({ authorizationType: undefined, oauth2: true, oauth2TokenUrl: 'https://idp.example/token' }), files: [] }),
    cause: 'oauth2_token_error',
  },
  {
    name: 'an oauth2 token request that failed, as a network error',
    probe: probe({ result: 'network_error', statusCode: 0, error: get(URL_S, 'oauth2: cannot fetch token: 401 Unauthorized\nResponse: {"error":"invalid_client"}') }),
    evidence: evidence({ job: jobFacts({ authorizationType: undefined, oauth2: true, oauth2TokenUrl: 'https://idp.example/token' }), files: [] }),
    cause: 'oauth2_token_error',
    mentions: ['https://idp.example/token', '401 Unauthorized', 'client_secret_file'],
  },
  {
    name: 'a login page reached by a redirect',
    probe: probe({ result: 'invalid_response', statusCode: 200, error: 'received a 200 that is not a metrics exposition', hint: { kind: 'login_page', url: 'https://sso.example/login' } }),
    evidence: evidence(),
    cause: 'login_page',
    mentions: ['https://sso.example/login', 'SSO'],
  },
  {
    name: 'a redirect to a login form not followed',
    probe: probe({ result: 'http_error', statusCode: 302, error: 'server returned HTTP status 302 Found', hint: { kind: 'login_page', url: 'https://sso.example/oauth2/sign_in' } }),
    evidence: evidence(),
    cause: 'login_page',
  },
  { name: 'refused', probe: probe({ result: 'connection_refused', statusCode: 0, error: 'x' }), evidence: evidence(), cause: 'connection_refused', mentions: ['10.0.0.8:9000'] },
  { name: 'timeout', probe: probe({ result: 'timeout', statusCode: 0, error: 'x' }), evidence: evidence(), cause: 'timeout', mentions: ['10s'] },
  { name: 'dns', probe: probe({ result: 'dns_error', statusCode: 0, error: 'x' }), evidence: evidence({}, 'http://nowhere.invalid:9/metrics'), cause: 'dns_error', mentions: ['nowhere.invalid'] },
  { name: 'a reset', probe: probe({ result: 'network_error', statusCode: 0, error: 'x' }), evidence: evidence({}, URL_P), cause: 'network_error' },
  { name: 'a 404', probe: probe({ result: 'http_error', statusCode: 404, error: 'x' }), evidence: evidence(), cause: 'http_error', mentions: ['metrics_path'] },
  { name: 'a 500', probe: probe({ result: 'http_error', statusCode: 503, error: 'x' }), evidence: evidence(), cause: 'http_error', mentions: ['503'] },
  {
    name: 'HTML that is no login form is still a page for a browser (SPEC: "HTML or a redirect to a login form")',
    probe: probe({ result: 'invalid_response', statusCode: 200, error: 'x', hint: { kind: 'login_page', url: 'http://10.0.0.8:9000/metrics', form: false } }),
    evidence: evidence({}, URL_P),
    cause: 'login_page',
    mentions: ['HTML page', 'metrics_path'],
  },
  { name: 'a 200 that is not metrics and not HTML', probe: probe({ result: 'invalid_response', statusCode: 200, error: 'x' }), evidence: evidence(), cause: 'invalid_response', mentions: ['/metrics'] },
  {
    name: 'a Node.js mTLS server dropping the connection after a handshake with a refused client certificate',
    probe: probe({ result: 'network_error', statusCode: 0, error: get(URL_S, 'EOF') }),
    evidence: evidence({ job: jobFacts({ authorizationType: undefined, clientCert: true }), files: [file({ path: '/c/tls.crt', usage: 'client_cert', type: 'x509', expiresMs: NOW + HOUR })], demandsClientCert: true }),
    cause: 'client_cert_rejected',
    mentions: ['/c/tls.crt', 'refuses clients without a certificate'],
  },
  {
    name: 'an EOF on https with a client certificate, from a server that does not insist on one',
    probe: probe({ result: 'network_error', statusCode: 0, error: get(URL_S, 'EOF') }),
    evidence: evidence({ job: jobFacts({ authorizationType: undefined, clientCert: true }), demandsClientCert: false }),
    cause: 'network_error',
  },
  { name: 'a TLS version no side shares', probe: probe({ result: 'tls_error', statusCode: 0, error: get(URL_S, 'tls: no supported versions satisfy MinVersion and MaxVersion') }), evidence: evidence(), cause: 'tls_error' },
];

describe('diagnose', () => {
  it.each(cases)('$name → $cause', ({ probe: p, evidence: e, cause, mentions }) => {
    const d = diagnose(p, e);
    expect(d.cause).toBe(cause);
    expect(d.summary.length).toBeGreaterThan(10);
    expect(d.fix.length).toBeGreaterThan(5);
    for (const m of mentions ?? []) expect(`${d.summary} ${d.fix}`).toContain(m);
  });

  it('has a scenario for every cause of the table', () => {
    const covered = new Set(cases.map((c) => c.cause));
    expect(CAUSES.filter((c) => !covered.has(c))).toEqual([]);
    expect(Object.keys(CAUSE_MEANINGS).sort()).toEqual([...CAUSES].sort());
  });
});

describe('precedence, as SPEC orders the causes', () => {
  const expiredJwt = file({ path: TOKEN, usage: 'bearer_token', type: 'jwt', expiresMs: NOW - HOUR });
  it('ok beats every piece of bad evidence (an expired token the target still accepts)', () => {
    expect(diagnose(probe(), evidence({ files: [expiredJwt], clientCertKeyMatch: false })).cause).toBe('ok');
  });
  it('a missing file beats an empty one and a mismatched pair', () => {
    const e = evidence({
      files: [file({ path: TOKEN, usage: 'bearer_token', exists: false, readable: false }), file({ path: '/p', usage: 'password', empty: true })],
      clientCertKeyMatch: false,
    });
    expect(diagnose(probe({ result: 'credentials_error', statusCode: 0, error: 'x' }), e).cause).toBe('credential_file_missing');
  });
  it('a mismatched pair beats an expired client certificate', () => {
    const e = evidence({ files: [file({ path: '/c', usage: 'client_cert', type: 'x509', expiresMs: NOW - HOUR })], clientCertKeyMatch: false, job: jobFacts({ clientCert: true }) });
    expect(diagnose(STATUS.unauthorized, e).cause).toBe('client_cert_key_mismatch');
  });
  it('an expired client certificate beats an empty token file', () => {
    const e = evidence({ files: [file({ path: '/c', usage: 'client_cert', type: 'x509', expiresMs: NOW - HOUR }), file({ path: TOKEN, usage: 'bearer_token', empty: true })], job: jobFacts({ clientCert: true }) });
    expect(diagnose(STATUS.unauthorized, e).cause).toBe('client_cert_expired');
  });
  it('an empty file beats an expired token (an empty JWT is no JWT, but the watcher may lag)', () => {
    const e = evidence({ files: [{ ...expiredJwt, empty: true }] });
    expect(diagnose(STATUS.unauthorized, e).cause).toBe('credential_file_empty');
  });
  it('an expired token is only the cause of a 401, not of a 403', () => {
    expect(diagnose(STATUS.forbidden, evidence({ files: [expiredJwt] })).cause).toBe('permission_denied');
    expect(diagnose(STATUS.unauthorized, evidence({ files: [expiredJwt] })).cause).toBe('token_expired');
  });
  it('the client certificate files of an http target are not evidence (not sent): they are left out by collectEvidence', () => {
    const e = evidence({ job: jobFacts({ authorizationType: undefined, clientCert: true }), files: [] }, URL_P);
    expect(diagnose(STATUS.unauthorized, e).cause).toBe('no_credentials_configured');
  });
  it('a header secret counts as credentials sent', () => {
    const e = evidence({ job: jobFacts({ authorizationType: undefined, headerCredentials: true }), files: [] });
    expect(diagnose(STATUS.unauthorized, e).cause).toBe('credentials_rejected');
  });
  it('a certificate-required alert with a client certificate sent is a rejection, not a requirement', () => {
    const p = probe({ result: 'tls_error', statusCode: 0, error: get(URL_S, 'remote error: tls: certificate required') });
    expect(diagnose(p, evidence({ job: jobFacts({ clientCert: true }) })).cause).toBe('client_cert_rejected');
  });
  it('the proxy 407 rule needs a 407, not any http_error', () => {
    expect(diagnose(probe({ result: 'http_error', statusCode: 400, error: 'x' }), evidence({ job: jobFacts({ proxy: 'p:1' }) })).cause).toBe('http_error');
  });
  it('speaksTls only matters for an http URL that failed', () => {
    expect(diagnose(probe({ result: 'connection_refused', statusCode: 0, error: 'x' }), evidence({ speaksTls: true }, URL_P)).cause).toBe('connection_refused');
  });
});

describe('span', () => {
  it.each([
    [0, '0s'],
    [45_000, '45s'],
    [90_000, '1m30s'],
    [3 * HOUR + 12 * 60_000 + 5_000, '3h12m'],
    [3 * HOUR, '3h'],
    [2 * 24 * HOUR + 4 * HOUR, '2d4h'],
  ])('%d ms → %s', (ms, text) => expect(span(ms)).toBe(text));
});
