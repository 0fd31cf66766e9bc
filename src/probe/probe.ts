// One probe of one target with its job's authentication: Prometheus's request on a kept or fresh connection, a verdict.
import { createGunzip, constants as zlibConstants } from 'node:zlib';
import { request as httpRequest, type ClientRequest, type IncomingMessage } from 'node:http';
import type net from 'node:net';
import type { ScrapeConfig } from '../config/schema.js';
import type { ProbeResultKind } from '../status/types.js';
import { resolveHeaders, resolveTlsMaterial, type HeaderEntry, type SecretReader } from './auth.js';
import { classifyError, classifyStatus, PROBE_ERROR_CODES, ProbeError, type ErrorContext } from './classify.js';
import { dial, systemLookup, type DialObservation, type DialPlan, type LookupFn, type ProxyPlan, type TlsPlan } from './connect.js';
import type { ResponseHint } from '../diagnosis/diagnose.js';
import { loginPageHint, loginRedirectHint } from '../diagnosis/login-page.js';
import { isDescriptorExhaustion } from '../exhaustion.js';
import { setLongTimeout } from '../timers.js';
import { checkExposition } from './exposition.js';
import { parseForbidden, validForbidden, type ForbiddenInfo } from './forbidden.js';
import { DEFAULT_MAX_CONNECTION_AGE_MS, type TargetConnections } from './keep-alive.js';
import { OAuth2Tokens, type TokenRequestRecord } from './oauth2.js';
import { proxyFor, proxyIdentity, type Environment } from './proxy.js';
import { scrubDeep, SentSecrets } from './scrub.js';
import { credentialsAllowedOnHop } from './target-policy.js';
import { SecureContextCache } from './tls-context.js';

/** Prometheus 3's Accept header for its default scrape_protocols. */
export const PROMETHEUS_ACCEPT =
  'application/openmetrics-text;version=1.0.0;escaping=allow-utf-8;q=0.5,application/openmetrics-text;version=0.0.1;q=0.4,text/plain;version=1.0.0;escaping=allow-utf-8;q=0.3,text/plain;version=0.0.4;q=0.2,*/*;q=0.1';
export const USER_AGENT = 'Prometheus/scrape-auth-exporter';
/** Enough of a body to tell a metrics exposition from a login page; the rest is never read. */
export const MAX_BODY_BYTES = 64 * 1024;
/** Go's http.Client stops after 10 redirects. */
export const MAX_REDIRECTS = 10;
/** A response head larger than this fails the probe ("server response headers exceeded the size limit"). */
const MAX_HEADER_BYTES = 64 * 1024;

export interface ProbeTarget {
  job: string;
  /** host:port, as Prometheus labels `instance`. */
  instance: string;
  /** The scrape URL, without userinfo. */
  url: string;
  labels: Record<string, string>;
}

/** The parts of a job a probe uses: its HTTP client settings and probe block. */
export type ProbeJob = Pick<ScrapeConfig, 'job_name' | 'follow_redirects' | 'probe'> & Partial<ScrapeConfig>;

export interface ProbeDeps {
  timeoutMs: number;
  /** Wall clock, for timestamps and x509 validity messages. */
  now?: () => number;
  /** Monotonic milliseconds, for durations. */
  clock?: () => number;
  lookup?: LookupFn;
  tlsContexts?: SecureContextCache;
  readSecret?: SecretReader;
  /** Record a trace of every request for /probe?debug=true. */
  trace?: boolean;
  maxBodyBytes?: number;
  /**
   * The target's kept-alive connections. Scheduled probes pass them, as Prometheus's scrape client keeps its
   * connections; without them (GET /probe, as blackbox_exporter) every request dials and closes its own.
   */
  connections?: TargetConnections;
  /** probe.max_connection_age: a kept connection older than this is replaced by a new one (full handshake). */
  maxConnectionAgeMs?: number;
  /** Aborts the probe when whoever asked for it is gone (a /probe client that hung up). */
  signal?: AbortSignal;
  /** For proxy_from_environment: HTTP_PROXY, HTTPS_PROXY, NO_PROXY (main passes process.env). */
  env?: Environment;
  /** The jobs' oauth2 tokens, kept between probes (one per component; a shared one when not given). */
  oauth2?: OAuth2Tokens;
}

