// oauth2 client credentials, as Prometheus fetches and reuses the token a job's scrapes carry.
import { createHash, createPrivateKey, randomUUID, sign, type KeyObject } from 'node:crypto';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { gunzip } from 'node:zlib';
import type { HttpClientConfig } from '../config/schema.js';
import { GRANT_TYPE_JWT_BEARER } from '../config/oauth2.js';
import { Secret } from '../config/secret.js';
import { readSecretFile } from '../credentials/read.js';
import type { ProbeResultKind } from '../status/types.js';
import { resolveTlsMaterial, type SecretReader } from './auth.js';
import { classifyError, statusLine, type ErrorContext } from './classify.js';
import { dial, type DialObservation, type DialPlan, type LookupFn, type TlsPlan } from './connect.js';
import { proxyFor, type Environment } from './proxy.js';
import type { SecureContextCache } from './tls-context.js';

export type OAuth2Config = NonNullable<HttpClientConfig['oauth2']>;

/** golang.org/x/oauth2's defaultExpiryDelta: a token is renewed this long before it expires. */
export const TOKEN_EXPIRY_DELTA_MS = 10_000;
/** golang.org/x/oauth2 reads at most 1 MiB of a token response (io.LimitReader(r.Body, 1<<20)); so do we. */
export const MAX_TOKEN_RESPONSE_BYTES = 1 << 20;
/** How much of a refusing token endpoint's answer the error quotes (Prometheus quotes it whole). */
export const MAX_TOKEN_ERROR_EXCERPT = 512;
/** Jobs whose token is kept; beyond this the least recently used is dropped (and fetched again when needed). */
export const MAX_TOKEN_SOURCES = 1024;
function withoutUserinfo(href: string): string {
  if (!URL.canParse(href)) return href.replace(/\/\/[^/@]*@/, '//');
  const u = new URL(href);
  u.username = '';
  u.password = '';
  return u.href;
}

/** golang.org/x/oauth2's expirationTime: an expires_in above int32 is clamped. */
const MAX_EXPIRES_IN_SECONDS = 2 ** 31 - 1;

export interface TokenRequestDeps {
  /** Wall clock: when a token expires. */
  now: () => number;
  /** Monotonic, for timings. */
  clock: () => number;
  lookup: LookupFn;
  tlsContexts: SecureContextCache;
  readSecret?: SecretReader | undefined;
  env: Environment;
  /** The probe's deadline and abort: a token request never outlives the probe that needs it. */
  signal: AbortSignal;
  /** The scrape's User-Agent: prometheus/common sends the token request with it. */
  userAgent: string;
  /** Called with a redacted record of each token request, for /probe?debug=true. */
  onRequest?: ((record: TokenRequestRecord) => void) | undefined;
}

export interface TokenRequestRecord {
  url: string;
  proxy?: string;
  requestHeaders: [string, string][];
  statusCode?: number;
  observe: DialObservation;
  totalMs: number;
  error?: string;
}

export type TokenOutcome =
  | {
      ok: true;
      /** The Authorization header value: "<type> <token>". */
      authorization: string;
      /** What this token costs if it leaks: the access token and the client secret, for scrubbing. */
      secrets: string[];
    }
  | { ok: false; result: ProbeResultKind; message: string; secrets: string[] };

interface Token {
  access: string;
  type: string;
  /** Unix ms; undefined when the endpoint gave no expires_in: reused until the secret or the config changes. */
  expiryMs: number | undefined;
}

interface Source {
  /** The client secret this source's token was fetched with: a changed secret file means a new source. */
  secret: string;
  token?: Token;
  /** Which way the client credentials went that worked (x/oauth2's AuthStyleCache). */
  style?: AuthStyle;
  inflight?: Inflight | undefined;
}

/** A token request under way, and the deadline of the probe that started it. */
interface Inflight {
  signal: AbortSignal;
  outcome: Promise<TokenOutcome>;
}

type AuthStyle = 'header' | 'params';

