// Turns what went wrong in a probe into SPEC's result enum and the error text Prometheus would show for it.
import { STATUS_CODES } from 'node:http';
import { isIP } from 'node:net';
import type { ProbeResultKind } from '../status/types.js';

/** What the probe knew when the error happened; every field is safe to print (URLs carry no userinfo). */
export interface ErrorContext {
  /** The requested URL, userinfo removed. */
  url: string;
  /** The host name or IP the URL names (server_name when set), as TLS verification saw it. */
  host: string;
  /** "ip:port" that was dialled, when known. */
  remote?: string;
  /** "ip:port" of our end of the connection, when known. */
  local?: string;
  /** "host:port" of the proxy when the probe goes through one. */
  proxy?: string;
  /** The peer certificate's validity and names, for x509 messages. */
  cert?: { notBeforeMs?: number; notAfterMs?: number; subjectAltName?: string; commonName?: string };
  /** Unix milliseconds at the failure, for "current time X is after Y". */
  nowMs?: number;
  /** Go's url.Error names the method: "Get" for a scrape, "Post" for an oauth2 token request. */
  method?: string;
}

export interface Classified {
  result: ProbeResultKind;
  /** As Prometheus writes it on the Targets page. */
  message: string;
}

// Go's net/http status texts where Node's differ: Prometheus prints Go's `resp.Status`.
const GO_STATUS_TEXT: Record<number, string> = {
  413: 'Request Entity Too Large',
  414: 'Request URI Too Long',
  416: 'Requested Range Not Satisfiable',
  418: "I'm a teapot",
  422: 'Unprocessable Entity',
  509: '',
};

/** "401 Unauthorized", as Go's http.Response.Status reads. */
export function statusLine(code: number): string {
  const text = GO_STATUS_TEXT[code] ?? STATUS_CODES[code] ?? '';
  return text ? `${code} ${text}` : `${code}`;
}

/** The result of a response with an HTTP status: only 200 succeeds, as in Prometheus (a 204 fails a scrape too). */
export function classifyStatus(code: number): Classified {
  if (code === 200) return { result: 'ok', message: '' };
  const message = `server returned HTTP status ${statusLine(code)}`;
  if (code === 401) return { result: 'unauthorized', message };
  if (code === 403) return { result: 'forbidden', message };
  return { result: 'http_error', message };
}

/** Errors the probe raises itself carry one of these codes. */
export const PROBE_ERROR_CODES = {
  timeout: 'PROBE_TIMEOUT',
  tooManyRedirects: 'PROBE_TOO_MANY_REDIRECTS',
  badRedirect: 'PROBE_BAD_REDIRECT',
  proxyStatus: 'PROBE_PROXY_STATUS',
  truncatedBody: 'PROBE_UNEXPECTED_EOF',
  credentials: 'PROBE_CREDENTIALS',
  /** The server closed the connection before a complete answer, without a reset. */
  eof: 'PROBE_EOF',
} as const;

/** An error the probe itself raises, with a stable code and a message that is already Go-shaped. */
export class ProbeError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'ProbeError';
  }
}

const UNKNOWN_AUTHORITY = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'CERT_UNTRUSTED',
  'CERT_CHAIN_TOO_LONG',
  'INVALID_CA',
  'CERT_REJECTED',
]);

const EXPIRED = new Set(['CERT_HAS_EXPIRED', 'CERT_NOT_YET_VALID', 'ERROR_IN_CERT_NOT_AFTER_FIELD', 'ERROR_IN_CERT_NOT_BEFORE_FIELD']);

const TIMEOUT_CODES = new Set([
  PROBE_ERROR_CODES.timeout,
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'UND_ERR_CONNECT_TIMEOUT',
  'ABORT_ERR',
  'ETIMEDOUT',
]);

const DNS_CODES: Record<string, string> = {
  ENOTFOUND: 'no such host',
  EAI_NONAME: 'no such host',
  EAI_NODATA: 'no such host',
  ENODATA: 'no such host',
  EAI_AGAIN: 'server misbehaving',
  EAI_FAIL: 'server misbehaving',
  ESERVFAIL: 'server misbehaving',
  ETIMEOUT: 'i/o timeout',
};