export interface HopTrace {
  /** GET for the scrape request; POST for an oauth2 token request. */
  method?: string;
  url: string;
  proxy?: string;
  requestHeaders: [string, string][];
  remote?: string;
  statusCode?: number;
  responseHeaders?: [string, string][];
  tls?: DialObservation['tls'];
  timings: { dnsMs?: number; connectMs?: number; tlsMs?: number; firstByteMs?: number; totalMs: number };
  error?: string;
}

export interface AttemptResult {
  result: ProbeResultKind;
  statusCode: number;
  /** As Prometheus writes it; undefined on success. */
  error: string | undefined;
  tlsCertExpiryMs: number | undefined;
  forbidden: ForbiddenInfo | undefined;
  bodyBytesRead: number;
  /** Why a 200 is not an exposition. */
  invalidReason?: string;
  /** What the answer looked like beyond its status (a login form), for the diagnosis. */
  hint?: ResponseHint;
  /** The exporter ran out of file descriptors: the verdict says nothing about the target or its files. */
  exhausted?: boolean;
  hops: HopTrace[];
}

export interface ProbeResult extends AttemptResult {
  durationSeconds: number;
  /** Unix milliseconds when the probe finished. */
  finishedMs: number;
  /** With probe.check_unauthenticated: the same request with no credentials at all. */
  unauthenticated: { statusCode: number; authEnforced: boolean | undefined; result: ProbeResultKind; error: string | undefined } | undefined;
}

const sharedContexts = new SecureContextCache();
const sharedTokens = new OAuth2Tokens();

/** Probes `target` with `job`'s authentication. Never throws for anything the target or a file does. */
export async function probe(target: ProbeTarget, job: ProbeJob, deps: ProbeDeps): Promise<ProbeResult> {
  const clock = deps.clock ?? (() => performance.now());
  const now = deps.now ?? Date.now;
  const started = clock();
  // Every secret this probe sends, collected where it is read (auth.ts, the proxy plan).
  const sent = new SentSecrets();
  const main = await attempt(target, job, deps, true, sent);
  let unauthenticated: ProbeResult['unauthenticated'];
  if (job.probe?.check_unauthenticated) {
    const bare = await attempt(target, job, deps, false, sent);
    main.hops.push(...bare.hops);
    unauthenticated = { statusCode: bare.statusCode, authEnforced: authEnforced(bare), result: bare.result, error: bare.error };
    if (bare.exhausted) main.exhausted = true;
  }
  return finish({ ...main, durationSeconds: (clock() - started) / 1000, finishedMs: now(), unauthenticated }, sent);
}

/**
 * The one place a ProbeResult leaves the probe: every text in it that a target or proxy could have written is
 * scrubbed of what was sent, and forbidden_info is kept only when its fields are still plausible Kubernetes names.
 */
function finish(result: ProbeResult, sent: SentSecrets): ProbeResult {
  const scrubbed = scrubDeep(result, sent);
  if (scrubbed.forbidden && !validForbidden(scrubbed.forbidden)) scrubbed.forbidden = undefined;
  return scrubbed;
}

/**
 * Refused (1): a 401 or 403, or a TLS alert because no client certificate came. Served to anyone (0): a 200
 * with metrics. Anything else says nothing about enforcement.
 */
function authEnforced(bare: AttemptResult): boolean | undefined {
  if (bare.result === 'unauthorized' || bare.result === 'forbidden') return true;
  if (bare.result === 'ok') return false;
  if (bare.result === 'tls_error' && bare.error?.includes('remote error: tls:')) return true;
  return undefined;
}

