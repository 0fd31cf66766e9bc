// A StatusSources stub with a target in every result state and credential files in every condition.
import { PROBE_RESULTS, type CredentialFileStatus, type ProbeResultKind, type StatusSources, type TargetStatus } from '../../../src/status/types.js';

/** Must never appear on the page or in the API, whatever the producers hand over. */
export const CANARY = 'canary-s3cr3t-7f3a9';
export const XSS_LABEL = '<script>window.__pwned=1</script><img src=x onerror="window.__pwned=2">';

const ERRORS: Record<ProbeResultKind, string | undefined> = {
  ok: undefined,
  unauthorized: 'server returned HTTP status 401 Unauthorized',
  forbidden: 'server returned HTTP status 403 Forbidden',
  http_error: 'server returned HTTP status 500 Internal Server Error',
  tls_error: 'tls: failed to verify certificate: x509: certificate signed by unknown authority',
  connection_refused: 'dial tcp 127.0.0.1:1: connect: connection refused',
  timeout: 'context deadline exceeded',
  dns_error: 'dial tcp: lookup nowhere.invalid: no such host',
  network_error: 'read: connection reset by peer',
  invalid_response: 'received unsupported Content-Type "text/html" and body is not a metrics exposition',
  credentials_error: 'unable to read authorization credentials: open /secrets/token: no such file or directory',
};

const CODES: Record<ProbeResultKind, number> = {
  ok: 200,
  unauthorized: 401,
  forbidden: 403,
  http_error: 500,
  tls_error: 0,
  connection_refused: 0,
  timeout: 0,
  dns_error: 0,
  network_error: 0,
  invalid_response: 200,
  credentials_error: 0,
};

const CAUSES: Record<ProbeResultKind, string> = {
  ok: 'ok',
  unauthorized: 'credentials_rejected',
  forbidden: 'permission_denied',
  http_error: 'http_error',
  tls_error: 'server_cert_untrusted',
  connection_refused: 'connection_refused',
  timeout: 'timeout',
  dns_error: 'dns_error',
  network_error: 'network_error',
  invalid_response: 'login_page',
  credentials_error: 'credential_file_missing',
};

/** A diagnosis as src/diagnosis would write one for the result (texts shortened). */
export function diagnosisFor(result: ProbeResultKind): { cause: string; summary: string; fix: string } {
  const cause = CAUSES[result];
  return { cause, summary: `summary of ${cause}`, fix: cause === 'ok' ? 'Nothing to fix.' : `fix for ${cause}` };
}

export function target(result: ProbeResultKind | undefined, i: number, nowMs: number, overrides: Partial<TargetStatus> = {}): TargetStatus {
  const instance = `127.0.0.1:${9100 + i}`;
  return {
    job: i % 2 === 0 ? 'secured-app' : 'kubelet',
    instance,
    url: `https://${instance}/metrics`,
    labels: { env: 'test' },
    result,
    statusCode: result ? CODES[result] : undefined,
    lastError: result ? ERRORS[result] : undefined,
    lastProbeMs: result ? nowMs - 12_000 : undefined,
    durationSeconds: result ? 0.042 : undefined,
    authEnforced: result === 'ok' ? true : undefined,
    unauthenticatedStatusCode: result === 'ok' ? 401 : undefined,
    forbidden:
      result === 'forbidden' ? { user: 'system:serviceaccount:monitoring:prometheus', verb: 'get', resource: 'nodes', subresource: 'metrics' } : undefined,
    tlsCertExpiryMs: result === 'ok' ? nowMs + 10 * 86400_000 : undefined,
    diagnosis: result ? diagnosisFor(result) : undefined,
    ...overrides,
  };
}

export function credential(path: string, overrides: Partial<CredentialFileStatus> = {}): CredentialFileStatus {
  return {
    path,
    labels: {},
    exists: true,
    readable: true,
    problem: undefined,
    sizeBytes: 812,
    modifiedMs: undefined,
    empty: false,
    worldReadable: false,
    type: 'opaque',
    subject: undefined,
    issuer: undefined,
    expiresMs: undefined,
    issuedMs: undefined,
    refreshDueMs: undefined,
    changes: 0,
    lastChangeMs: undefined,
    usedBy: [],
    ...overrides,
  };
}

export function everyStateSources(nowMs: number): StatusSources {
  const targets: TargetStatus[] = PROBE_RESULTS.map((r, i) => target(r, i, nowMs));
  targets.push(target(undefined, PROBE_RESULTS.length, nowMs));
  // Producers strip userinfo; if one ever forgot, the page must not show it either.
  targets.push(
    target('unauthorized', 20, nowMs, {
      job: 'hostile',
      instance: 'evil:1',
      url: `https://admin:${CANARY}@evil:1/metrics`,
      labels: { team: XSS_LABEL },
      lastError: `Get "https://admin:${CANARY}@evil:1/metrics": server returned HTTP status 401 Unauthorized`,
      diagnosis: { cause: 'credentials_rejected', summary: `The target https://admin:${CANARY}@evil:1/metrics answered 401.`, fix: `Check https://admin:${CANARY}@evil:1.` },
    }),
  );
  const credentials: CredentialFileStatus[] = [
    credential('/var/run/secrets/kubernetes.io/serviceaccount/token', {
      type: 'jwt',
      subject: 'system:serviceaccount:monitoring:prometheus',
      issuer: 'https://kubernetes.default.svc',
      modifiedMs: nowMs - 3600_000,
      expiresMs: nowMs + 3 * 86400_000,
      issuedMs: nowMs - 3600_000,
      refreshDueMs: nowMs + 2 * 3600_000,
      changes: 4,
      lastChangeMs: nowMs - 3600_000,
      usedBy: [{ job: 'kubelet', usage: 'bearer_token' }],
    }),
    credential('/etc/prometheus/secrets/app_password', { usedBy: [{ job: 'secured-app', usage: 'password' }], modifiedMs: nowMs - 60_000, worldReadable: true }),
    credential('/etc/prometheus/secrets/expired.crt', { type: 'x509', subject: 'CN=client', issuer: 'CN=test-ca', expiresMs: nowMs - 7200_000, modifiedMs: nowMs - 86400_000 }),
    credential('/etc/prometheus/secrets/missing', { exists: false, readable: false, problem: 'no such file or directory', sizeBytes: undefined, empty: undefined, worldReadable: undefined, type: undefined }),
    credential('/etc/prometheus/secrets/unreadable', { readable: false, problem: 'permission denied', type: undefined }),
    credential('/etc/prometheus/secrets/empty', { empty: true, sizeBytes: 0 }),
    credential(`/etc/${XSS_LABEL}`, { labels: { owner: XSS_LABEL } }),
  ];
  return { targets: () => targets, credentials: () => credentials };
}