/**
 * One token source per job, as prometheus/common keeps one oauth2 round tripper per scrape pool: the token is
 * reused until it is within TOKEN_EXPIRY_DELTA_MS of its expiry, the client secret (file) is re-read on every
 * probe and a change starts over with a new token, and concurrent probes of a job share one token request.
 */
export class OAuth2Tokens {
  private readonly sources = new Map<string, Source>();

  constructor(private readonly maxSources = MAX_TOKEN_SOURCES) {}

  /** How many jobs' token sources are kept (for tests of the bound). */
  get size(): number {
    return this.sources.size;
  }

  /** The token for a job's request, fetched when there is none, it expired or the secret changed. */
  async token(jobName: string, config: OAuth2Config, deps: TokenRequestDeps): Promise<TokenOutcome> {
    // The client credential: the client secret, or with the JWT bearer grant the private key that signs the assertion.
    const jwt = config.grant_type === GRANT_TYPE_JWT_BEARER;
    let secret = (jwt ? config.client_certificate_key : config.client_secret)?.reveal() ?? '';
    const file = jwt ? config.client_certificate_key_file : config.client_secret_file;
    if (file !== undefined && file !== '') {
      const read = await (deps.readSecret ?? readSecretFile)(file);
      // prometheus/common's words (for the key too): the scrape fails before any token request.
      if (!read.ok) {
        return { ok: false, result: 'credentials_error', message: `unable to read oauth2 client secret: unable to read file ${file}: open ${file}: ${read.problem}`, secrets: [] };
      }
      secret = read.value;
    }
    const key = `${jobName}\u0000${fingerprint(config)}`;
    let source = this.sources.get(key);
    if (source && source.secret !== secret) source = undefined;
    if (!source) source = { secret };
    // Most recently used last: the first key is the one to drop when over the bound.
    this.sources.delete(key);
    this.sources.set(key, source);
    if (this.sources.size > this.maxSources) this.sources.delete(this.sources.keys().next().value!);

    // A private key is never sent: only what a request carried is scrubbed from what comes back.
    const secrets = secret === '' || jwt ? [] : [secret];
    const token = source.token;
    if (token && valid(token, deps.now())) return { ok: true, authorization: `${token.type} ${token.access}`, secrets: [...secrets, token.access] };

    const current = source;
    const tokenUrl = withoutUserinfo(config.token_url ?? '');
    const joined = current.inflight !== undefined;
    const shared = (current.inflight ??= this.start(config, secret, current, deps));
    const outcome = await raceSignal(shared.outcome, deps.signal, secrets, tokenUrl);
    // The probe that started the shared request was aborted (its deadline, its /probe client left): that says
    // nothing about this probe, which asks on its own while it still has time.
    if (joined && !outcome.ok && shared.signal.aborted && !deps.signal.aborted) {
      current.inflight ??= this.start(config, secret, current, deps);
      return raceSignal(current.inflight.outcome, deps.signal, secrets, tokenUrl);
    }
    return outcome;
  }

  private start(config: OAuth2Config, secret: string, source: Source, deps: TokenRequestDeps): Inflight {
    const inflight: Inflight = {
      signal: deps.signal,
      outcome: (config.grant_type === GRANT_TYPE_JWT_BEARER ? fetchJwtToken(config, secret, source, deps) : fetchToken(config, secret, source, deps)).finally(() => {
        if (source.inflight === inflight) source.inflight = undefined;
      }),
    };
    return inflight;
  }
}

function valid(token: Token, nowMs: number): boolean {
  return token.access !== '' && (token.expiryMs === undefined || token.expiryMs - TOKEN_EXPIRY_DELTA_MS > nowMs);
}

const fingerprints = new WeakMap<OAuth2Config, string>();

/** Identifies a job's oauth2 settings without keeping a secret in a map key (computed once per loaded config). */
function fingerprint(config: OAuth2Config): string {
  let known = fingerprints.get(config);
  if (known === undefined) {
    known = computeFingerprint(config);
    fingerprints.set(config, known);
  }
  return known;
}