/** One request chain (with redirects): authenticated, or with no credentials at all when `withCredentials` is false. */
async function attempt(target: ProbeTarget, job: ProbeJob, deps: ProbeDeps, withCredentials: boolean, sent: SentSecrets): Promise<AttemptResult> {
  const clock = deps.clock ?? (() => performance.now());
  const now = deps.now ?? Date.now;
  const read = deps.readSecret;
  const out: AttemptResult = { result: 'ok', statusCode: 0, error: undefined, tlsCertExpiryMs: undefined, forbidden: undefined, bodyBytesRead: 0, hops: [] };
  const url = stripUserinfo(target.url);

  let headers: HeaderEntry[] = [];
  if (withCredentials) {
    const resolved = await resolveHeaders(job, read, sent);
    if (!resolved.ok) return { ...out, result: 'credentials_error', error: `Get "${url}": ${resolved.message}`, exhausted: isDescriptorExhaustion(resolved.message) };
    headers = resolved.value;
  } else {
    headers = (await resolveHeaders({ http_headers: job.http_headers ?? {} }, read).then((r) => (r.ok ? r.value : []))).filter((h) => !h.credential);
  }

  const controller = new AbortController();
  // Made only when the deadline passes: an Error captures a stack trace, and almost every probe ends in time.
  const deadline = () => new ProbeError(PROBE_ERROR_CODES.timeout, 'context deadline exceeded');
  // A long timer: a timeout past 2^31-1 ms would otherwise fire after 1 ms (src/timers.ts).
  const timer = setLongTimeout(() => controller.abort(deadline()), deps.timeoutMs);
  // The caller left: stop at once, sockets and all, rather than run on to the timeout for nobody.
  const cancel = () => controller.abort(new ProbeError(PROBE_ERROR_CODES.timeout, 'context canceled'));
  if (deps.signal?.aborted) cancel();
  else deps.signal?.addEventListener('abort', cancel, { once: true });
  let current = new URL(url);
  const origin = current;
  try {
    if (withCredentials && job.oauth2) {
      // Inside the deadline: a slow token endpoint times the probe out as it would the scrape.
      const outcome = await (deps.oauth2 ?? sharedTokens).token(job.job_name, job.oauth2, {
        now,
        clock,
        lookup: deps.lookup ?? systemLookup,
        tlsContexts: deps.tlsContexts ?? sharedContexts,
        readSecret: read,
        env: deps.env ?? {},
        signal: controller.signal,
        userAgent: USER_AGENT,
        ...(deps.trace ? { onRequest: (record: TokenRequestRecord) => out.hops.push(tokenHop(record)) } : {}),
      });
      // The client secret, the JWT assertion and the access token join what this probe sent: scrubbed from every output.
      for (const secret of outcome.secrets) sent.add(secret);
      if (!outcome.ok) return { ...out, result: outcome.result, error: `Get "${url}": ${outcome.message}` };
      headers = [...headers, { name: 'Authorization', value: outcome.authorization, secret: true, credential: true }];
    }
    for (let redirects = 0; ; redirects++) {
      // Another host, or https down to http even on the same host and port: no credentials.
      const hopHeaders = credentialsAllowedOnHop(origin, current) ? headers : headers.filter((h) => !h.credential);
      let hop = await request(current, job, hopHeaders, deps, withCredentials, controller.signal, clock, sent, true);
      // Go's transport retries a request that failed on a reused connection the server had already closed, once,
      // on a fresh one; never after a timeout (that is the target's answer) and never after a response began.
      if (!hop.ok && hop.reused && hop.statusCode === undefined && !controller.signal.aborted && closedByServer(hop)) {
        hop = await request(current, job, hopHeaders, deps, withCredentials, controller.signal, clock, sent, false);
      }
      out.hops.push(hop.trace);
      if (hop.observe.tls?.earliestNotAfterMs !== undefined && out.tlsCertExpiryMs === undefined) out.tlsCertExpiryMs = hop.observe.tls.earliestNotAfterMs;
      if (!hop.ok) {
        const ctx: ErrorContext = {
          url: stripUserinfo(current.href),
          host: job.tls_config?.server_name ?? current.hostname,
          ...(hop.observe.remote ? { remote: hop.observe.remote } : {}),
          ...(hop.observe.local ? { local: hop.observe.local } : {}),
          ...(hop.proxy ? { proxy: hop.proxy } : {}),
          ...(hop.observe.tls?.chain[0] ? { cert: hop.observe.tls.chain[0] } : {}),
          nowMs: now(),
        };
        const cause = hop.observe.socketError ?? hop.error;
        const verdict = controller.signal.aborted ? classifyError(deadline(), ctx) : classifyError(cause, ctx);
        hop.trace.error = verdict.message;
        const exhausted = isDescriptorExhaustion(cause);
        return { ...out, result: verdict.result, statusCode: hop.statusCode ?? 0, error: verdict.message, bodyBytesRead: out.bodyBytesRead + hop.bodyBytes, ...(exhausted ? { exhausted } : {}) };
      }
      out.statusCode = hop.statusCode;
      out.bodyBytesRead += hop.bodyBytes;
      const location = hop.location;
      if (isRedirect(hop.statusCode) && location !== undefined && job.follow_redirects !== false) {
        if (redirects + 1 >= MAX_REDIRECTS) {
          const verdict = classifyError(new ProbeError(PROBE_ERROR_CODES.tooManyRedirects, `stopped after ${MAX_REDIRECTS} redirects`), { url: stripUserinfo(current.href), host: current.hostname });
          return { ...out, result: verdict.result, error: verdict.message };
        }
        let next: URL;
        try {
          next = new URL(location, current);
          if (next.protocol !== 'http:' && next.protocol !== 'https:') throw new Error('unsupported protocol scheme');
        } catch {
          const message = `Get "${stripUserinfo(current.href)}": failed to follow redirect: unsupported Location`;
          return { ...out, result: 'http_error', error: message };
        }
        current = next;
        continue;
      }
      if (hop.statusCode !== 200) {
        const verdict = classifyStatus(hop.statusCode);
        const forbidden = hop.statusCode === 403 && hop.body ? parseForbidden(hop.body) : undefined;
        const hint = isRedirect(hop.statusCode) ? loginRedirectHint(location, current) : undefined;
        return { ...out, result: verdict.result, error: verdict.message, forbidden, ...(hint ? { hint } : {}) };
      }
      const verdict = checkExposition(hop.contentType, hop.body ?? '', hop.truncated);
      if (!verdict.ok) {
        const hint = loginPageHint(hop.contentType, hop.body ?? '', current, current.href !== origin.href);
        return {
          ...out,
          result: 'invalid_response',
          error: `received a 200 that is not a metrics exposition: ${verdict.reason ?? 'unrecognised body'}`,
          invalidReason: verdict.reason,
          ...(hint ? { hint } : {}),
        };
      }
      return out;
    }
  } finally {
    timer.clear();
    deps.signal?.removeEventListener('abort', cancel);
  }
}