const CONNECT_CODES: Record<string, { result: ProbeResultKind; text: string }> = {
  ECONNREFUSED: { result: 'connection_refused', text: 'connection refused' },
  EHOSTUNREACH: { result: 'network_error', text: 'no route to host' },
  ENETUNREACH: { result: 'network_error', text: 'network is unreachable' },
  EHOSTDOWN: { result: 'network_error', text: 'host is down' },
  EADDRNOTAVAIL: { result: 'network_error', text: 'cannot assign requested address' },
};

// Go's names for TLS alerts (crypto/tls alert.go) where OpenSSL's code words differ.
const ALERT_TEXT: Record<string, string> = {
  CERTIFICATE_REQUIRED: 'certificate required',
  HANDSHAKE_FAILURE: 'handshake failure',
  BAD_CERTIFICATE: 'bad certificate',
  UNSUPPORTED_CERTIFICATE: 'unsupported certificate',
  CERTIFICATE_REVOKED: 'revoked certificate',
  CERTIFICATE_EXPIRED: 'expired certificate',
  CERTIFICATE_UNKNOWN: 'unknown certificate',
  UNKNOWN_CA: 'unknown certificate authority',
  ACCESS_DENIED: 'access denied',
  DECODE_ERROR: 'error decoding message',
  DECRYPT_ERROR: 'error decrypting message',
  PROTOCOL_VERSION: 'protocol version not supported',
  INSUFFICIENT_SECURITY: 'insufficient security level',
  INTERNAL_ERROR: 'internal error',
  ILLEGAL_PARAMETER: 'illegal parameter',
  UNRECOGNIZED_NAME: 'unrecognized name',
  NO_APPLICATION_PROTOCOL: 'no application protocol',
  UNEXPECTED_MESSAGE: 'unexpected message',
  BAD_RECORD_MAC: 'bad record MAC',
};

/** Every error in a chain: the error, its `cause`s, and the members of an AggregateError (undici wraps some). */
function chain(err: unknown): { code?: string; message?: string; name?: string; [k: string]: unknown }[] {
  const out: { code?: string; message?: string; name?: string }[] = [];
  const queue: unknown[] = [err];
  while (queue.length > 0 && out.length < 16) {
    const e = queue.shift();
    if (e === null || typeof e !== 'object') continue;
    out.push(e as { code?: string });
    const cause = (e as { cause?: unknown }).cause;
    if (cause !== undefined) queue.push(cause);
    const errors = (e as { errors?: unknown }).errors;
    if (Array.isArray(errors)) queue.push(...errors);
  }
  return out;
}

function codesOf(err: unknown): string[] {
  return chain(err)
    .map((e) => (typeof e.code === 'string' ? e.code : e.name === 'TimeoutError' ? 'ABORT_ERR' : undefined))
    .filter((c): c is string => c !== undefined);
}

