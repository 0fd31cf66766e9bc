// Which proxy a probe uses (Go's httpproxy rules), and what a real proxy on 127.0.0.1 sees of it.
import { rmSync } from 'node:fs';
import https from 'node:https';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Secret } from '../../src/config/secret.js';
import { formatDebug } from '../../src/probe/debug.js';
import { probe, type ProbeDeps, type ProbeTarget } from '../../src/probe/probe.js';
import { compiledNoProxyLists, compileNoProxy, MAX_COMPILED_PROXY_CONFIGS, MAX_NO_PROXY_ENTRIES, proxyFor, proxyIdentity, splitHostPort, type Environment, type ProxySettings } from '../../src/probe/proxy.js';
import { SecureContextCache } from '../../src/probe/tls-context.js';
import { job, makePki, METRICS_BODY, startServer, type Pki, type TestServer } from './helpers.js';
import { startRecordingProxy, startSocksProxy, type RecordingProxy } from './recording-proxy.js';

const CANARY = 'canary-proxy-s3cr3t-41c2';

const fromEnv: ProxySettings = { proxy_from_environment: true };
const via = (url: string, settings: ProxySettings, env: Environment = {}) => {
  const d = proxyFor(new URL(url), settings, env);
  if (!d.ok) return `error: ${d.message}`;
  return d.plan ? `${d.plan.tls ? 'https' : 'http'}://${d.plan.host}:${d.plan.port}` : 'direct';
};

describe('proxy_from_environment reads the environment as Go does', () => {
  const env = { HTTP_PROXY: 'http://plain.proxy:3128', HTTPS_PROXY: 'https://secure.proxy:8443' };

  it.each([
    ['an http URL goes through HTTP_PROXY', 'http://app.example:9100/metrics', env, 'http://plain.proxy:3128'],
    ['an https URL goes through HTTPS_PROXY', 'https://app.example/metrics', env, 'https://secure.proxy:8443'],
    ['an https URL is direct when only HTTP_PROXY is set', 'https://app.example/metrics', { HTTP_PROXY: 'http://p:1' }, 'direct'],
    ['the upper-case name wins over the lower-case one', 'http://app.example/', { HTTP_PROXY: 'http://upper:1', http_proxy: 'http://lower:2' }, 'http://upper:1'],
    ['an empty upper-case value falls through to the lower-case one', 'http://app.example/', { HTTP_PROXY: '', http_proxy: 'http://lower:2' }, 'http://lower:2'],
    ['a value without a scheme is an http proxy', 'https://app.example/', { HTTPS_PROXY: 'corp-proxy:3128' }, 'http://corp-proxy:3128'],
    ['an IP without a scheme is an http proxy', 'https://app.example/', { HTTPS_PROXY: '10.1.2.3:3128' }, 'http://10.1.2.3:3128'],
    ['a proxy URL without a port uses its scheme\'s', 'http://app.example/', { HTTP_PROXY: 'http://proxy' }, 'http://proxy:80'],
    ['localhost is never proxied', 'http://localhost:9100/', env, 'direct'],
    ['a loopback IPv4 address is never proxied', 'http://127.0.0.2:9100/', env, 'direct'],
    ['the IPv6 loopback is never proxied', 'http://[::1]:9100/', env, 'direct'],
    ['another IPv6 address is', 'http://[::2]:9100/', env, 'http://plain.proxy:3128'],
    ['nothing set: direct', 'http://app.example/', {}, 'direct'],
  ])('%s', (_name, url, e, want) => {
    expect(via(url, fromEnv, e)).toBe(want);
  });

  it('refuses HTTP_PROXY under CGI (REQUEST_METHOD set), as httpproxy does against httpoxy', () => {
    expect(via('http://app.example/', fromEnv, { HTTP_PROXY: 'http://p:1', REQUEST_METHOD: 'GET' })).toBe(
      'error: refusing to use HTTP_PROXY value in CGI environment; see golang.org/s/cgihttpproxy',
    );
    // HTTPS_PROXY is not affected.
    expect(via('https://app.example/', fromEnv, { HTTPS_PROXY: 'http://p:1', REQUEST_METHOD: 'GET' })).toBe('http://p:1');
  });

  it('reads nothing from the environment unless proxy_from_environment is set', () => {
    expect(via('http://app.example/', {}, env)).toBe('direct');
  });
});