/** A token request as the debug trace shows it (its Authorization was redacted when recorded). */
function tokenHop(record: TokenRequestRecord): HopTrace {
  const o = record.observe;
  return {
    method: 'POST',
    url: stripUserinfo(record.url),
    ...(record.proxy ? { proxy: record.proxy } : {}),
    requestHeaders: record.requestHeaders,
    ...(o.remote ? { remote: o.remote } : {}),
    ...(record.statusCode !== undefined ? { statusCode: record.statusCode } : {}),
    ...(o.tls ? { tls: o.tls } : {}),
    timings: { dnsMs: o.dnsMs, connectMs: o.connectMs, tlsMs: o.tlsMs, totalMs: record.totalMs },
    ...(record.error ? { error: record.error } : {}),
  };
}

function isRedirect(code: number): boolean {
  return code === 301 || code === 302 || code === 303 || code === 307 || code === 308;
}

type HopOutcome =
  | { ok: true; statusCode: number; location?: string; contentType?: string; body?: string; truncated: boolean; bodyBytes: number; observe: DialObservation; proxy?: string; trace: HopTrace; reused: boolean }
  | { ok: false; error: unknown; statusCode?: number; bodyBytes: number; observe: DialObservation; proxy?: string; trace: HopTrace; reused: boolean };

/** Errors that mean the peer had closed the connection: what a request on a kept connection meets in a race with it. */
const CLOSED_BY_PEER = new Set(['ECONNRESET', 'EPIPE', 'ECONNABORTED', 'ERR_STREAM_DESTROYED', PROBE_ERROR_CODES.eof]);