/** The result and Prometheus-style message of a probe that ended without a usable HTTP response. */
export function classifyError(err: unknown, ctx: ErrorContext): Classified {
  const get = (text: string) => `${ctx.method ?? 'Get'} "${ctx.url}": ${text}`;
  const codes = codesOf(err);
  const own = chain(err).find((e) => e instanceof ProbeError) as ProbeError | undefined;
  const dial = ctx.proxy ? `proxyconnect tcp: dial tcp ${ctx.proxy}` : `dial tcp ${ctx.remote ?? hostPort(ctx.url)}`;

  if (own?.code === PROBE_ERROR_CODES.tooManyRedirects || own?.code === PROBE_ERROR_CODES.badRedirect) {
    return { result: 'http_error', message: get(own.message) };
  }
  const credentials = chain(err).find((e) => e.code === PROBE_ERROR_CODES.credentials);
  if (credentials) return { result: 'credentials_error', message: get(String(credentials.message)) };
  const proxyStatus = chain(err).find((e) => e.code === PROBE_ERROR_CODES.proxyStatus);
  if (proxyStatus) return { result: 'network_error', message: get(String(proxyStatus.message)) };
  if (own?.code === PROBE_ERROR_CODES.truncatedBody) return { result: 'network_error', message: own.message };

  for (const code of codes) {
    if (TIMEOUT_CODES.has(code)) {
      // Go's context deadline covers the whole request, whichever step it interrupts.
      return { result: 'timeout', message: get('context deadline exceeded') };
    }
    const dns = DNS_CODES[code];
    if (dns !== undefined && isLookupError(err)) {
      const host = lookupHost(err) ?? ctx.host;
      return { result: 'dns_error', message: get(`${ctx.proxy ? 'proxyconnect tcp: ' : ''}dial tcp: lookup ${host}: ${dns}`) };
    }
    const connect = CONNECT_CODES[code];
    if (connect) return { result: connect.result, message: get(`${dial}: connect: ${connect.text}`) };
    if (UNKNOWN_AUTHORITY.has(code)) return { result: 'tls_error', message: get(verifyFailed('x509: certificate signed by unknown authority')) };
    if (EXPIRED.has(code)) return { result: 'tls_error', message: get(verifyFailed(expiredText(ctx))) };
    if (code === 'ERR_TLS_CERT_ALTNAME_INVALID' || code === 'HOSTNAME_MISMATCH') {
      return { result: 'tls_error', message: get(verifyFailed(hostnameText(err, ctx))) };
    }
    if (code === 'CERT_SIGNATURE_FAILURE' || code === 'UNABLE_TO_DECRYPT_CERT_SIGNATURE') {
      return { result: 'tls_error', message: get(verifyFailed('x509: certificate signature is invalid')) };
    }
    if (code === 'CERT_REVOKED') return { result: 'tls_error', message: get(verifyFailed('x509: certificate revoked')) };
    const alert = /^ERR_SSL_(?:SSLV3|TLSV1|TLSV13)_ALERT_([A-Z0-9_]+)$/.exec(code);
    if (alert) {
      const name = alert[1]!;
      return { result: 'tls_error', message: get(`remote error: tls: ${ALERT_TEXT[name] ?? name.toLowerCase().replace(/_/g, ' ')}`) };
    }
    if (code === 'ERR_SSL_WRONG_VERSION_NUMBER' || code === 'ERR_SSL_PACKET_LENGTH_TOO_LONG' || code === 'ERR_SSL_HTTP_REQUEST') {
      // OpenSSL's reaction to a first record that is not TLS. Go's transport words it by the record header: "HTTP/"
      // is a plain HTTP server, anything else is not a TLS handshake. Without the bytes, the common case (HTTP).
      const sniffed = chain(err).find((e) => e['firstBytes'] instanceof Buffer)?.['firstBytes'] as Buffer | undefined;
      if (sniffed && sniffed.toString('latin1') !== 'HTTP/') return { result: 'tls_error', message: get('tls: first record does not look like a TLS handshake') };
      return { result: 'tls_error', message: get('http: server gave HTTP response to HTTPS client') };
    }
    if (code === 'ERR_SSL_UNSUPPORTED_PROTOCOL' || code === 'ERR_SSL_NO_PROTOCOLS_AVAILABLE' || code === 'ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION') {
      return { result: 'tls_error', message: get('tls: no supported versions satisfy MinVersion and MaxVersion') };
    }
    if (code.startsWith('ERR_SSL_') || code.startsWith('ERR_TLS_') || code === 'EPROTO' || /^(?:CERT|UNABLE_TO|X509)_/.test(code)) {
      return { result: 'tls_error', message: get(`tls: ${tlsReason(err, code)}`) };
    }
    if (code === 'ECONNRESET') {
      const conn = ctx.local && ctx.remote ? ` ${ctx.local}->${ctx.remote}` : ctx.remote ? ` ${ctx.remote}` : '';
      return { result: 'network_error', message: get(`read tcp${conn}: read: connection reset by peer`) };
    }
    if (code === 'EPIPE') return { result: 'network_error', message: get('write: broken pipe') };
    if (code === 'UND_ERR_SOCKET' || code === 'UND_ERR_CLOSED' || code === PROBE_ERROR_CODES.eof) return { result: 'network_error', message: get('EOF') };
    if (code === 'UND_ERR_HEADERS_OVERFLOW' || code === 'HPE_HEADER_OVERFLOW') {
      return { result: 'network_error', message: get('net/http: server response headers exceeded the size limit; aborted') };
    }
    if (code.startsWith('HPE_') || code === 'UND_ERR_RESPONSE_STATUS_CODE' || code === 'UND_ERR_INFO') {
      return { result: 'network_error', message: get('net/http: HTTP/1.x transport connection broken: malformed HTTP response') };
    }
  }
  return { result: 'network_error', message: get(plainMessage(err)) };
}