function computeFingerprint(config: OAuth2Config): string {
  const text = JSON.stringify(config, function (this: Record<string, unknown>, key: string, value: unknown) {
    const raw = key === '' ? value : this[key];
    return raw instanceof Secret ? `secret:${createHash('sha256').update(raw.reveal()).digest('hex')}` : value;
  });
  return createHash('sha256').update(text).digest('hex');
}

/** A waiting probe stops at its own deadline even when the shared token request runs on. */
function raceSignal(inflight: Promise<TokenOutcome>, signal: AbortSignal, secrets: string[], tokenUrl: string): Promise<TokenOutcome> {
  const timedOut = (): TokenOutcome => {
    const verdict = classifyError(signal.reason, { url: tokenUrl, host: '', method: 'Post' });
    return { ok: false, result: verdict.result, message: `oauth2: cannot fetch token: ${verdict.message}`, secrets };
  };
  if (signal.aborted) return Promise.resolve(timedOut());
  return new Promise<TokenOutcome>((resolve) => {
    const onAbort = () => resolve(timedOut());
    signal.addEventListener('abort', onAbort, { once: true });
    void inflight.then((outcome) => {
      signal.removeEventListener('abort', onAbort);
      resolve(outcome);
    });
  });
}

/**
 * golang.org/x/oauth2/clientcredentials: POST grant_type=client_credentials (scope, endpoint_params) to token_url.
 * The client credentials go in a Basic Authorization header first; if that fails, once more in the form body
 * (x/oauth2's AuthStyleAutoDetect), and the style that worked is remembered.
 */
async function fetchToken(config: OAuth2Config, secret: string, source: Source, deps: TokenRequestDeps): Promise<TokenOutcome> {
  const clientId = config.client_id ?? '';
  const secrets = [secret, goQueryEscape(secret), encodeURIComponent(secret)].filter((s) => s !== '');
  const fail = (result: ProbeResultKind, text: string, extra: string[] = []): TokenOutcome => ({
    ok: false,
    result,
    message: `oauth2: cannot fetch token: ${text}`,
    secrets: [...secrets, ...extra],
  });

  const values = formValues(config, new Map([['grant_type', ['client_credentials']]]));
  if (typeof values === 'string') return fail('credentials_error', values);
  const url = tokenEndpoint(config);
  if (typeof url === 'string') return fail('credentials_error', url);

  const styles: AuthStyle[] = source.style ? [source.style] : ['header', 'params'];
  let outcome: Attempt | undefined;
  for (const style of styles) {
    const form = new Map(values);
    const headers: [string, string][] = [
      ['Content-Type', 'application/x-www-form-urlencoded'],
      ['User-Agent', deps.userAgent],
      // Go's Transport asks for gzip and decompresses transparently; an endpoint may rely on it.
      ['Accept-Encoding', 'gzip'],
    ];
    let basic: string | undefined;
    if (style === 'header') {
      basic = Buffer.from(`${goQueryEscape(clientId)}:${goQueryEscape(secret)}`).toString('base64');
      headers.push(['Authorization', `Basic ${basic}`]);
    } else {
      if (clientId !== '') form.set('client_id', [clientId]);
      if (secret !== '') form.set('client_secret', [secret]);
    }
    const body = encodeForm(form);
    outcome = await attemptToken(url, body, headers, config, deps, basic);
    if (outcome.ok) {
      if (styles.length > 1) source.style = style;
      break;
    }
    if (deps.signal.aborted) break;
  }
  if (!outcome!.ok) {
    const failed = outcome as Extract<Attempt, { ok: false }>;
    return fail(failed.result, failed.text, failed.extraSecrets);
  }
  const token = outcome!.token;
  // Only the request that is still current stores its token: a secret that changed meanwhile started over.
  source.token = token;
  return { ok: true, authorization: `${token.type} ${token.access}`, secrets: [...secrets.slice(0, 1), token.access] };
}