function closedByServer(hop: HopOutcome & { ok: false }): boolean {
  const codes = [hop.observe.socketError, hop.error].map((e) => (e as { code?: string } | undefined)?.code);
  return codes.some((code) => code !== undefined && CLOSED_BY_PEER.has(code));
}

/**
 * One HTTP request. With the target's kept connections (scheduled probes) it reuses the one made for exactly this
 * origin, proxy and TLS material, and keeps it again after a response that ended within the read cap; otherwise
 * the connection is its own and closed as soon as the status and a bounded body prefix are in.
 */
async function request(
  url: URL,
  job: ProbeJob,
  headers: HeaderEntry[],
  deps: ProbeDeps,
  withClientCert: boolean,
  signal: AbortSignal,
  clock: () => number,
  sent: SentSecrets,
  reuse: boolean,
): Promise<HopOutcome> {
  const started = clock();
  const observe: DialObservation = {};
  const https = url.protocol === 'https:';
  const port = Number(url.port || (https ? 443 : 80));
  const decision = proxyFor(url, job, deps.env);
  const proxy = decision.ok ? decision.plan : undefined;
  // A proxy's 407 may quote what it got: the proxy password, CONNECT header values (the scrub adds encodings).
  if (decision.ok) for (const secret of decision.secrets) sent.add(secret);
  const pool = deps.connections;
  const maxAgeMs = deps.maxConnectionAgeMs ?? DEFAULT_MAX_CONNECTION_AGE_MS;
  let reused = false;
  const proxyLabel = proxy ? `${proxy.host}:${proxy.port}` : undefined;
  const timings = (): HopTrace['timings'] => ({ dnsMs: observe.dnsMs, connectMs: observe.connectMs, tlsMs: observe.tlsMs, totalMs: clock() - started });

  const wire: [string, string][] = [
    ['Accept', PROMETHEUS_ACCEPT],
    ['Accept-Encoding', 'gzip'],
    ['User-Agent', USER_AGENT],
    ['X-Prometheus-Scrape-Timeout-Seconds', String(deps.timeoutMs / 1000)],
  ];
  const shown: [string, string][] = [['Host', url.host], ...wire];
  for (const h of headers) {
    wire.push([h.name, h.value]);
    shown.push([h.name, h.secret ? '<secret>' : h.value]);
  }
  if (proxy && !proxy.tunnel && proxy.authorization) {
    wire.push(['Proxy-Authorization', proxy.authorization]);
    shown.push(['Proxy-Authorization', '<secret>']);
  }
  const trace: HopTrace = { url: stripUserinfo(url.href), ...(proxyLabel ? { proxy: proxyLabel } : {}), requestHeaders: deps.trace ? shown : [], timings: { totalMs: 0 } };
  const fail = (error: unknown, statusCode?: number, bodyBytes = 0): HopOutcome => {
    trace.timings = timings();
    trace.remote = observe.remote;
    if (deps.trace) trace.tls = observe.tls;
    return { ok: false, error, ...(statusCode !== undefined ? { statusCode } : {}), bodyBytes, observe, ...(proxyLabel ? { proxy: proxyLabel } : {}), trace, reused };
  };

  if (!decision.ok) return fail(new Error(decision.message));

  let tlsPlan: TlsPlan | undefined;
  let materialKey = '';
  if (https || proxy?.tls) {
    const material = await resolveTlsMaterial(job, withClientCert, deps.readSecret);
    if (!material.ok) return fail(Object.assign(new Error(material.message), { code: PROBE_ERROR_CODES.credentials }));
    const context = (deps.tlsContexts ?? sharedContexts).get(material.value);
    if (!context.ok) return fail(context.error);
    materialKey = context.key;
    const insecureSkipVerify = job.tls_config?.insecure_skip_verify ?? false;
    if (https) tlsPlan = { context: context.context, verifyName: job.tls_config?.server_name ?? url.hostname, insecureSkipVerify };
    // Go's Transport speaks TLS to an https proxy with the job's own tls_config (server_name included).
    if (proxy?.tls) proxy.tlsPlan = { context: context.context, verifyName: job.tls_config?.server_name ?? proxy.host, insecureSkipVerify };
  }

  // A kept connection is reused only for exactly what it was made for: a rotated CA, certificate or key (a new
  // material digest), another proxy or server_name means a new connection and a full handshake.
  const slot = `${withClientCert ? 'auth' : 'bare'} ${url.protocol}//${url.host}`;
  const identity = pool ? connectionIdentity(url, proxy, materialKey, tlsPlan) : '';
  const kept = pool && reuse ? pool.take(slot, identity, maxAgeMs) : undefined;
  if (kept) {
    reused = true;
    observe.established = true;
    if (kept.seen.remote !== undefined) observe.remote = kept.seen.remote;
    if (kept.seen.local !== undefined) observe.local = kept.seen.local;
    if (kept.seen.tls !== undefined) observe.tls = kept.seen.tls;
  }
  const createdMs = kept?.createdMs ?? pool?.clock() ?? 0;
  const onSocketError = (err: Error) => {
    observe.socketError ??= err;
  };

  // node:http over our own dial(): about 0.5 ms of CPU less per probe than a per-probe undici Client
  // (docs/benchmarks.md). No agent: the kept connections are ours (keep-alive.ts); without them
  // "Connection: close" is sent and the socket closed after the response.
  let req: ClientRequest | undefined;
  let socket: net.Socket | undefined;
  let release: (() => void) | undefined;
  try {
    // Through a proxy without a tunnel, the request line carries the absolute URL, as Go sends it.
    const path = proxy && !proxy.tunnel ? url.href : `${url.pathname}${url.search}`;
    const dialPlan: DialPlan = { host: url.hostname, port, ...(tlsPlan ? { tls: tlsPlan } : {}), ...(proxy ? { proxy } : {}), lookup: deps.lookup ?? systemLookup, signal, observe, clock };
    const connect = (oncreate: (err: Error | null, socket?: net.Socket) => void): net.Socket | undefined => {
      if (kept) {
        // dial() bound its error listener to the first probe's observation; this one reports to this probe's.
        kept.socket.on('error', onSocketError);
        return kept.socket;
      }
      dial(dialPlan).then(
        (s) => oncreate(null, s),
        (err: unknown) => oncreate(err instanceof Error ? err : new Error(String(err))),
      );
      return undefined;
    };
    const exchange = send(path, requestHeaders(url.host, wire, pool !== undefined), connect, signal);
    req = exchange.req;
    const freed = exchange.freed;
    release = () => {
      freed.cancel();
      kept?.socket.removeListener('error', onSocketError);
    };
    const response = await exchange.response;
    socket = response.socket ?? undefined;
    const firstByteMs = clock() - started;
    const statusCode = response.statusCode ?? 0;
    const header = (name: string) => {
      const v = response.headers[name];
      return Array.isArray(v) ? v[0] : v;
    };
    let body: string | undefined;
    let truncated = false;
    let bodyBytes = 0;
    // Only a 200 (exposition check) and a 403 (forbidden_info) need the body; on a kept connection any other
    // body is read to its end (within the cap) and dropped, as Prometheus drains it, so the connection can be reused.
    const needBody = statusCode === 200 || statusCode === 403;
    if (needBody || pool) {
      try {
        const prefix = await readPrefix(response, needBody ? header('content-encoding') : undefined, deps.maxBodyBytes ?? MAX_BODY_BYTES);
        if (needBody) body = prefix.text;
        truncated = prefix.truncated;
        bodyBytes = prefix.bytesRead;
      } catch (err) {
        return fail(signal.aborted ? signal.reason : closedEarly(err, observe), statusCode, bodyBytes);
      }
      // A body cut short at the cap ended the connection (readPrefix destroyed it); a complete one leaves it to
      // node:http, which frees it when the server allows keep-alive and closes it otherwise.
      if (pool && !truncated && socket && (await freed.settled)) {
        release();
        release = undefined;
        // As node:http's Agent does with a freed socket: drop its link to the finished request, which holds the
        // response and its headers (about 9 KiB per idle connection, 90 MB at 10,000 targets).
        (socket as net.Socket & { _httpMessage?: unknown })._httpMessage = null;
        pool.keep(slot, { socket, identity, createdMs, seen: { remote: observe.remote, local: observe.local, tls: observe.tls } }, maxAgeMs);
      }
    }
    trace.statusCode = statusCode;
    trace.timings = { ...timings(), firstByteMs };
    trace.remote = observe.remote;
    if (deps.trace) {
      trace.tls = observe.tls;
      trace.responseHeaders = responseHeaders(response.rawHeaders);
    }
    const location = header('location');
    const contentType = header('content-type');
    return {
      ok: true,
      statusCode,
      ...(location !== undefined ? { location } : {}),
      ...(contentType !== undefined ? { contentType } : {}),
      ...(body !== undefined ? { body } : {}),
      truncated,
      bodyBytes,
      observe,
      ...(proxyLabel ? { proxy: proxyLabel } : {}),
      trace,
      reused,
    };
  } catch (err) {
    return fail(closedEarly(err, observe));
  } finally {
    release?.();
    // A connection not kept above is dropped here: an endless body, a timeout or an error stops it. A kept one
    // was freed by node:http already, and destroying its finished request leaves the socket alone.
    req?.destroy();
  }
}

