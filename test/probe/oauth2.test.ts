// oauth2 client credentials against a real token endpoint on 127.0.0.1 and a target that checks the issued token.
import { generateKeyPairSync, verify } from 'node:crypto';
import { rmSync, writeFileSync } from 'node:fs';
import type http from 'node:http';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { formatDebug } from '../../src/probe/debug.js';
import { goQueryEscape, MAX_TOKEN_RESPONSE_BYTES, MAX_TOKEN_SOURCES, OAuth2Tokens, parseTokenResponse, TOKEN_EXPIRY_DELTA_MS } from '../../src/probe/oauth2.js';
import { probe, type ProbeDeps, type ProbeTarget } from '../../src/probe/probe.js';
import { SecureContextCache } from '../../src/probe/tls-context.js';
import { job, makePki, METRICS_BODY, startServer, tmpDir, until, type Pki, type TestServer } from './helpers.js';
import { startRecordingProxy, type RecordingProxy } from './recording-proxy.js';

const CLIENT_ID = 'prometheus client';
const SECRET = 'canary-oauth-s3cr3t+/=&!';
const ISSUED_PREFIX = 'issued-access-token-';

interface TokenRequest {
  headers: http.IncomingHttpHeaders;
  form: URLSearchParams;
  basic?: [string, string];
}

type Mode = 'slow-once' | 'gzip' | 'gzip-bomb' | 'issue' | 'refuse' | 'garbage' | 'slow' | 'endless' | 'params-only' | 'reflect-200' | 'form' | 'no-token';

let mode: Mode = 'issue';
let expiresIn: number | undefined = 3600;
let issued = 0;
const tokenRequests: TokenRequest[] = [];
let idp: TestServer;
let tlsIdp: TestServer;
let app: TestServer;
let pki: Pki;
let dir: string;
const stalled: http.ServerResponse[] = [];

function decodeBasic(header: string | undefined): [string, string] | undefined {
  if (!header?.startsWith('Basic ')) return undefined;
  const text = Buffer.from(header.slice(6), 'base64').toString();
  const i = text.indexOf(':');
  return [decodeURIComponent(text.slice(0, i).replace(/\+/g, ' ')), decodeURIComponent(text.slice(i + 1).replace(/\+/g, ' '))];
}

/** A token endpoint whose answer each test chooses. It knows one client: CLIENT_ID with SECRET (or a rotated one). */
let acceptedSecret = SECRET;
function idpHandler(req: http.IncomingMessage, res: http.ServerResponse): void {
  let body = '';
  req.on('data', (c: Buffer) => (body += c.toString()));
  req.on('end', () => {
    const form = new URLSearchParams(body);
    const basic = decodeBasic(req.headers.authorization);
    tokenRequests.push({ headers: req.headers, form, ...(basic ? { basic } : {}) });
    const json = (status: number, value: unknown) => res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(value));
    const creds = basic ?? [form.get('client_id') ?? '', form.get('client_secret') ?? ''];
    switch (mode) {
      case 'refuse':
        // A careless endpoint that echoes what it was sent: none of it may reach an output.
        return json(401, { error: 'invalid_client', echoed_secret: creds[1], echoed_header: req.headers.authorization ?? '', note: 'line one\nline two' });
      case 'garbage':
        return void res.writeHead(200, { 'content-type': 'text/html' }).end(`<html><body>Sign in, ${creds[1]}</body></html>`);
      case 'reflect-200':
        return json(200, { error: 'invalid_scope', access_token: 'leaked-token-in-error-1234' });
      case 'gzip-bomb':
        // 64 MiB of zeros in a few dozen KiB: decompressed no further than the cap.
        return void res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip' }).end(gzipSync(Buffer.alloc(64 * MAX_TOKEN_RESPONSE_BYTES)));
      case 'no-token':
        return json(200, { token_type: 'bearer' });
      case 'slow':
        stalled.push(res);
        return;
      case 'slow-once':
        mode = 'issue';
        stalled.push(res);
        return;
      case 'endless': {
        res.writeHead(200, { 'content-type': 'application/json' });
        const chunk = `{"pad":"${'x'.repeat(64 * 1024)}`;
        let sent = 0;
        const pump = () => {
          while (sent < 4 * MAX_TOKEN_RESPONSE_BYTES && res.write(chunk)) sent += chunk.length;
          if (sent < 4 * MAX_TOKEN_RESPONSE_BYTES) res.once('drain', pump);
          else res.end();
        };
        res.on('close', () => (sent = Infinity));
        return pump();
      }
      case 'params-only':
        if (basic) return json(401, { error: 'invalid_client' });
        break;
      default:
        break;
    }
    if (creds[0] !== CLIENT_ID || creds[1] !== acceptedSecret) return json(401, { error: 'invalid_client' });
    issued++;
    const token = `${ISSUED_PREFIX}${issued}`;
    if (mode === 'gzip') {
      return void res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip' }).end(gzipSync(JSON.stringify({ access_token: token, expires_in: expiresIn })));
    }
    if (mode === 'form') {
      return void res.writeHead(200, { 'content-type': 'application/x-www-form-urlencoded' }).end(`access_token=${token}&token_type=bearer&expires_in=${expiresIn ?? ''}`);
    }
    json(200, { access_token: token, token_type: 'bearer', ...(expiresIn !== undefined ? { expires_in: expiresIn } : {}) });
  });
}

