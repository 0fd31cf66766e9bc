// The causes a target's failure is put down to: SPEC's table, in its order of precedence, with what each means.

/**
 * Every cause, in SPEC's order of precedence (the first that applies wins). `tls_error` is ours, not SPEC's: the
 * fallback for a failed handshake no more specific cause names (a TLS version no side shares, a broken key), as the
 * other probe results have theirs.
 */
export const CAUSES = [
  'ok',
  'credential_file_missing',
  'credential_file_unreadable',
  'client_cert_key_mismatch',
  'client_cert_expired',
  'credential_file_empty',
  'token_expired',
  'token_not_yet_valid',
  'no_credentials_configured',
  'credentials_rejected',
  'permission_denied',
  'client_cert_required',
  'client_cert_rejected',
  'server_cert_untrusted',
  'server_cert_expired',
  'server_name_mismatch',
  'wrong_scheme',
  'proxy_auth_required',
  'oauth2_token_error',
  'login_page',
  'connection_refused',
  'timeout',
  'dns_error',
  'network_error',
  'http_error',
  'invalid_response',
  'tls_error',
] as const;

export type Cause = (typeof CAUSES)[number];

/** One line per cause: what it means, for the page's hints, the docs and the tests that keep them in step. */
export const CAUSE_MEANINGS: Record<Cause, string> = {
  ok: 'the probe succeeded',
  credential_file_missing: 'a file the request needs does not exist',
  credential_file_unreadable: 'a file the request needs exists but cannot be read',
  client_cert_key_mismatch: 'the client certificate and key are not a pair',
  client_cert_expired: 'the client certificate is expired or not yet valid',
  credential_file_empty: 'a token or password file the request sent is empty',
  token_expired: '401 and the bearer token is a JWT past its exp',
  token_not_yet_valid: '401 and the bearer token is a JWT before its nbf',
  no_credentials_configured: '401 or 403 and the job sends no credentials',
  credentials_rejected: '401: the target does not accept the credentials sent',
  permission_denied: '403: authenticated, but not allowed',
  client_cert_required: 'the server wants a client certificate and the job sends none',
  client_cert_rejected: 'the server refused the client certificate',
  server_cert_untrusted: "the target's certificate is not signed by a CA the job trusts",
  server_cert_expired: "the target's certificate is expired or not yet valid",
  server_name_mismatch: "the target's certificate does not name the host or server_name",
  wrong_scheme: 'https to a plain HTTP port, or http to a TLS port',
  proxy_auth_required: 'the proxy answered 407',
  oauth2_token_error: 'the oauth2 token request failed',
  login_page: 'a login page instead of metrics: an SSO or auth proxy in front',
  connection_refused: 'nothing listens on the port',
  timeout: 'no answer within the probe timeout',
  dns_error: 'the host name does not resolve',
  network_error: 'the connection failed or was cut',
  http_error: 'an HTTP status other than 200, 401 or 403',
  invalid_response: 'a 200 whose body is not a metrics exposition',
  tls_error: 'the TLS handshake failed for another reason',
};

export function isCause(value: string): value is Cause {
  return (CAUSES as readonly string[]).includes(value);
}

/** What the page, the API, the metric and --diagnose show for a target: built only from facts that are not secret. */
export interface Diagnosis {
  cause: Cause;
  /** What happened, in one sentence. */
  summary: string;
  /** What to do, in one sentence, naming the concrete evidence (file path, time, permission, field to set). */
  fix: string;
}