/** Request headers for node:http: Host first, repeated names as one array, "Connection: keep-alive" when kept. */
function requestHeaders(host: string, wire: [string, string][], keepAlive: boolean): Record<string, string | string[]> {
  // node:http decides keep-alive from an explicit Connection header only when headers come as an object.
  const out: Record<string, string | string[]> = { Host: host };
  const names = new Map<string, string>([['host', 'Host']]);
  for (const [name, value] of wire) {
    const lower = name.toLowerCase();
    const existing = names.get(lower);
    if (existing === undefined) {
      names.set(lower, name);
      out[name] = value;
      continue;
    }
    const current = out[existing]!;
    out[existing] = Array.isArray(current) ? [...current, value] : [current, value];
  }
  if (keepAlive && !names.has('connection')) out['Connection'] = 'keep-alive';
  return out;
}

/** What a kept connection proves. No secret is in it: the material is a digest and proxyIdentity hashes the proxy's. */
function connectionIdentity(url: URL, proxy: ProxyPlan | undefined, materialKey: string, tlsPlan: TlsPlan | undefined): string {
  return `${url.protocol}//${url.host}\u0000${materialKey}\u0000${tlsPlan ? `${tlsPlan.verifyName}\u0000${tlsPlan.insecureSkipVerify}` : '-'}\u0000${proxyIdentity(proxy)}`;
}