describe('NO_PROXY / no_proxy entries', () => {
  const list = 'corp.example, .internal.example, *.wild.example, 192.168.7.1, 192.168.7.2:81, 192.168.7.3:80, 10.20.0.0/16, 2001:db8::7, [2001:db8::8]:443, 2001:db8:ff::/48, app.example:9100, bücher.example';
  const matcher = compileNoProxy(list);
  const bypass = (url: string) => !matcher.useProxy(new URL(url));

  it.each([
    ['a domain entry matches the domain itself', 'http://corp.example/', true],
    ['and its subdomains', 'http://www.corp.example/', true],
    ['but not a longer name ending the same way', 'http://notcorp.example/', false],
    ['a leading-dot entry matches subdomains', 'http://a.internal.example/', true],
    ['but not the domain itself', 'http://internal.example/', false],
    ['a "*." entry matches subdomains', 'http://a.wild.example/', true],
    ['but not the domain itself', 'http://wild.example/', false],
    ['an IPv4 entry without a port matches any port', 'http://192.168.7.1:1234/', true],
    ['an IPv4:port entry matches that port', 'http://192.168.7.3/', true],
    ['and no other', 'http://192.168.7.2/', false],
    ['a CIDR entry matches inside', 'http://10.20.30.40/', true],
    ['and not outside', 'http://10.21.0.1/', false],
    ['an IPv6 entry matches', 'http://[2001:db8::7]:9100/', true],
    ['a [IPv6]:port entry matches that port', 'https://[2001:db8::8]/', true],
    ['and no other', 'http://[2001:db8::8]/', false],
    ['an IPv6 CIDR matches inside', 'http://[2001:db8:ff::1]/', true],
    ['a host:port entry matches that port', 'http://app.example:9100/', true],
    ['and no other', 'http://app.example:9200/', false],
    ['a domain entry never matches an IP address', 'http://10.99.0.1/', false],
    ['an internationalised entry matches the punycode host', 'http://xn--bcher-kva.example/', true],
    ['an unrelated host is proxied', 'http://elsewhere.example/', false],
  ])('%s (%s)', (_name, url, bypassed) => {
    expect(bypass(url)).toBe(bypassed);
  });

  it('"*" bypasses the proxy for everything', () => {
    expect(compileNoProxy('*').useProxy(new URL('http://anything.example/'))).toBe(false);
    expect(compileNoProxy('foo, *').useProxy(new URL('http://10.0.0.1/'))).toBe(false);
  });

  it('skips entries that name no host (":1", empty ones)', () => {
    expect(compileNoProxy(':1, ,').useProxy(new URL('http://app.example:1/'))).toBe(true);
  });

  it('applies NO_PROXY (and lower-case no_proxy) to environment proxies', () => {
    expect(via('http://corp.example/', fromEnv, { HTTP_PROXY: 'http://p:1', NO_PROXY: 'corp.example' })).toBe('direct');
    expect(via('http://corp.example/', fromEnv, { HTTP_PROXY: 'http://p:1', no_proxy: '.example' })).toBe('direct');
    expect(via('http://corp.other/', fromEnv, { HTTP_PROXY: 'http://p:1', no_proxy: '.example' })).toBe('http://p:1');
  });

  it('applies no_proxy to proxy_url, which alone proxies everything, loopback included (http.ProxyURL)', () => {
    const proxyUrl = new Secret('http://p:3128');
    expect(via('http://127.0.0.1:9100/', { proxy_url: proxyUrl })).toBe('http://p:3128');
    // With no_proxy, Prometheus switches to httpproxy's rules: loopback is then direct, as are the listed hosts.
    expect(via('http://127.0.0.1:9100/', { proxy_url: proxyUrl, no_proxy: 'other.example' })).toBe('direct');
    expect(via('http://other.example/', { proxy_url: proxyUrl, no_proxy: 'other.example' })).toBe('direct');
    expect(via('http://app.example/', { proxy_url: proxyUrl, no_proxy: 'other.example' })).toBe('http://p:3128');
  });

  it(`reads at most ${MAX_NO_PROXY_ENTRIES} entries of a list`, () => {
    const long = [...Array.from({ length: MAX_NO_PROXY_ENTRIES }, (_, i) => `h${i}.example`), 'last.example'].join(',');
    expect(compileNoProxy(long).useProxy(new URL('http://h0.example/'))).toBe(false);
    expect(compileNoProxy(long).useProxy(new URL('http://last.example/'))).toBe(true);
  });

  it(`keeps at most ${MAX_COMPILED_PROXY_CONFIGS} distinct lists compiled`, () => {
    for (let i = 0; i < MAX_COMPILED_PROXY_CONFIGS + 10; i++) {
      expect(via('http://app.example/', { proxy_url: new Secret('http://p:1'), no_proxy: `h${i}.example` })).toBe('http://p:1');
    }
    expect(compiledNoProxyLists()).toBe(MAX_COMPILED_PROXY_CONFIGS);
  });

  it('splits host and port as net.SplitHostPort does', () => {
    expect(splitHostPort('a.example:80')).toEqual({ host: 'a.example', port: '80' });
    expect(splitHostPort('[::1]:80')).toEqual({ host: '::1', port: '80' });
    expect(splitHostPort('::1')).toBeUndefined();
    expect(splitHostPort('a.example')).toBeUndefined();
    expect(splitHostPort('[::1]')).toBeUndefined();
  });
});