/** The form of a token request: the grant's own values, `scope`, then endpoint_params (which may not replace them). */
function formValues(config: OAuth2Config, values: Map<string, string[]>): Map<string, string[]> | string {
  if (!values.has('scope') && config.scopes && config.scopes.length > 0) values.set('scope', [config.scopes.join(' ')]);
  for (const [name, value] of Object.entries(config.endpoint_params ?? {})) {
    // Allowed for grant_type only, for interoperability with non-compliant servers (clientcredentials.go).
    if (values.has(name) && name !== 'grant_type') return `cannot overwrite parameter "${name}"`;
    values.set(name, [value]);
  }
  return values;
}

/** token_url as a request URL; userinfo in it is never printed nor sent on. */
function tokenEndpoint(config: OAuth2Config): URL | string {
  try {
    const url = new URL(config.token_url ?? '');
    url.username = '';
    url.password = '';
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error('scheme');
    return url;
  } catch {
    return `Post "${withoutUserinfo(config.token_url ?? '')}": unsupported protocol scheme`;
  }
}

const SIGNATURE_HASHES: Record<string, string> = { RS256: 'sha256', RS384: 'sha384', RS512: 'sha512' };
/** prometheus/common's JWT bearer assertion lives 10 minutes. */
const ASSERTION_LIFETIME_S = 600;

/**
 * prometheus/common's JwtGrantTypeConfig (RFC 7523): an assertion signed with the client's RSA key (iss, sub,
 * aud, jti, iat, exp, scope and the configured claims), POSTed as grant_type jwt-bearer; no client secret.
 */
async function fetchJwtToken(config: OAuth2Config, keyPem: string, source: Source, deps: TokenRequestDeps): Promise<TokenOutcome> {
  const fail = (result: ProbeResultKind, text: string, secrets: string[] = []): TokenOutcome => ({ ok: false, result, message: `oauth2: cannot fetch token: ${text}`, secrets });
  let key: KeyObject;
  try {
    key = createPrivateKey(keyPem);
  } catch {
    // golang-jwt's words.
    return fail('credentials_error', 'invalid key: Key must be a PEM encoded PKCS1 or PKCS8 key');
  }
  if (key.asymmetricKeyType !== 'rsa') return fail('credentials_error', 'key is not a valid RSA private key');
  const alg = SIGNATURE_HASHES[config.signature_algorithm ?? ''] ? config.signature_algorithm! : 'RS256';
  const nowS = Math.floor(deps.now() / 1000);
  const scopes = (config.scopes ?? []).join(' ');
  const claims = {
    iss: config.iss || config.client_id || '',
    sub: config.client_id ?? '',
    jti: randomUUID(),
    aud: config.audience || config.token_url || '',
    iat: nowS,
    exp: nowS + ASSERTION_LIFETIME_S,
    ...(scopes !== '' ? { scope: scopes } : {}),
    ...(config.claims ?? {}),
  };
  const header = { alg, ...(config.client_certificate_key_id ? { kid: config.client_certificate_key_id } : {}), typ: 'JWT' };
  const signingInput = `${Buffer.from(JSON.stringify(header)).toString('base64url')}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}`;
  const assertion = `${signingInput}.${sign(SIGNATURE_HASHES[alg]!, Buffer.from(signingInput), key).toString('base64url')}`;

  const values = formValues(config, new Map([['grant_type', [GRANT_TYPE_JWT_BEARER]], ['assertion', [assertion]], ...(scopes !== '' ? ([['scope', [scopes]]] as [string, string[]][]) : [])]));
  if (typeof values === 'string') return fail('credentials_error', values);
  const url = tokenEndpoint(config);
  if (typeof url === 'string') return fail('credentials_error', url);
  const headers: [string, string][] = [
    ['Content-Type', 'application/x-www-form-urlencoded'],
    ['User-Agent', deps.userAgent],
    ['Accept-Encoding', 'gzip'],
  ];
  // The assertion can be replayed until it expires: it is a secret like the token.
  const outcome = await attemptToken(url, encodeForm(values), headers, config, deps, undefined);
  if (!outcome.ok) return fail(outcome.result, outcome.text, [assertion, ...outcome.extraSecrets]);
  source.token = outcome.token;
  return { ok: true, authorization: `${outcome.token.type} ${outcome.token.access}`, secrets: [assertion, outcome.token.access] };
}