interface Freed {
  /** True once node:http freed the socket for another request (a clean keep-alive end), false if it closed first. */
  settled: Promise<boolean>;
  cancel(): void;
}

/** Sends one GET; resolves with the response head. `connect` hands over a kept socket or dials a new one. */
function send(
  path: string,
  headers: Record<string, string | string[]>,
  connect: (oncreate: (err: Error | null, socket?: net.Socket) => void) => net.Socket | undefined,
  signal: AbortSignal,
): { req: ClientRequest; response: Promise<IncomingMessage>; freed: Freed } {
  let req!: ClientRequest;
  let resolveSettled: (free: boolean) => void = () => undefined;
  let detach: () => void = () => undefined;
  // A timeout while waiting for the free: the connection is not kept (the finally block destroys it).
  const onAbort = () => freed.cancel();
  const settle = (free: boolean) => {
    signal.removeEventListener('abort', onAbort);
    resolveSettled(free);
  };
  const freed: Freed = {
    settled: new Promise<boolean>((resolve) => (resolveSettled = resolve)),
    cancel: () => {
      detach();
      settle(false);
    },
  };
  signal.addEventListener('abort', onAbort, { once: true });
  const response = new Promise<IncomingMessage>((resolve, reject) => {
    req = httpRequest({
      method: 'GET',
      path,
      headers,
      setHost: false,
      signal,
      maxHeaderSize: MAX_HEADER_BYTES,
      createConnection: (_opts, oncreate) => connect(oncreate as (err: Error | null, socket?: net.Socket) => void),
    });
    // Listened for from the start: node:http emits "free" on the socket one tick after the response's end.
    req.once('socket', (socket: net.Socket) => {
      const onFree = () => {
        detach();
        settle(true);
      };
      const onClose = () => {
        detach();
        settle(false);
      };
      detach = () => {
        socket.removeListener('free', onFree);
        socket.removeListener('close', onClose);
      };
      socket.once('free', onFree);
      socket.once('close', onClose);
    });
    req.on('error', reject);
    req.on('response', (res: IncomingMessage) => {
      // Errors after the head are the body reader's to report.
      res.on('error', () => undefined);
      resolve(res);
    });
    req.end();
  });
  return { req, response, freed };
}