/** A target that accepts only a token the endpoint issued, and the newest one. */
function appHandler(req: http.IncomingMessage, res: http.ServerResponse): void {
  const auth = req.headers.authorization ?? '';
  if (auth.startsWith(`Bearer ${ISSUED_PREFIX}`)) return void res.writeHead(200, { 'content-type': 'text/plain' }).end(METRICS_BODY);
  res.writeHead(401, { 'content-type': 'text/plain' }).end('no token\n');
}

beforeAll(async () => {
  pki = makePki();
  dir = tmpDir('oauth2-');
  idp = await startServer(idpHandler);
  tlsIdp = await startServer(idpHandler, { cert: pki.serverCert, key: pki.serverKey });
  app = await startServer(appHandler);
});

afterAll(async () => {
  for (const res of stalled) res.destroy();
  await Promise.all([idp.close(), tlsIdp.close(), app.close()]);
  rmSync(dir, { recursive: true, force: true });
  rmSync(pki.dir, { recursive: true, force: true });
});

beforeEach(() => {
  mode = 'issue';
  expiresIn = 3600;
  acceptedSecret = SECRET;
  tokenRequests.length = 0;
});

let clockMs = Date.parse('2026-01-01T00:00:00Z');
const deps = (extra: Partial<ProbeDeps> = {}): ProbeDeps => ({ timeoutMs: 3000, tlsContexts: new SecureContextCache(), oauth2: new OAuth2Tokens(), now: () => clockMs, ...extra });
const target = (): ProbeTarget => ({ job: 'test', instance: app.address, url: `${app.origin}/metrics`, labels: {} });
const oauthJob = (oauth2: Record<string, unknown> = {}, extra: Record<string, unknown> = {}) =>
  job({ oauth2: { client_id: CLIENT_ID, client_secret: SECRET, token_url: `${idp.origin}/token`, ...oauth2 }, ...extra });

/** Everything a probe result can be turned into for a user: JSON (status API), the debug page. */
function outputs(r: Awaited<ReturnType<typeof probe>>): string {
  return `${JSON.stringify(r)}\n${formatDebug(target(), r, '')}`;
}

function expectNoSecret(text: string): void {
  for (const s of [SECRET, goQueryEscape(SECRET), encodeURIComponent(SECRET), Buffer.from(`${goQueryEscape(CLIENT_ID)}:${goQueryEscape(SECRET)}`).toString('base64')]) {
    expect(text).not.toContain(s);
  }
}