type Attempt = { ok: true; token: Token } | { ok: false; result: ProbeResultKind; text: string; extraSecrets: string[] };

async function attemptToken(
  url: URL,
  body: string,
  headers: [string, string][],
  config: OAuth2Config,
  deps: TokenRequestDeps,
  basic: string | undefined,
): Promise<Attempt> {
  const started = deps.clock();
  const observe: DialObservation = {};
  const extraSecrets = basic ? [basic] : [];
  const record: TokenRequestRecord = {
    url: url.href,
    requestHeaders: headers.map(([n, v]) => [n, n === 'Authorization' ? '<secret>' : v]),
    observe,
    totalMs: 0,
  };
  const finish = (attempt: Attempt, statusCode?: number): Attempt => {
    record.totalMs = deps.clock() - started;
    if (statusCode !== undefined) record.statusCode = statusCode;
    // The endpoint's answer is quoted as it came: every secret the request sent or got is in the outcome's
    // `secrets`, which the probe hands to the scrub step (scrub.ts) before any of it reaches an output.
    if (!attempt.ok) record.error = attempt.text;
    deps.onRequest?.(record);
    return attempt;
  };
  const transportError = (err: unknown, proxyLabel?: string): Attempt => {
    const ctx: ErrorContext = {
      url: url.href,
      host: config.tls_config?.server_name ?? url.hostname,
      method: 'Post',
      ...(observe.remote ? { remote: observe.remote } : {}),
      ...(observe.local ? { local: observe.local } : {}),
      ...(proxyLabel ? { proxy: proxyLabel } : {}),
      ...(observe.tls?.chain[0] ? { cert: observe.tls.chain[0] } : {}),
      nowMs: deps.now(),
    };
    const verdict = classifyError(deps.signal.aborted ? deps.signal.reason : (observe.socketError ?? err), ctx);
    return finish({ ok: false, result: verdict.result, text: verdict.message, extraSecrets });
  };

  const https = url.protocol === 'https:';
  const decision = proxyFor(url, config, deps.env);
  if (!decision.ok) return finish({ ok: false, result: 'network_error', text: `Post "${url.href}": ${decision.message}`, extraSecrets });
  const proxy = decision.plan;
  const proxyLabel = proxy ? `${proxy.host}:${proxy.port}` : undefined;
  if (proxyLabel) record.proxy = proxyLabel;
  if (proxy?.authorization) extraSecrets.push(proxy.authorization);

  let tlsPlan: TlsPlan | undefined;
  if (https || proxy?.tls) {
    const material = await resolveTlsMaterial({ tls_config: config.tls_config }, true, deps.readSecret);
    if (!material.ok) return finish({ ok: false, result: 'credentials_error', text: material.message, extraSecrets });
    const context = deps.tlsContexts.get(material.value);
    if (!context.ok) return transportError(context.error);
    const insecureSkipVerify = config.tls_config?.insecure_skip_verify ?? false;
    if (https) tlsPlan = { context: context.context, verifyName: config.tls_config?.server_name ?? url.hostname, insecureSkipVerify };
    if (proxy?.tls) proxy.tlsPlan = { context: context.context, verifyName: config.tls_config?.server_name ?? proxy.host, insecureSkipVerify };
  }

  const port = Number(url.port || (https ? 443 : 80));
  const plan: DialPlan = { host: url.hostname, port, ...(tlsPlan ? { tls: tlsPlan } : {}), ...(proxy ? { proxy } : {}), lookup: deps.lookup, signal: deps.signal, observe, clock: deps.clock };
  const wire: string[] = ['Host', url.host, ...headers.flat(), 'Content-Length', String(Buffer.byteLength(body))];
  if (proxy && !proxy.tunnel && proxy.authorization) wire.push('Proxy-Authorization', proxy.authorization);
  const path = proxy && !proxy.tunnel ? url.href : `${url.pathname}${url.search}`;

  let response: IncomingMessage;
  let req: ReturnType<typeof httpRequest> | undefined;
  try {
    response = await new Promise<IncomingMessage>((resolve, reject) => {
      req = httpRequest({
        method: 'POST',
        path,
        headers: wire,
        setHost: false,
        signal: deps.signal,
        maxHeaderSize: 64 * 1024,
        createConnection: (_opts, oncreate) => {
          dial(plan).then(
            (socket) => oncreate(null, socket),
            (err: unknown) => oncreate(err instanceof Error ? err : new Error(String(err)), undefined as never),
          );
          return undefined;
        },
      });
      req.on('error', reject);
      req.on('response', (res: IncomingMessage) => {
        res.on('error', () => undefined);
        resolve(res);
      });
      req.end(body);
    });
  } catch (err) {
    req?.destroy();
    return transportError(err, proxyLabel);
  }

  const status = response.statusCode ?? 0;
  let raw: Buffer;
  try {
    raw = await readCapped(response, MAX_TOKEN_RESPONSE_BYTES);
  } catch (err) {
    req?.destroy();
    return transportError(err, proxyLabel);
  } finally {
    req?.destroy();
  }
  if (String(response.headers['content-encoding'] ?? '').toLowerCase() === 'gzip') {
    const inflated = await gunzipCapped(raw, MAX_TOKEN_RESPONSE_BYTES);
    if (!inflated.ok) return transportError(inflated.error, proxyLabel);
    raw = inflated.data;
  }
  const contentType = String(response.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  const parsed = parseTokenResponse(raw, contentType, deps.now());
  const failureStatus = status < 200 || status > 299;
  const excerpt = () => `${statusLine(status)} Response: ${oneLine(raw)}`;
  // Whatever the endpoint answered may carry a token it issued: never quoted back.
  const issued = parsed.ok ? [parsed.token.access] : parsed.accessToken ? [parsed.accessToken] : [];
  extraSecrets.push(...issued);
  if (failureStatus || (parsed.ok ? parsed.errorCode !== '' : parsed.errorCode !== undefined && parsed.errorCode !== '')) {
    return finish({ ok: false, result: 'credentials_error', text: excerpt(), extraSecrets }, status);
  }
  if (!parsed.ok) return finish({ ok: false, result: 'credentials_error', text: `cannot parse ${parsed.what}: ${excerpt()}`, extraSecrets }, status);
  if (parsed.token.access === '') return finish({ ok: false, result: 'credentials_error', text: 'server response missing access_token', extraSecrets }, status);
  return finish({ ok: true, token: parsed.token }, status);
}

type Parsed = { ok: true; token: Token; errorCode: string } | { ok: false; what: 'json' | 'response'; errorCode?: string; accessToken?: string };

/** internal/token.go's doTokenRoundTrip: a form-encoded (or text/plain) answer, else JSON. */
export function parseTokenResponse(raw: Buffer, contentType: string, nowMs: number): Parsed {
  const text = raw.toString('utf8');
  if (contentType === 'application/x-www-form-urlencoded' || contentType === 'text/plain') {
    // Go's url.ParseQuery refuses a bad escape or a semicolon; URLSearchParams would accept both.
    if (/%(?![0-9a-fA-F]{2})/.test(text) || text.includes(';')) return { ok: false, what: 'response' };
    const values = new URLSearchParams(text);
    const expires = Number.parseInt(values.get('expires_in') ?? '', 10);
    return {
      ok: true,
      errorCode: values.get('error') ?? '',
      token: {
        access: values.get('access_token') ?? '',
        type: tokenType(values.get('token_type') ?? ''),
        expiryMs: Number.isFinite(expires) && expires !== 0 && /^[+-]?\d+$/.test(values.get('expires_in') ?? '') ? nowMs + expires * 1000 : undefined,
      },
    };
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { ok: false, what: 'json' };
  }
  if (json === null || typeof json !== 'object' || Array.isArray(json)) {
    // Go's json.Unmarshal into a struct accepts null (nothing set) and refuses other non-objects.
    if (json === null) return { ok: true, errorCode: '', token: { access: '', type: 'Bearer', expiryMs: undefined } };
    return { ok: false, what: 'json' };
  }
  const o = json as Record<string, unknown>;
  const str = (name: string): string | undefined | false => {
    const v = o[name];
    if (v === undefined || v === null) return undefined;
    return typeof v === 'string' ? v : false;
  };
  const access = str('access_token');
  const type = str('token_type');
  const errorCode = str('error');
  const expiresIn = expiresInSeconds(o['expires_in']);
  if (access === false || type === false || errorCode === false || str('refresh_token') === false || expiresIn === false) {
    return { ok: false, what: 'json', ...(typeof errorCode === 'string' ? { errorCode } : {}), ...(typeof access === 'string' ? { accessToken: access } : {}) };
  }
  return {
    ok: true,
    errorCode: errorCode ?? '',
    token: { access: access ?? '', type: tokenType(type ?? ''), expiryMs: expiresIn !== 0 ? nowMs + expiresIn * 1000 : undefined },
  };
}

/** x/oauth2's expirationTime: a number, or a numeric string (PayPal), clamped to int32; anything else is an error. */
function expiresInSeconds(value: unknown): number | false {
  if (value === undefined || value === null) return 0;
  let n: number;
  if (typeof value === 'number') n = value;
  else if (typeof value === 'string' && /^-?\d+(\.\d+)?([eE][+-]?\d+)?$/.test(value)) n = Number(value);
  else return false;
  // json.Number.Int64 refuses a fraction.
  if (!Number.isInteger(n)) return false;
  return Math.min(n, MAX_EXPIRES_IN_SECONDS);
}

/** oauth2.Token.Type(): the canonical spelling of the well-known types, Bearer when none is given. */
function tokenType(type: string): string {
  const lower = type.toLowerCase();
  if (lower === 'bearer' || type === '') return 'Bearer';
  if (lower === 'mac') return 'MAC';
  if (lower === 'basic') return 'Basic';
  return type;
}

/** url.Values.Encode: keys sorted, each key and value QueryEscape'd. */
function encodeForm(values: Map<string, string[]>): string {
  return [...values.keys()]
    .sort()
    .flatMap((k) => values.get(k)!.map((v) => `${goQueryEscape(k)}=${goQueryEscape(v)}`))
    .join('&');
}

/** Go's url.QueryEscape: unreserved characters kept, space as "+", everything else %XX. */
export function goQueryEscape(text: string): string {
  return encodeURIComponent(text)
    .replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)
    .replace(/%20/g, '+');
}

