// A small HTTP GET with Prometheus's HTTP client config, for asking Prometheus itself (GET /api/v1/targets).
import { STATUS_CODES } from 'node:http';
import type { Dispatcher } from 'undici';
import type { HttpClientConfig } from '../config/schema.js';
import { resolveHeaders, resolveTlsMaterial } from '../probe/auth.js';

export interface HttpGetOptions {
  timeoutMs: number;
  /** Bodies larger than this are refused: a broken or hostile endpoint must not cost unbounded memory. */
  maxBytes: number;
  /** Replaces the connection setup (tests); its TLS and proxy settings are then the caller's. */
  dispatcher?: Dispatcher;
  /** Aborts the request early, e.g. on shutdown. */
  signal?: AbortSignal;
}

export type HttpGetOutcome = { ok: true; status: number; body: string } | { ok: false; error: string };

type ClientConfig = Partial<HttpClientConfig>;


/**
 * GETs `url` with the config's authentication, reading every credential file again (as Prometheus does, so a
 * rotated token is used at once). Never throws for the server's or the network's failure, and no error text
 * carries a credential: the URL is written without its userinfo, file problems name the file only.
 */
export async function httpGet(url: string, http: ClientConfig, options: HttpGetOptions): Promise<HttpGetOutcome> {
  const shown = redactUrl(url);
  const headers = await buildHeaders(http);
  if (!headers.ok) return { ok: false, error: headers.error };
  const tls = await buildTls(http);
  if (!tls.ok) return { ok: false, error: tls.error };

  // Loaded on first use: all of undici costs megabytes of RSS that only sidecar mode needs.
  const { Agent, interceptors, ProxyAgent, request } = await import('undici');
  let base: Dispatcher | undefined = options.dispatcher;
  if (!base) {
    const connect = tls.options;
    base = http.proxy_url
      ? new ProxyAgent({ uri: http.proxy_url.reveal(), requestTls: connect, connections: 1 })
      : new Agent({ connect, connections: 1 });
  }
  // undici's redirect handler drops Authorization when a redirect leaves the origin, as Prometheus does.
  const dispatcher = http.follow_redirects === false ? base : base.compose(interceptors.redirect({ maxRedirections: 10 }));
  const deadline = AbortSignal.timeout(options.timeoutMs);
  const signal = options.signal ? AbortSignal.any([deadline, options.signal]) : deadline;
  try {
    const response = await request(url, { method: 'GET', headers: headers.headers, dispatcher, signal });
    const body = await readCapped(response.body, options.maxBytes);
    if (body === undefined) return { ok: false, error: `Get "${shown}": response body larger than ${options.maxBytes} bytes` };
    return { ok: true, status: response.statusCode, body };
  } catch (err) {
    if (deadline.aborted) return { ok: false, error: `Get "${shown}": context deadline exceeded` };
    if (signal.aborted) return { ok: false, error: `Get "${shown}": context canceled` };
    return { ok: false, error: `Get "${shown}": ${describeError(err)}` };
  } finally {
    if (!options.dispatcher) await base.destroy().catch(() => undefined);
  }
}

/** "server returned HTTP status 401 Unauthorized", as Prometheus writes it. */
export function statusError(status: number): string {
  return `server returned HTTP status ${status} ${STATUS_CODES[status] ?? ''}`.trimEnd();
}

export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    parsed.username = '';
    parsed.password = '';
    return parsed.href;
  } catch {
    return '<invalid URL>';
  }
}

type Headers = { ok: true; headers: Record<string, string> } | { ok: false; error: string };

/** The job's headers and authentication, through the same resolver the probes use (files re-read, trimmed). */
async function buildHeaders(http: ClientConfig): Promise<Headers> {
  const resolved = await resolveHeaders(http);
  if (!resolved.ok) return { ok: false, error: resolved.message };
  const headers: Record<string, string> = { accept: 'application/json' };
  for (const { name, value } of resolved.value) {
    const key = name.toLowerCase();
    headers[key] = headers[key] !== undefined && key !== 'authorization' ? `${headers[key]}, ${value}` : value;
  }
  return { ok: true, headers };
}

type TlsOutcome = { ok: true; options: Record<string, unknown> } | { ok: false; error: string };

async function buildTls(http: ClientConfig): Promise<TlsOutcome> {
  const tls = http.tls_config;
  if (!tls) return { ok: true, options: {} };
  const material = await resolveTlsMaterial(http, true);
  if (!material.ok) return { ok: false, error: material.message };
  const options: Record<string, unknown> = { ...material.value, rejectUnauthorized: !tls.insecure_skip_verify };
  if (tls.server_name !== undefined) options['servername'] = tls.server_name;
  return { ok: true, options };
}

async function readCapped(body: AsyncIterable<Buffer> & { destroy(): unknown }, maxBytes: number): Promise<string | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += chunk.length;
    if (size > maxBytes) {
      body.destroy();
      return undefined;
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function describeError(err: unknown): string {
  const cause = (err as { cause?: unknown }).cause;
  const inner = (cause ?? err) as NodeJS.ErrnoException;
  if (inner.code === 'ECONNREFUSED') return 'connect: connection refused';
  if (inner.code === 'ENOTFOUND') return 'no such host';
  return inner.code ? `${inner.code}: ${inner.message}` : String(inner.message ?? err);
}
