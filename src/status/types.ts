// What the status page and /api/v1/status show: plain data, no secrets, produced by the components.

export const PROBE_RESULTS = [
  'ok',
  'unauthorized',
  'forbidden',
  'http_error',
  'tls_error',
  'connection_refused',
  'timeout',
  'dns_error',
  'network_error',
  'invalid_response',
  'credentials_error',
] as const;

export type ProbeResultKind = (typeof PROBE_RESULTS)[number];

export interface TargetStatus {
  job: string;
  /** host:port, as Prometheus labels `instance`. */
  instance: string;
  /** The probed URL with any userinfo removed. */
  url: string;
  labels: Record<string, string>;
  /** undefined until the first probe has finished. */
  result: ProbeResultKind | undefined;
  statusCode: number | undefined;
  /** As Prometheus writes it on the Targets page, e.g. "server returned HTTP status 401 Unauthorized". */
  lastError: string | undefined;
  /** Unix milliseconds when the last probe finished. */
  lastProbeMs: number | undefined;
  durationSeconds: number | undefined;
  /** With check_unauthenticated: true when a request without credentials is refused. */
  authEnforced: boolean | undefined;
  unauthenticatedStatusCode: number | undefined;
  /** The missing permission a 403 body named, as "verb resource/subresource for user". */
  forbidden: { user: string; verb: string; resource: string; subresource: string } | undefined;
  tlsCertExpiryMs: number | undefined;
  /** The cause of the last probe's result and what to do about it; undefined until the first probe finished. */
  diagnosis?: { cause: string; summary: string; fix: string } | undefined;
}

export type CredentialType = 'jwt' | 'x509' | 'private_key' | 'opaque';

export interface CredentialFileStatus {
  path: string;
  labels: Record<string, string>;
  exists: boolean;
  readable: boolean;
  /** Why it is not readable (e.g. "permission denied", "is a FIFO"), never its content. */
  problem: string | undefined;
  sizeBytes: number | undefined;
  modifiedMs: number | undefined;
  empty: boolean | undefined;
  worldReadable: boolean | undefined;
  type: CredentialType | undefined;
  subject: string | undefined;
  issuer: string | undefined;
  expiresMs: number | undefined;
  issuedMs: number | undefined;
  /** JWT `nbf` or X.509 `notBefore`. */
  notBeforeMs?: number | undefined;
  refreshDueMs: number | undefined;
  changes: number;
  lastChangeMs: number | undefined;
  usedBy: { job: string; usage: string }[];
}

/** Read-only views the components offer to the page and the JSON API. */
export interface StatusSources {
  targets(): TargetStatus[];
  credentials(): CredentialFileStatus[];
}
