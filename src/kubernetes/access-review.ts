// Asks the API server one question with a SelfSubjectAccessReview: may this pod's service account do X?
import { request, type Dispatcher } from 'undici';
import { z } from 'zod';
import type { RbacCheck } from '../config/schema.js';

export const ACCESS_REVIEW_PATH = '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews';

/** An answer is a few hundred bytes; anything past this is not an answer worth reading. */
export const MAX_REVIEW_BODY_BYTES = 64 * 1024;

export type ReviewResult =
  | { ok: true; allowed: boolean; reason: string | undefined }
  | { ok: false; error: string };

export interface ReviewRequest {
  /** The API server's base URL, e.g. https://10.96.0.1:443. */
  apiUrl: string;
  token: string;
  dispatcher: Dispatcher;
  timeoutMs: number;
  /** Aborts the review when the checker stops. */
  signal?: AbortSignal;
}

/** The request body, exactly as `kubectl auth can-i` sends it. */
export function accessReviewBody(check: RbacCheck): object {
  const resourceAttributes: Record<string, string> = { verb: check.verb, resource: check.resource };
  if (check.subresource) resourceAttributes['subresource'] = check.subresource;
  if (check.group) resourceAttributes['group'] = check.group;
  if (check.namespace) resourceAttributes['namespace'] = check.namespace;
  if (check.name) resourceAttributes['name'] = check.name;
  return { apiVersion: 'authorization.k8s.io/v1', kind: 'SelfSubjectAccessReview', spec: { resourceAttributes } };
}

const reviewResponseSchema = z.object({
  kind: z.literal('SelfSubjectAccessReview'),
  status: z.object({
    allowed: z.boolean(),
    denied: z.boolean().optional(),
    reason: z.string().optional(),
    evaluationError: z.string().optional(),
  }),
});

/** Sends one review. Every failure (network, TLS, HTTP status, a body that is no review) is a result. */
export async function reviewAccess(check: RbacCheck, req: ReviewRequest): Promise<ReviewResult> {
  const timeout = AbortSignal.timeout(req.timeoutMs);
  const signal = req.signal ? AbortSignal.any([req.signal, timeout]) : timeout;
  let statusCode: number;
  let text: string;
  try {
    const response = await request(`${req.apiUrl}${ACCESS_REVIEW_PATH}`, {
      method: 'POST',
      dispatcher: req.dispatcher,
      signal,
      headers: {
        authorization: `Bearer ${req.token}`,
        'content-type': 'application/json',
        accept: 'application/json',
        'user-agent': 'scrape-auth-exporter',
      },
      body: JSON.stringify(accessReviewBody(check)),
    });
    statusCode = response.statusCode;
    text = await readCapped(response.body, MAX_REVIEW_BODY_BYTES);
  } catch (err) {
    return { ok: false, error: describeRequestError(err, timeout.aborted) };
  }
  if (statusCode !== 201 && statusCode !== 200) {
    // The API server's message is quoted, but never the token, should a proxy on the way echo it back.
    const message = req.token === '' ? apiMessage(text) : apiMessage(text).replaceAll(req.token, '<secret>');
    return { ok: false, error: `server returned HTTP status ${statusCode} ${statusText(statusCode)}${message}` };
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { ok: false, error: 'invalid response: the body is not JSON' };
  }
  const parsed = reviewResponseSchema.safeParse(json);
  if (!parsed.success) return { ok: false, error: 'invalid response: not a SelfSubjectAccessReview with status.allowed' };
  const { allowed, reason, evaluationError } = parsed.data.status;
  return { ok: true, allowed, reason: reason ?? evaluationError };
}

async function readCapped(body: Dispatcher.ResponseData['body'], cap: number): Promise<string> {
  const chunks: Buffer[] = [];
  let length = 0;
  for await (const chunk of body) {
    const buf = chunk as Buffer;
    chunks.push(buf);
    length += buf.length;
    if (length > cap) {
      body.destroy();
      break;
    }
  }
  return Buffer.concat(chunks).subarray(0, cap).toString('utf8');
}

/** The API server's own words from a Status object ("Unauthorized", "forbidden: ..."), never the body as is. */
function apiMessage(text: string): string {
  try {
    const status = JSON.parse(text) as { kind?: unknown; message?: unknown };
    if (status.kind === 'Status' && typeof status.message === 'string') return `: ${status.message.slice(0, 300)}`;
  } catch {
    // Not a Status object: the status code says enough.
  }
  return '';
}

const STATUS_TEXT: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
};

function statusText(code: number): string {
  return STATUS_TEXT[code] ?? '';
}

/** Network and TLS failures in the words Go's net/http and crypto/x509 use, as Prometheus users know them. */
export function describeRequestError(err: unknown, timedOut: boolean): string {
  if (timedOut) return 'context deadline exceeded';
  const e = err as { code?: string; name?: string; message?: string; cause?: { code?: string; message?: string } };
  const code = e.code ?? e.cause?.code;
  if (e.name === 'AbortError') return 'context canceled';
  switch (code) {
    case 'ECONNREFUSED':
      return 'connection refused';
    case 'ECONNRESET':
    case 'UND_ERR_SOCKET':
      return 'connection reset by peer';
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return 'no such host';
    case 'UND_ERR_HEADERS_TIMEOUT':
    case 'UND_ERR_BODY_TIMEOUT':
    case 'UND_ERR_CONNECT_TIMEOUT':
      return 'context deadline exceeded';
    case 'UNABLE_TO_VERIFY_LEAF_SIGNATURE':
    case 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY':
    case 'SELF_SIGNED_CERT_IN_CHAIN':
    case 'DEPTH_ZERO_SELF_SIGNED_CERT':
      return 'tls: failed to verify certificate: x509: certificate signed by unknown authority';
    case 'CERT_HAS_EXPIRED':
      return 'tls: failed to verify certificate: x509: certificate has expired or is not yet valid';
    case 'ERR_TLS_CERT_ALTNAME_INVALID':
      return 'tls: failed to verify certificate: x509: certificate is valid for other names, not this API server address';
    default:
      return code ? `request failed: ${code.toLowerCase()}` : 'request failed';
  }
}