function verifyFailed(x509: string): string {
  // Go 1.20+ (every supported Prometheus) wraps verification errors in this prefix.
  return `tls: failed to verify certificate: ${x509}`;
}

function expiredText(ctx: ErrorContext): string {
  const base = 'x509: certificate has expired or is not yet valid';
  const { cert, nowMs } = ctx;
  if (!cert || nowMs === undefined) return base;
  if (cert.notAfterMs !== undefined && nowMs > cert.notAfterMs) {
    return `${base}: current time ${goTime(nowMs)} is after ${goTime(cert.notAfterMs)}`;
  }
  if (cert.notBeforeMs !== undefined && nowMs < cert.notBeforeMs) {
    return `${base}: current time ${goTime(nowMs)} is before ${goTime(cert.notBeforeMs)}`;
  }
  return base;
}

function goTime(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

/** Go's x509.HostnameError text: what the certificate is valid for, and the name that was asked for. */
function hostnameText(err: unknown, ctx: ErrorContext): string {
  const withCert = chain(err).find((e) => typeof e['cert'] === 'object' && e['cert'] !== null) as { cert?: { subjectaltname?: string; subject?: { CN?: string } } } | undefined;
  const san = withCert?.cert?.subjectaltname ?? ctx.cert?.subjectAltName ?? '';
  const host = ctx.host.replace(/^\[|\]$/g, '');
  const entries = san
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (isIP(host)) {
    const ips = entries.filter((e) => e.startsWith('IP Address:')).map((e) => e.slice('IP Address:'.length));
    if (ips.length === 0) return `x509: cannot validate certificate for ${host} because it doesn't contain any IP SANs`;
    return `x509: certificate is valid for ${ips.join(', ')}, not ${host}`;
  }
  const names = entries.filter((e) => e.startsWith('DNS:')).map((e) => e.slice(4));
  if (names.length === 0) {
    const cn = withCert?.cert?.subject?.CN ?? ctx.cert?.commonName;
    return cn ? 'x509: certificate relies on legacy Common Name field, use SANs instead' : `x509: certificate is not valid for any names, but wanted to match ${host}`;
  }
  return `x509: certificate is valid for ${names.join(', ')}, not ${host}`;
}

function tlsReason(err: unknown, code: string): string {
  const withReason = chain(err).find((e) => typeof e['reason'] === 'string') as { reason?: string } | undefined;
  const text = withReason?.reason ?? code.replace(/^ERR_(?:SSL|TLS)_/, '').toLowerCase().replace(/_/g, ' ');
  return text.toLowerCase();
}

function isLookupError(err: unknown): boolean {
  return chain(err).some((e) => e['syscall'] === 'getaddrinfo' || e['syscall'] === 'queryA' || e['syscall'] === 'queryAaaa' || typeof e['hostname'] === 'string' || e['phase'] === 'dns');
}

function lookupHost(err: unknown): string | undefined {
  const withHost = chain(err).find((e) => typeof e['hostname'] === 'string') as { hostname?: string } | undefined;
  return withHost?.hostname;
}

function hostPort(url: string): string {
  try {
    const u = new URL(url);
    return u.port ? u.host : `${u.host}:${u.protocol === 'https:' ? 443 : 80}`;
  } catch {
    return url;
  }
}

/** A last-resort message: the error's own words, which never hold a secret (none is in a URL or a header we print). */
function plainMessage(err: unknown): string {
  const first = chain(err)[0];
  const message = typeof first?.message === 'string' && first.message ? first.message : String(err);
  return message.split('\n')[0]!;
}