describe('proxy identity', () => {
  it('differs when the proxy, its credentials or the CONNECT headers differ', () => {
    const plan = (settings: ProxySettings) => {
      const d = proxyFor(new URL('https://app.example/'), settings);
      return d.ok ? d.plan : undefined;
    };
    const a = proxyIdentity(plan({ proxy_url: new Secret('http://p:1') }));
    expect(proxyIdentity(plan({ proxy_url: new Secret('http://p:1') }))).toBe(a);
    expect(proxyIdentity(plan({ proxy_url: new Secret('http://u:x@p:1') }))).not.toBe(a);
    expect(proxyIdentity(plan({ proxy_url: new Secret('http://p:2') }))).not.toBe(a);
    expect(proxyIdentity(plan({ proxy_url: new Secret('http://p:1'), proxy_connect_header: { 'X-A': [new Secret('1')] } }))).not.toBe(a);
    expect(proxyIdentity(undefined)).toBe('direct');
  });
});

describe('through a real proxy', () => {
  let pki: Pki;
  let proxy: RecordingProxy;
  let tlsApp: TestServer;
  let plainApp: TestServer;
  const TOKEN = 'bearer-for-app';
  // Targets are named app.test: the injected lookup resolves it for direct connections, the proxy tunnels it to 127.0.0.1.
  const lookups: string[] = [];
  const deps = (extra: Partial<ProbeDeps> = {}): ProbeDeps => ({
    timeoutMs: 5000,
    tlsContexts: new SecureContextCache(),
    lookup: async (host) => {
      lookups.push(host);
      return { address: '127.0.0.1', family: 4 };
    },
    ...extra,
  });
  const target = (url: string): ProbeTarget => ({ job: 'test', instance: new URL(url).host, url, labels: {} });
  const handler = (req: { headers: Record<string, unknown> }, res: { writeHead(s: number, h: object): { end(b?: string): void } }) =>
    req.headers['authorization'] === `Bearer ${TOKEN}` ? res.writeHead(200, { 'content-type': 'text/plain' }).end(METRICS_BODY) : res.writeHead(401, {}).end();

  beforeAll(async () => {
    pki = makePki();
    proxy = await startRecordingProxy();
    tlsApp = await startServer(handler as never, { cert: pki.serverCert, key: pki.serverKey } satisfies https.ServerOptions);
    plainApp = await startServer(handler as never);
  });
  afterAll(async () => {
    await Promise.all([proxy.close(), tlsApp.close(), plainApp.close()]);
    rmSync(pki.dir, { recursive: true, force: true });
  });

  const tlsJob = (fields: Record<string, unknown>) => job({ tls_config: { ca: pki.caCert, server_name: 'localhost' }, authorization: { credentials: TOKEN }, ...fields });

  it('tunnels an https target through HTTPS_PROXY with the proxy_connect_header on the CONNECT only', async () => {
    const before = proxy.seen.length;
    const j = tlsJob({ proxy_from_environment: true, proxy_connect_header: { 'X-Proxy-Tenant': ['blue'], 'X-Proxy-Key': [CANARY] } });
    const env = { HTTPS_PROXY: `http://127.0.0.1:${proxy.port}` };
    const r = await probe(target(`https://app.test:${tlsApp.port}/metrics`), j, deps({ env, trace: true }));
    expect(r.result).toBe('ok');
    const seen = proxy.seen.slice(before);
    expect(seen.map((s) => `${s.method} ${s.target}`)).toEqual([`CONNECT app.test:${tlsApp.port}`]);
    expect(seen[0]!.headerLines).toEqual(expect.arrayContaining(['X-Proxy-Tenant: blue', `X-Proxy-Key: ${CANARY}`]));
    // The target gets the job's credentials, never the proxy's headers.
    const got = tlsApp.requests.at(-1)!.headers;
    expect(got['x-proxy-key']).toBeUndefined();
    expect(got['x-proxy-tenant']).toBeUndefined();
    expect(got.authorization).toBe(`Bearer ${TOKEN}`);
    // The CONNECT header values are secrets: not in the result, not in the debug trace.
    expect(JSON.stringify(r)).not.toContain(CANARY);
    expect(formatDebug(target(`https://app.test:${tlsApp.port}/metrics`), r, '')).not.toContain(CANARY);
  });

  it('goes direct for a host NO_PROXY names, and never asks the proxy', async () => {
    const before = proxy.seen.length;
    lookups.length = 0;
    const env = { HTTPS_PROXY: `http://127.0.0.1:${proxy.port}`, NO_PROXY: '.other.example, app.test' };
    const r = await probe(target(`https://app.test:${tlsApp.port}/metrics`), tlsJob({ proxy_from_environment: true }), deps({ env }));
    expect(r.result).toBe('ok');
    expect(proxy.seen.length).toBe(before);
    expect(lookups).toEqual(['app.test']);
  });

  it('goes direct for a host no_proxy names beside proxy_url', async () => {
    const before = proxy.seen.length;
    const j = tlsJob({ proxy_url: `http://127.0.0.1:${proxy.port}`, no_proxy: 'app.test' });
    const r = await probe(target(`https://app.test:${tlsApp.port}/metrics`), j, deps());
    expect(r.result).toBe('ok');
    expect(proxy.seen.length).toBe(before);
    // Another host still goes through the proxy.
    const r2 = await probe(target(`https://other.test:${tlsApp.port}/metrics`), j, deps());
    expect(r2.result).toBe('ok');
    expect(proxy.seen.slice(before).map((s) => `${s.method} ${s.target}`)).toEqual([`CONNECT other.test:${tlsApp.port}`]);
  });

  it('sends an http target to HTTP_PROXY in absolute form, without the CONNECT-only headers', async () => {
    const before = proxy.seen.length;
    const j = job({ proxy_from_environment: true, proxy_connect_header: { 'X-Proxy-Key': [CANARY] } });
    const r = await probe(target('http://app.test:9100/metrics'), j, deps({ env: { http_proxy: `127.0.0.1:${proxy.port}` } }));
    expect(r.result).toBe('ok');
    const seen = proxy.seen.slice(before);
    expect(seen.map((s) => `${s.method} ${s.target}`)).toEqual(['GET http://app.test:9100/metrics']);
    expect(seen[0]!.raw).not.toContain(CANARY);
  });

  it('cannot be made to smuggle a header onto the CONNECT through a value with CR/LF', async () => {
    const before = proxy.seen.length;
    const j = tlsJob({ proxy_url: `http://127.0.0.1:${proxy.port}`, proxy_connect_header: { 'X-Note': ['a\r\nX-Injected: yes'] } });
    const r = await probe(target(`https://app.test:${tlsApp.port}/metrics`), j, deps());
    expect(r.result).toBe('ok');
    const connect = proxy.seen.slice(before)[0]!;
    expect(connect.headerLines.some((l) => l.toLowerCase().startsWith('x-injected'))).toBe(false);
    expect(connect.headerLines).toContain('X-Note: a  X-Injected: yes');
  });

  it('sends the proxy URL\'s credentials as Proxy-Authorization in place of a configured one', async () => {
    const before = proxy.seen.length;
    const j = tlsJob({ proxy_url: `http://pu:pp@127.0.0.1:${proxy.port}`, proxy_connect_header: { 'Proxy-Authorization': ['Basic other'] } });
    await probe(target(`https://app.test:${tlsApp.port}/metrics`), j, deps());
    const auth = proxy.seen.slice(before)[0]!.headerLines.filter((l) => l.toLowerCase().startsWith('proxy-authorization'));
    expect(auth).toEqual([`Proxy-Authorization: Basic ${Buffer.from('pu:pp').toString('base64')}`]);
  });

  it('takes the environment it is given, not the process\'s', async () => {
    const before = proxy.seen.length;
    const saved = process.env['HTTPS_PROXY'];
    process.env['HTTPS_PROXY'] = `http://127.0.0.1:${proxy.port}`;
    try {
      const r = await probe(target(`https://app.test:${tlsApp.port}/metrics`), tlsJob({ proxy_from_environment: true }), deps({ env: {} }));
      expect(r.result).toBe('ok');
      expect(proxy.seen.length).toBe(before);
    } finally {
      if (saved === undefined) delete process.env['HTTPS_PROXY'];
      else process.env['HTTPS_PROXY'] = saved;
    }
  });

  it('speaks TLS to an https proxy with the job\'s own tls_config, as Go\'s Transport does', async () => {
    const tlsProxy = await startRecordingProxy({ tls: { cert: pki.serverCert, key: pki.serverKey } });
    try {
      const env = { HTTPS_PROXY: `https://localhost:${tlsProxy.port}` };
      const lookup = async () => ({ address: '127.0.0.1', family: 4 });
      const ok = await probe(target(`https://app.test:${tlsApp.port}/metrics`), tlsJob({ proxy_from_environment: true }), deps({ env, lookup }));
      expect(ok.result).toBe('ok');
      expect(tlsProxy.seen.map((s) => `${s.method} ${s.target}`)).toEqual([`CONNECT app.test:${tlsApp.port}`]);
      // Without the job's CA the proxy's certificate is not trusted: the probe fails, it does not go around the proxy.
      const untrusted = await probe(target(`https://app.test:${tlsApp.port}/metrics`), job({ proxy_from_environment: true, authorization: { credentials: TOKEN } }), deps({ env, lookup }));
      expect(untrusted.result).toBe('tls_error');
      expect(untrusted.error).toContain('x509: certificate signed by unknown authority');
    } finally {
      await tlsProxy.close();
    }
  });

  it('goes through a socks5 proxy for https and http targets, the host name unresolved, as Go does', async () => {
    const socks = await startSocksProxy();
    try {
      lookups.length = 0;
      const j = tlsJob({ proxy_url: `socks5://127.0.0.1:${socks.port}` });
      const r = await probe(target(`https://app.test:${tlsApp.port}/metrics`), j, deps());
      expect(r.result).toBe('ok');
      const plain = await probe(target(`http://app.test:${plainApp.port}/metrics`), job({ proxy_url: `socks5h://127.0.0.1:${socks.port}`, authorization: { credentials: TOKEN } }), deps());
      expect(plain.result).toBe('ok');
      // An http target through SOCKS gets an origin-form request line, not the absolute form of an http proxy.
      expect(plainApp.requests.at(-1)!.url).toBe('/metrics');
      expect(socks.seen).toEqual([
        { host: 'app.test', port: tlsApp.port },
        { host: 'app.test', port: plainApp.port },
      ]);
      expect(lookups).toEqual([]);
    } finally {
      await socks.close();
    }
  });

  it('authenticates to a socks5 proxy with the proxy URL\'s user info, never showing the password', async () => {
    const socks = await startSocksProxy({ users: { prom: CANARY } });
    try {
      const r = await probe(target(`https://app.test:${tlsApp.port}/metrics`), tlsJob({ proxy_url: `socks5://prom:${CANARY}@127.0.0.1:${socks.port}` }), deps({ trace: true }));
      expect(r.result).toBe('ok');
      expect(socks.seen[0]!.auth).toEqual({ username: 'prom', password: CANARY });
      const wrong = await probe(target(`https://app.test:${tlsApp.port}/metrics`), tlsJob({ proxy_url: `socks5://prom:nope@127.0.0.1:${socks.port}` }), deps());
      expect(wrong.result).toBe('network_error');
      expect(wrong.error).toBe(`Get "https://app.test:${tlsApp.port}/metrics": socks connect tcp 127.0.0.1:${socks.port}->app.test:${tlsApp.port}: username/password authentication failed`);
      expect(JSON.stringify(r) + formatDebug(target(`https://app.test:${tlsApp.port}/metrics`), r, '')).not.toContain(CANARY);
    } finally {
      await socks.close();
    }
  });

  it('reports a socks5 proxy\'s refusal in Go\'s words', async () => {
    const socks = await startSocksProxy({ refuse: true });
    try {
      const r = await probe(target('http://app.test:9100/metrics'), job({ proxy_url: `socks5://127.0.0.1:${socks.port}` }), deps());
      expect(r.result).toBe('network_error');
      expect(r.error).toBe(`Get "http://app.test:9100/metrics": socks connect tcp 127.0.0.1:${socks.port}->app.test:9100: unknown error connection refused`);
    } finally {
      await socks.close();
    }
  });

  it('reports a proxy scheme it cannot speak instead of going direct', async () => {
    const r = await probe(target(`https://app.test:${tlsApp.port}/metrics`), tlsJob({ proxy_from_environment: true }), deps({ env: { HTTPS_PROXY: 'ftp://127.0.0.1:21' } }));
    expect(r.result).toBe('network_error');
    expect(r.error).toContain('proxy scheme "ftp" is not supported');
  });
});