/** The answer as one line of bounded length: the error is shown on one line of the status page and the log. */
function oneLine(raw: Buffer): string {
  const cut = raw.subarray(0, MAX_TOKEN_ERROR_EXCERPT).toString('utf8');
  // eslint-disable-next-line no-control-regex
  const flat = cut.replace(/[\u0000-\u001f\u007f]+/g, ' ').trim();
  return raw.length > MAX_TOKEN_ERROR_EXCERPT ? `${flat}…` : flat;
}

/** A gzip answer, decompressed to at most `limit` bytes: a bomb ends as an unparseable answer, as in Go. */
function gunzipCapped(data: Buffer, limit: number): Promise<{ ok: true; data: Buffer } | { ok: false; error: Error }> {
  return new Promise((resolve) => {
    gunzip(data, { maxOutputLength: limit }, (err, out) => {
      if (!err) return resolve({ ok: true, data: out });
      if ((err as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE') return resolve({ ok: true, data: Buffer.alloc(0) });
      resolve({ ok: false, error: Object.assign(new Error('gzip: invalid header'), { code: 'PROBE_GZIP' }) });
    });
  });
}

async function readCapped(body: AsyncIterable<Buffer> & { destroy(): unknown }, limit: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    const room = limit - size;
    chunks.push(chunk.length > room ? chunk.subarray(0, room) : chunk);
    size += Math.min(chunk.length, room);
    if (size >= limit) break;
  }
  body.destroy();
  return Buffer.concat(chunks);
}