describe('oauth2 client credentials', () => {
  it('fetches a token with the client credentials, scopes and endpoint_params, and the target gets it', async () => {
    const d = deps({ trace: true });
    const r = await probe(target(), oauthJob({ scopes: ['metrics:read', 'admin'], endpoint_params: { audience: 'https://api' } }), d);
    expect(r.result).toBe('ok');
    expect(tokenRequests).toHaveLength(1);
    const t = tokenRequests[0]!;
    // x/oauth2 tries the credentials in a Basic header first, each part QueryEscape'd.
    expect(t.headers.authorization).toBe(`Basic ${Buffer.from(`${goQueryEscape(CLIENT_ID)}:${goQueryEscape(SECRET)}`).toString('base64')}`);
    expect(t.basic).toEqual([CLIENT_ID, SECRET]);
    expect(t.headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(t.headers['user-agent']).toBe('Prometheus/scrape-auth-exporter');
    expect(Object.fromEntries(t.form)).toEqual({ grant_type: 'client_credentials', scope: 'metrics:read admin', audience: 'https://api' });
    expect(app.requests.at(-1)!.headers.authorization).toMatch(new RegExp(`^Bearer ${ISSUED_PREFIX}\\d+$`));
    // The debug trace shows the token request, its credentials redacted, and never the token.
    const text = outputs(r);
    expect(text).toContain(`Request 1: POST ${idp.origin}/token`);
    expect(text).toContain('> Authorization: <secret>');
    expect(text).not.toContain(ISSUED_PREFIX);
    expectNoSecret(text);
  });

  it('reuses the token until 10 s before it expires, then fetches a new one', async () => {
    expiresIn = 60;
    const d = deps();
    const j = oauthJob();
    clockMs = Date.parse('2026-01-01T00:00:00Z');
    expect((await probe(target(), j, d)).result).toBe('ok');
    clockMs += 60_000 - TOKEN_EXPIRY_DELTA_MS - 1000;
    expect((await probe(target(), j, d)).result).toBe('ok');
    expect(tokenRequests).toHaveLength(1);
    clockMs += 2000;
    expect((await probe(target(), j, d)).result).toBe('ok');
    expect(tokenRequests).toHaveLength(2);
    const used = app.requests.slice(-3).map((x) => x.headers.authorization);
    expect(used[0]).toBe(used[1]);
    expect(used[2]).not.toBe(used[1]);
  });

  it('keeps a token without expires_in until the secret changes', async () => {
    expiresIn = undefined;
    const d = deps();
    const j = oauthJob();
    await probe(target(), j, d);
    clockMs += 365 * 86400_000;
    await probe(target(), j, d);
    expect(tokenRequests).toHaveLength(1);
  });

  it('asks for gzip as Go does and reads a gzip answer', async () => {
    mode = 'gzip';
    const r = await probe(target(), oauthJob(), deps());
    expect(r.result).toBe('ok');
    expect(tokenRequests[0]!.headers['accept-encoding']).toBe('gzip');
  });

  it('reads a form-encoded token answer too', async () => {
    mode = 'form';
    const r = await probe(target(), oauthJob(), deps());
    expect(r.result).toBe('ok');
  });

  it('re-reads client_secret_file on every probe: a rotated secret gets a new token at once', async () => {
    const file = path.join(dir, 'client-secret');
    writeFileSync(file, `${SECRET}\n`);
    const d = deps();
    const j = oauthJob({ client_secret: undefined, client_secret_file: file });
    expect((await probe(target(), j, d)).result).toBe('ok');
    expect((await probe(target(), j, d)).result).toBe('ok');
    expect(tokenRequests).toHaveLength(1);
    acceptedSecret = 'rotated-secret-2';
    writeFileSync(file, 'rotated-secret-2');
    expect((await probe(target(), j, d)).result).toBe('ok');
    expect(tokenRequests).toHaveLength(2);
    expect(tokenRequests[1]!.basic).toEqual([CLIENT_ID, 'rotated-secret-2']);
  });

  it('reports a missing client_secret_file as credentials_error in Prometheus\'s words, without asking for a token', async () => {
    const file = path.join(dir, 'absent');
    const r = await probe(target(), oauthJob({ client_secret: undefined, client_secret_file: file }), deps());
    expect(r.result).toBe('credentials_error');
    expect(r.error).toBe(`Get "${app.origin}/metrics": unable to read oauth2 client secret: unable to read file ${file}: open ${file}: no such file or directory`);
    expect(tokenRequests).toHaveLength(0);
  });

  it('shares one token request among concurrent probes of a job', async () => {
    const d = deps();
    const j = oauthJob();
    const results = await Promise.all(Array.from({ length: 8 }, () => probe(target(), j, d)));
    expect(results.map((r) => r.result)).toEqual(Array(8).fill('ok'));
    expect(tokenRequests).toHaveLength(1);
  });

  it('a probe that joined a token request whose starter gave up asks again on its own time', async () => {
    mode = 'slow-once';
    const tokens = new OAuth2Tokens();
    const j = oauthJob();
    const first = probe(target(), j, deps({ oauth2: tokens, timeoutMs: 300 }));
    await until(() => tokenRequests.length === 1);
    const second = probe(target(), j, deps({ oauth2: tokens, timeoutMs: 10_000 }));
    expect((await first).result).toBe('timeout');
    expect((await second).result).toBe('ok');
    expect(tokenRequests).toHaveLength(2);
  });

  it('keeps the tokens of a bounded number of jobs, dropping the least recently used', async () => {
    const tokens = new OAuth2Tokens(2);
    const probeJob = (name: string) => probe({ ...target(), job: name }, { ...oauthJob(), job_name: name }, deps({ oauth2: tokens }));
    await probeJob('a');
    await probeJob('b');
    await probeJob('a');
    expect(tokenRequests).toHaveLength(2);
    await probeJob('c');
    expect(tokens.size).toBe(2);
    // b was the least recently used: its token was dropped; a's was kept.
    await probeJob('a');
    expect(tokenRequests).toHaveLength(3);
    await probeJob('b');
    expect(tokenRequests).toHaveLength(4);
    expect(new OAuth2Tokens().size).toBe(0);
    expect(MAX_TOKEN_SOURCES).toBe(1024);
  });

  it('retries with the credentials in the form when the header is refused, and remembers that', async () => {
    mode = 'params-only';
    const d = deps();
    const j = oauthJob();
    expect((await probe(target(), j, d)).result).toBe('ok');
    expect(tokenRequests.map((t) => (t.basic ? 'header' : 'params'))).toEqual(['header', 'params']);
    expect(tokenRequests[1]!.form.get('client_id')).toBe(CLIENT_ID);
    expect(tokenRequests[1]!.form.get('client_secret')).toBe(SECRET);
    expiresIn = 1;
    clockMs += 3600_000;
    await probe(target(), j, d);
    expect(tokenRequests.map((t) => (t.basic ? 'header' : 'params'))).toEqual(['header', 'params', 'params']);
  });

  it('sends the token only to the target\'s own host: not on a redirect elsewhere', async () => {
    const other = await startServer((_req, res) => res.writeHead(200, { 'content-type': 'text/plain' }).end(METRICS_BODY));
    const bouncer = await startServer((_req, res) => res.writeHead(302, { location: `${other.origin}/metrics` }).end());
    try {
      const r = await probe({ ...target(), url: `${bouncer.origin}/metrics` }, oauthJob(), deps());
      expect(r.result).toBe('ok');
      expect(bouncer.requests.at(-1)!.headers.authorization).toMatch(/^Bearer /);
      expect(other.requests.at(-1)!.headers.authorization).toBeUndefined();
    } finally {
      await Promise.all([other.close(), bouncer.close()]);
    }
  });
});

describe('oauth2 token request failures are the probe\'s result', () => {
  it('a 401 from the token endpoint: credentials_error, Go\'s "cannot fetch token" text on one line, nothing echoed', async () => {
    mode = 'refuse';
    const r = await probe(target(), oauthJob(), deps({ trace: true }));
    expect(r.result).toBe('credentials_error');
    expect(r.statusCode).toBe(0);
    expect(r.error).toMatch(new RegExp(`^Get "${app.origin}/metrics": oauth2: cannot fetch token: 401 Unauthorized Response: \\{"error":"invalid_client"`));
    expect(r.error).not.toContain('\n');
    // Both auth styles were tried (header, then form), as x/oauth2 does.
    expect(tokenRequests).toHaveLength(2);
    // The target was never asked.
    expect(app.requests.filter((x) => x.headers.authorization === undefined)).toHaveLength(0);
    expectNoSecret(outputs(r));
    expect(r.error).toContain('<secret>');
  });

  it('a 200 that is not JSON: credentials_error "cannot parse json", the page quoted without the secret', async () => {
    mode = 'garbage';
    const r = await probe(target(), oauthJob(), deps());
    expect(r.result).toBe('credentials_error');
    expect(r.error).toContain('oauth2: cannot fetch token: cannot parse json: 200 OK Response: <html><body>Sign in, ');
    expectNoSecret(outputs(r));
  });

  it('a 200 carrying an error code (and a token) is refused, and the token is not quoted', async () => {
    mode = 'reflect-200';
    const r = await probe(target(), oauthJob(), deps());
    expect(r.result).toBe('credentials_error');
    expect(r.error).toContain('oauth2: cannot fetch token: 200 OK Response: {"error":"invalid_scope"');
    expect(r.error).not.toContain('leaked-token-in-error-1234');
  });

  it('a 200 without access_token', async () => {
    mode = 'no-token';
    const r = await probe(target(), oauthJob(), deps());
    expect(r.result).toBe('credentials_error');
    expect(r.error).toBe(`Get "${app.origin}/metrics": oauth2: cannot fetch token: server response missing access_token`);
  });

  it('a token endpoint that never answers: the probe times out at its deadline', async () => {
    mode = 'slow';
    const r = await probe(target(), oauthJob(), deps({ timeoutMs: 300 }));
    expect(r.result).toBe('timeout');
    expect(r.error).toBe(`Get "${app.origin}/metrics": oauth2: cannot fetch token: Post "${idp.origin}/token": context deadline exceeded`);
  });

  it(`an endless answer is read to ${MAX_TOKEN_RESPONSE_BYTES} bytes, no further`, async () => {
    mode = 'endless';
    const r = await probe(target(), oauthJob(), deps({ timeoutMs: 10_000 }));
    expect(r.result).toBe('credentials_error');
    expect(r.error).toContain('cannot parse json: 200 OK Response: {"pad":"xxx');
    // The excerpt is bounded too.
    expect(r.error!.length).toBeLessThan(1024);
  });

  it(`a gzip bomb is inflated to ${MAX_TOKEN_RESPONSE_BYTES} bytes at most and refused`, async () => {
    mode = 'gzip-bomb';
    const r = await probe(target(), oauthJob(), deps({ timeoutMs: 10_000 }));
    expect(r.result).toBe('credentials_error');
    expect(r.error).toContain('oauth2: cannot fetch token: cannot parse json: 200 OK');
  });

  it('a token endpoint nobody listens on: connection_refused, named as the token request', async () => {
    const r = await probe(target(), oauthJob({ token_url: 'http://127.0.0.1:1/token' }), deps());
    expect(r.result).toBe('connection_refused');
    expect(r.error).toBe(`Get "${app.origin}/metrics": oauth2: cannot fetch token: Post "http://127.0.0.1:1/token": dial tcp 127.0.0.1:1: connect: connection refused`);
  });

  it('a parameter that would overwrite scope is refused as x/oauth2 refuses it', async () => {
    const r = await probe(target(), oauthJob({ scopes: ['a'], endpoint_params: { scope: 'b' } }), deps());
    expect(r.result).toBe('credentials_error');
    expect(r.error).toContain('oauth2: cannot fetch token: cannot overwrite parameter "scope"');
    expect(tokenRequests).toHaveLength(0);
  });

  it('never prints user info of the token URL', async () => {
    const r = await probe(target(), oauthJob({ token_url: `http://user:${encodeURIComponent(SECRET)}@127.0.0.1:1/token` }), deps());
    expect(r.error).toContain('Post "http://127.0.0.1:1/token"');
    expectNoSecret(outputs(r));
  });
});

describe('the token request has its own TLS and proxy settings', () => {
  let proxy: RecordingProxy;
  beforeAll(async () => {
    proxy = await startRecordingProxy();
  });
  afterAll(async () => {
    await proxy.close();
  });

  it('verifies an https token endpoint against oauth2.tls_config, not the job\'s', async () => {
    const tokenUrl = `${tlsIdp.origin}/token`;
    const ok = await probe(target(), oauthJob({ token_url: tokenUrl, tls_config: { ca: pki.caCert } }), deps());
    expect(ok.result).toBe('ok');
    const untrusted = await probe(target(), oauthJob({ token_url: tokenUrl }, { tls_config: { ca: pki.caCert } }), deps());
    expect(untrusted.result).toBe('tls_error');
    expect(untrusted.error).toContain(`oauth2: cannot fetch token: Post "${tokenUrl}": tls: failed to verify certificate: x509: certificate signed by unknown authority`);
  });

  it('goes through oauth2.proxy_url with its proxy_connect_header, while the target is reached directly', async () => {
    const before = proxy.seen.length;
    const tokenUrl = `https://idp.test:${tlsIdp.port}/token`;
    const j = oauthJob({
      token_url: tokenUrl,
      tls_config: { ca: pki.caCert, server_name: 'localhost' },
      proxy_url: `http://127.0.0.1:${proxy.port}`,
      proxy_connect_header: { 'X-Tenant': ['blue'] },
    });
    const r = await probe(target(), j, deps());
    expect(r.result).toBe('ok');
    const seen = proxy.seen.slice(before);
    expect(seen.map((s) => `${s.method} ${s.target}`)).toEqual([`CONNECT idp.test:${tlsIdp.port}`]);
    expect(seen[0]!.headerLines).toContain('X-Tenant: blue');
  });

  it('uses the environment proxy for the token request with oauth2.proxy_from_environment', async () => {
    const before = proxy.seen.length;
    const j = oauthJob({ token_url: `https://idp.test:${tlsIdp.port}/token`, tls_config: { ca: pki.caCert, server_name: 'localhost' }, proxy_from_environment: true });
    const r = await probe(target(), j, deps({ env: { HTTPS_PROXY: `http://127.0.0.1:${proxy.port}` } }));
    expect(r.result).toBe('ok');
    expect(proxy.seen.slice(before).map((s) => s.method)).toEqual(['CONNECT']);
  });
});

describe('parseTokenResponse', () => {
  const now = 1_000_000;
  it.each([
    ['a numeric expires_in', '{"access_token":"t","expires_in":30}', 'application/json', { ok: true, token: { access: 't', type: 'Bearer', expiryMs: now + 30_000 } }],
    ['a string expires_in (PayPal)', '{"access_token":"t","expires_in":"30"}', 'application/json', { ok: true, token: { access: 't', type: 'Bearer', expiryMs: now + 30_000 } }],
    ['no expires_in', '{"access_token":"t","token_type":"mac"}', 'application/json', { ok: true, token: { access: 't', type: 'MAC', expiryMs: undefined } }],
    ['an access_token that is not a string', '{"access_token":5}', 'application/json', { ok: false, what: 'json' }],
    ['a fractional expires_in', '{"access_token":"t","expires_in":1.5}', 'application/json', { ok: false, what: 'json' }],
    ['a form answer', 'access_token=t&token_type=Bearer&expires_in=30', 'text/plain', { ok: true, token: { access: 't', type: 'Bearer', expiryMs: now + 30_000 } }],
    ['a bad escape in a form answer', 'access_token=%zz', 'application/x-www-form-urlencoded', { ok: false, what: 'response' }],
  ])('%s', (_name, body, type, want) => {
    expect(parseTokenResponse(Buffer.from(body), type, now)).toMatchObject(want);
  });
});

describe('oauth2 with the component', () => {
  it('waits for nothing: a token endpoint that recovers is used at the next probe', async () => {
    mode = 'refuse';
    const d = deps();
    const j = oauthJob();
    expect((await probe(target(), j, d)).result).toBe('credentials_error');
    mode = 'issue';
    await until(async () => (await probe(target(), j, d)).result === 'ok', 5000);
  });
});

describe('oauth2 with the JWT bearer grant (RFC 7523)', () => {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const pkcs8 = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  const pkcs1 = privateKey.export({ type: 'pkcs1', format: 'pem' }).toString();
  let jwtIdp: TestServer;
  const assertions: { header: Record<string, unknown>; claims: Record<string, unknown>; valid: boolean; form: URLSearchParams; authorization?: string }[] = [];

  beforeAll(async () => {
    jwtIdp = await startServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        const form = new URLSearchParams(body);
        const [h = '', c = '', sig = ''] = (form.get('assertion') ?? '').split('.');
        const header = JSON.parse(Buffer.from(h, 'base64url').toString() || '{}') as Record<string, unknown>;
        const claims = JSON.parse(Buffer.from(c, 'base64url').toString() || '{}') as Record<string, unknown>;
        const hash = { RS256: 'sha256', RS384: 'sha384', RS512: 'sha512' }[String(header['alg'])] ?? 'sha256';
        const valid = verify(hash, Buffer.from(`${h}.${c}`), publicKey, Buffer.from(sig, 'base64url'));
        assertions.push({ header, claims, valid, form, ...(req.headers.authorization ? { authorization: req.headers.authorization } : {}) });
        if (!valid || form.get('grant_type') !== 'urn:ietf:params:oauth:grant-type:jwt-bearer') return void res.writeHead(400, { 'content-type': 'application/json' }).end('{"error":"invalid_grant"}');
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ access_token: `${ISSUED_PREFIX}jwt`, token_type: 'Bearer', expires_in: 300 }));
      });
    });
  });
  afterAll(async () => {
    await jwtIdp.close();
  });
  beforeEach(() => {
    assertions.length = 0;
  });

  const jwtJob = (oauth2: Record<string, unknown>) =>
    job({ oauth2: { client_id: 'svc-prometheus', grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer', token_url: `${jwtIdp.origin}/token`, ...oauth2 } });

  it('signs an assertion with the key (file, PKCS8) and claims as prometheus/common does, and the target gets the token', async () => {
    const file = path.join(dir, 'jwt-key.pem');
    writeFileSync(file, pkcs8);
    clockMs = Date.parse('2026-01-01T00:00:00Z');
    const r = await probe(
      target(),
      jwtJob({ client_certificate_key_file: file, client_certificate_key_id: 'key-1', signature_algorithm: 'RS512', scopes: ['a', 'b'], audience: 'https://aud', claims: { tenant: 'blue' }, endpoint_params: { resource: 'r' } }),
      deps({ trace: true }),
    );
    expect(r.result).toBe('ok');
    expect(assertions).toHaveLength(1);
    const a = assertions[0]!;
    expect(a.valid).toBe(true);
    expect(a.authorization).toBeUndefined();
    expect(a.header).toEqual({ alg: 'RS512', kid: 'key-1', typ: 'JWT' });
    const nowS = clockMs / 1000;
    expect(a.claims).toMatchObject({ iss: 'svc-prometheus', sub: 'svc-prometheus', aud: 'https://aud', scope: 'a b', tenant: 'blue', iat: nowS, exp: nowS + 600 });
    expect(typeof a.claims['jti']).toBe('string');
    expect(a.form.get('scope')).toBe('a b');
    expect(a.form.get('resource')).toBe('r');
    expect(app.requests.at(-1)!.headers.authorization).toBe(`Bearer ${ISSUED_PREFIX}jwt`);
    // The assertion is a bearer credential until it expires: not in any output.
    const text = outputs(r);
    expect(text).not.toContain(a.form.get('assertion')!);
    expect(text).not.toContain(pkcs8.split('\n')[1]!);
  });

  it('takes an inline PKCS1 key, RS256 and the token URL as audience by default', async () => {
    const r = await probe(target(), jwtJob({ client_certificate_key: pkcs1 }), deps());
    expect(r.result).toBe('ok');
    expect(assertions[0]!.header['alg']).toBe('RS256');
    expect(assertions[0]!.claims['aud']).toBe(`${jwtIdp.origin}/token`);
  });

  it('reports a key that is not an RSA PEM key without sending anything', async () => {
    const r = await probe(target(), jwtJob({ client_certificate_key: 'not a key' }), deps());
    expect(r.result).toBe('credentials_error');
    expect(r.error).toContain('oauth2: cannot fetch token: invalid key: Key must be a PEM encoded PKCS1 or PKCS8 key');
    expect(assertions).toHaveLength(0);
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    const r2 = await probe(target(), jwtJob({ client_certificate_key: ec }), deps());
    expect(r2.error).toContain('oauth2: cannot fetch token: key is not a valid RSA private key');
  });

  it('reports a refused assertion in Go\'s words', async () => {
    const other = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    const r = await probe(target(), jwtJob({ client_certificate_key: other }), deps());
    expect(r.result).toBe('credentials_error');
    expect(r.error).toBe(`Get "${app.origin}/metrics": oauth2: cannot fetch token: 400 Bad Request Response: {"error":"invalid_grant"}`);
  });
});