/**
 * node:http reports a connection the server closed without a word as ECONNRESET ("socket hang up", "aborted"),
 * while a real reset is first seen by the socket itself (observe.socketError). Go calls the former EOF. Errors
 * of the dial itself (a handshake cut short) keep their own classification, as before.
 */
function closedEarly(err: unknown, observe: DialObservation): unknown {
  const e = err as { code?: string; syscall?: string };
  if (observe.established && observe.socketError === undefined && e?.code === 'ECONNRESET' && e.syscall === undefined) {
    return new ProbeError(PROBE_ERROR_CODES.eof, 'EOF');
  }
  return err;
}

/** Response headers as undici gave them: names lowercased, repeated names together, credentials redacted. */
function responseHeaders(raw: string[]): [string, string][] {
  const byName = new Map<string, string[]>();
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i]!.toLowerCase();
    const values = byName.get(name);
    if (values) values.push(raw[i + 1]!);
    else byName.set(name, [raw[i + 1]!]);
  }
  const out: [string, string][] = [];
  for (const [name, values] of byName) {
    const secret = name === 'set-cookie' || name === 'authorization' || name === 'proxy-authorization';
    for (const value of values) out.push([name, secret ? '<secret>' : value]);
  }
  return out;
}

/** Reads at most `limit` bytes off the wire (and at most `limit` decompressed), then stops. */
async function readPrefix(body: AsyncIterable<Buffer> & { destroy(): unknown }, encoding: string | undefined, limit: number): Promise<{ text: string; truncated: boolean; bytesRead: number }> {
  const raw: Buffer[] = [];
  let bytesRead = 0;
  let truncated = false;
  for await (const chunk of body) {
    const room = limit - bytesRead;
    raw.push(chunk.length > room ? chunk.subarray(0, room) : chunk);
    bytesRead += Math.min(chunk.length, room);
    if (bytesRead >= limit) {
      truncated = true;
      break;
    }
  }
  body.destroy();
  const data = Buffer.concat(raw);
  if ((encoding ?? '').toLowerCase() !== 'gzip') return { text: data.toString('utf8'), truncated, bytesRead };
  const inflated = await gunzipPrefix(data, limit);
  return { text: inflated.text, truncated: truncated || inflated.truncated, bytesRead };
}

/** Decompresses a possibly cut gzip prefix, keeping at most `limit` bytes of output (a gzip bomb stops there). */
function gunzipPrefix(data: Buffer, limit: number): Promise<{ text: string; truncated: boolean }> {
  return new Promise((resolve) => {
    const gunzip = createGunzip({ finishFlush: zlibConstants.Z_SYNC_FLUSH });
    const out: Buffer[] = [];
    let size = 0;
    let done = false;
    const finish = (truncated: boolean) => {
      if (done) return;
      done = true;
      gunzip.destroy();
      resolve({ text: Buffer.concat(out).subarray(0, limit).toString('utf8'), truncated });
    };
    gunzip.on('data', (chunk: Buffer) => {
      out.push(chunk);
      size += chunk.length;
      if (size >= limit) finish(true);
    });
    gunzip.on('end', () => finish(false));
    // A corrupt stream is judged on what decompressed; an empty result fails the exposition check only if junk.
    gunzip.on('error', () => finish(size > 0));
    gunzip.end(data);
  });
}

/** A URL as it may be printed: never with userinfo. */
export function stripUserinfo(href: string): string {
  try {
    const u = new URL(href);
    if (!u.username && !u.password) return href;
    u.username = '';
    u.password = '';
    return u.href;
  } catch {
    return href.replace(/\/\/[^/@]*@/, '//');
  }
}
