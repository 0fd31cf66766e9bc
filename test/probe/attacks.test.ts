// The security review's findings, each written as the attack: a recording server that would receive the stolen
// token, an https job pointed at http://, an https→http redirect on the same host and port, reflecting targets and
// a reflecting proxy. Every one must come away with nothing.
import http from 'node:http';
import https from 'node:https';
import net, { type AddressInfo } from 'node:net';
import { rmSync } from 'node:fs';
import { Duplex } from 'node:stream';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/app.js';
import { createComponents, type Wiring } from '../../src/components.js';
import { parseConfig } from '../../src/config/load.js';
import { createLogger, silentLogger } from '../../src/log.js';
import { MAX_FORBIDDEN_FIELD_LENGTH } from '../../src/probe/forbidden.js';
import { renderProbeText, emptyCounts } from '../../src/probe/metrics.js';
import { probe, type ProbeDeps, type ProbeResult, type ProbeTarget } from '../../src/probe/probe.js';
import { SecureContextCache } from '../../src/probe/tls-context.js';
import { job, makePki, METRICS_BODY, startServer, startTcp, type Pki, type TestServer } from './helpers.js';

// Canaries: stand-in secrets, one per credential form.
const TOKEN = 'CANARYt0kenAttack9f3e';
const HEADER_SECRET = 'CANARYheaderSecret77c1';
const PASSWORD = 'CANARYpassw0rd5b2a';
const PROXY_PASSWORD = 'CANARYpr0xyPass1d4c';

/** Every form a canary could leak in: raw, base64 of it and of the basic-auth pair, URL-encoded. */
function leaks(text: string): string[] {
  const forms = [TOKEN, HEADER_SECRET, PASSWORD, PROXY_PASSWORD];
  for (const s of [TOKEN, HEADER_SECRET, PASSWORD, PROXY_PASSWORD, `prometheus:${PASSWORD}`, `puser:${PROXY_PASSWORD}`]) forms.push(Buffer.from(s).toString('base64'));
  return forms.filter((f) => text.toLowerCase().includes(f.toLowerCase()));
}

let pki: Pki;
let recorder: TestServer;
let app: TestServer;
let tlsApp: TestServer;
let reflector: TestServer;
let dual: { port: number; plainRequests: http.IncomingHttpHeaders[]; close(): Promise<void> };
let proxy: { port: number; close(): Promise<void> };
const closers: (() => Promise<void>)[] = [];

const deps = (extra: Partial<ProbeDeps> = {}): ProbeDeps => ({ timeoutMs: 3000, tlsContexts: new SecureContextCache(), ...extra });
const target = (url: string): ProbeTarget => ({ job: 'test', instance: new URL(url).host, url, labels: {} });

/** One port that answers TLS (redirecting to http:// on the same port) and plain HTTP (recording what it gets). */
async function startDualProtocol(p: Pki): Promise<typeof dual> {
  const plainRequests: http.IncomingHttpHeaders[] = [];
  let port = 0;
  const plain = http.createServer((req, res) => {
    plainRequests.push(req.headers);
    res.writeHead(200, { 'content-type': 'text/plain' }).end(METRICS_BODY);
  });
  const secure = https.createServer({ key: p.serverKey, cert: p.serverCert }, (_req, res) => {
    res.writeHead(302, { location: `http://127.0.0.1:${port}/metrics` }).end();
  });
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    socket.once('data', (first: Buffer) => {
      socket.pause();
      // The first bytes go back in front through a stream of our own: both servers read from it as from the socket.
      const stream = new Duplex({
        read: () => void socket.resume(),
        write: (chunk, _enc, cb) => void socket.write(chunk, cb),
        final: (cb) => void socket.end(cb),
        destroy: (err, cb) => {
          socket.destroy();
          cb(err);
        },
      });
      stream.push(first);
      socket.on('data', (d: Buffer) => {
        if (!stream.push(d)) socket.pause();
      });
      socket.on('end', () => stream.push(null));
      socket.on('close', () => stream.destroy());
      // 0x16: a TLS handshake record; anything else is HTTP.
      (first[0] === 0x16 ? secure : plain).emit('connection', stream);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as AddressInfo).port;
  return {
    port,
    plainRequests,
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}

beforeAll(async () => {
  pki = makePki();
  recorder = await startServer((_req, res) => void res.writeHead(200, { 'content-type': 'text/plain' }).end(METRICS_BODY));
  app = await startServer((req, res) => {
    if (req.headers.authorization === `Bearer ${TOKEN}`) return void res.writeHead(200, { 'content-type': 'text/plain' }).end(METRICS_BODY);
    res.writeHead(401).end();
  });
  tlsApp = await startServer((_req, res) => void res.writeHead(200, { 'content-type': 'text/plain' }).end(METRICS_BODY), { key: pki.serverKey, cert: pki.serverCert });
  // A target that reflects whatever it received, in every place a probe reads.
  reflector = await startServer((req, res) => {
    const auth = req.headers.authorization ?? '';
    const key = String(req.headers['x-key'] ?? '');
    const bare = auth.replace(/^\S+ /, '');
    const echo = { 'www-authenticate': `Bearer realm="${auth}"`, 'x-echo': `${auth} ${key}` };
    const url = new URL(req.url ?? '/', 'http://x');
    switch (url.pathname) {
      case '/forbidden':
        return void res.writeHead(403, echo).end(`Forbidden (user=${auth}, verb=get, resource=${key})`);
      case '/forbidden-bare':
        // The raw token alone looks like a Kubernetes name: only the scrub catches it.
        return void res.writeHead(403, echo).end(`Forbidden (user=${bare}, verb=get, resource=${key}, subresource=metrics)`);
      case '/forbidden-huge':
        return void res.writeHead(403).end(`Forbidden (user=${'u'.repeat(60 * 1024)}, verb=get, resource=nodes, subresource=metrics)`);
      case '/text':
        return void res.writeHead(200, { 'content-type': 'text/plain', ...echo }).end(`${auth} 1\n`);
      case '/redirect':
        return void res.writeHead(302, { location: `/login?token=${encodeURIComponent(bare)}&k=${encodeURIComponent(key)}` }).end();
      default:
        return void res.writeHead(401, echo).end(auth);
    }
  });
  dual = await startDualProtocol(pki);
  // A proxy that refuses every CONNECT, quoting the Proxy-Authorization it got, as some do.
  proxy = await startTcp((client) => {
    let head = '';
    client.on('data', (chunk: Buffer) => {
      head += chunk.toString('latin1');
      if (!head.includes('\r\n\r\n')) return;
      const auth = /Proxy-Authorization: (.*)\r\n/i.exec(head)?.[1] ?? '';
      client.end(`HTTP/1.1 407 Denied for ${auth}\r\nProxy-Authenticate: Basic realm="${auth}"\r\nContent-Length: 0\r\n\r\n`);
    });
  });
  closers.push(recorder.close, app.close, tlsApp.close, reflector.close, dual.close, proxy.close);
});

afterAll(async () => {
  await Promise.all(closers.map((c) => c()));
  rmSync(pki.dir, { recursive: true, force: true });
});

describe('/probe sends a job\'s credentials only to that job\'s own targets', () => {
  const running: { stop(): Promise<void> }[] = [];
  afterAll(async () => {
    await Promise.all(running.map((r) => r.stop()));
  });

  async function exporter(options: { allowAnyTarget?: boolean } = {}): Promise<{ wiring: Wiring; get(p: string): Promise<{ status: number; body: string }> }> {
    const registry = new Registry();
    const wiring = createComponents({ registry, logger: silentLogger(), probes: { watchFiles: false }, probeAllowAnyTarget: options.allowAnyTarget ?? false });
    running.push(wiring.probes);
    const yaml = `
scrape_configs:
  - job_name: app
    authorization: { credentials: ${TOKEN} }
    http_headers: { X-Key: { secrets: [${HEADER_SECRET}] } }
    static_configs: [ { targets: ["${app.address}"] } ]
  - job_name: secure
    scheme: https
    tls_config: { ca: ${JSON.stringify(pki.caCert)} }
    basic_auth: { username: prometheus, password: ${PASSWORD} }
    static_configs: [ { targets: ["127.0.0.1:${tlsApp.port}"] } ]
  - job_name: blackbox
    scheme: https
    tls_config: { ca: ${JSON.stringify(pki.caCert)} }
    authorization: { credentials: ${TOKEN} }
    probe: { allow_any_target: true }
  - job_name: imported
    authorization: { credentials: ${TOKEN} }
`;
    await wiring.probes.apply(parseConfig(yaml, '/nonexistent/scrape-auth.yml'));
    const expressApp = createApp({ registry, telemetryPath: '/metrics', runtime: { reload: async () => ({ ok: true }), isReady: () => true }, logger: silentLogger(), routers: wiring.routers });
    const server = http.createServer(expressApp);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as AddressInfo).port;
    running.push({ stop: () => new Promise<void>((r) => server.close(() => r())) });
    return {
      wiring,
      get: async (p) => {
        const res = await fetch(`http://127.0.0.1:${port}${p}`);
        return { status: res.status, body: await res.text() };
      },
    };
  }

  it('refuses an attacker\'s URL or host:port with 403 and a reason; the attacker receives nothing', async () => {
    const { get } = await exporter();
    for (const t of [`http://${recorder.address}/steal`, recorder.address, `http://localhost:${recorder.port}/`, `http://${app.address.replace('127.0.0.1', '127.0.0.2')}/`]) {
      const r = await get(`/probe?module=app&target=${encodeURIComponent(t)}`);
      expect(r.status).toBe(403);
      expect(r.body).toMatch(/^Forbidden: target http:\/\/\S+ is not one of the targets of job "app" .*--probe\.allow-any-target to probe any target\n$/);
    }
    expect(recorder.requests).toEqual([]);
  });

  it('probes the job\'s own target by host:port and by URL (any path)', async () => {
    const { get } = await exporter();
    expect((await get(`/probe?module=app&target=${app.address}`)).body).toContain(`scrape_auth_probe_success{scrape_job="app",scrape_instance="${app.address}"} 1`);
    const byUrl = await get(`/probe?module=app&target=${encodeURIComponent(`http://${app.address}/metrics?x=1`)}`);
    expect(byUrl.status).toBe(200);
  });

  it('refuses an https job pointed at http:// on its own host and port: the credentials would travel in clear', async () => {
    const { get } = await exporter();
    const r = await get(`/probe?module=secure&target=${encodeURIComponent(`http://127.0.0.1:${tlsApp.port}/metrics`)}`);
    expect(r.status).toBe(403);
    expect(tlsApp.requests.filter((q) => q.headers.authorization !== undefined)).toEqual([]);
    // host:port takes the job's scheme: https, its own target.
    expect((await get(`/probe?module=secure&target=127.0.0.1:${tlsApp.port}`)).body).toContain('scrape_auth_probe_success{scrape_job="secure",scrape_instance="127.0.0.1:' + tlsApp.port + '"} 1');
  });

  it('counts what Prometheus reported (sidecar mode) as the job\'s own, and forgets it when Prometheus does', async () => {
    const { wiring, get } = await exporter();
    const before = recorder.requests.length;
    expect((await get(`/probe?module=imported&target=${recorder.address}`)).status).toBe(403);
    wiring.probes.setDiscoveredTargets('prometheus', [{ job: 'imported', url: `http://${recorder.address}/metrics`, labels: {} }]);
    expect((await get(`/probe?module=imported&target=${recorder.address}`)).status).toBe(200);
    wiring.probes.setDiscoveredTargets('prometheus', []);
    const after = recorder.requests.length;
    expect((await get(`/probe?module=imported&target=${recorder.address}`)).status).toBe(403);
    expect(recorder.requests.length).toBe(after);
    expect(after).toBeGreaterThan(before);
    recorder.requests.length = 0;
  });

  it('with probe.allow_any_target, probes any https target but never sends an https job\'s credentials over http', async () => {
    const { get } = await exporter();
    expect((await get(`/probe?module=blackbox&target=127.0.0.1:${tlsApp.port}`)).status).toBe(200);
    const r = await get(`/probe?module=blackbox&target=${encodeURIComponent(`http://${recorder.address}/steal`)}`);
    expect(r).toEqual({ status: 403, body: 'Forbidden: job "blackbox" uses https: its credentials are never sent over plain http\n' });
    expect(recorder.requests).toEqual([]);
  });

  it('with --probe.allow-any-target, any job may probe any target (the operator opted in)', async () => {
    const { get } = await exporter({ allowAnyTarget: true });
    expect((await get(`/probe?module=app&target=${recorder.address}`)).status).toBe(200);
    expect(recorder.requests.at(-1)!.headers.authorization).toBe(`Bearer ${TOKEN}`);
    recorder.requests.length = 0;
    expect((await get(`/probe?module=secure&target=${encodeURIComponent(`http://${recorder.address}/`)}`)).status).toBe(403);
    expect(recorder.requests).toEqual([]);
  });
});

describe('redirects', () => {
  it('drops every credential on an https→http redirect to the same host and port', async () => {
    const j = job({ scheme: 'https', tls_config: { ca: pki.caCert }, authorization: { credentials: TOKEN }, http_headers: { 'X-Key': { secrets: [HEADER_SECRET] }, 'X-Scope': { values: ['kept'] } } });
    const r = await probe(target(`https://127.0.0.1:${dual.port}/metrics`), j, deps());
    expect(r.result).toBe('ok');
    expect(dual.plainRequests.length).toBe(1);
    expect(dual.plainRequests[0]!.authorization).toBeUndefined();
    expect(dual.plainRequests[0]!['x-key']).toBeUndefined();
    expect(dual.plainRequests[0]!['x-scope']).toBe('kept');
  });
});

describe('what a target or proxy reflects is scrubbed before any output', () => {
  const reflecting = () => job({ authorization: { credentials: TOKEN }, http_headers: { 'X-Key': { secrets: [HEADER_SECRET] } } });
  const render = (r: ProbeResult) => renderProbeText([{ target: target(`${reflector.origin}/`), last: r, counts: { ...emptyCounts(), [r.result]: 1 }, checkUnauthenticated: false }]);

  it('a 403 body quoting the Authorization header and a header secret gives no forbidden_info', async () => {
    const r = await probe(target(`${reflector.origin}/forbidden`), reflecting(), deps({ trace: true }));
    expect(r.result).toBe('forbidden');
    expect(r.forbidden).toBeUndefined();
    expect(leaks(JSON.stringify(r) + render(r))).toEqual([]);
    expect(render(r)).not.toContain('forbidden_info{');
  });

  it('a 403 body quoting the bare token (a plausible name) is scrubbed, and then not emitted', async () => {
    const r = await probe(target(`${reflector.origin}/forbidden-bare`), reflecting(), deps());
    expect(r.forbidden).toBeUndefined();
    expect(leaks(JSON.stringify(r) + render(r))).toEqual([]);
  });

  it(`a 60 KB user name is not a label value (at most ${MAX_FORBIDDEN_FIELD_LENGTH} characters)`, async () => {
    const r = await probe(target(`${reflector.origin}/forbidden-huge`), reflecting(), deps());
    expect(r.result).toBe('forbidden');
    expect(r.forbidden).toBeUndefined();
    expect(render(r).length).toBeLessThan(10_000);
  });

  it('a 200 text body echoing the token never reaches the last error', async () => {
    const r = await probe(target(`${reflector.origin}/text`), reflecting(), deps());
    expect(r.result).toBe('invalid_response');
    expect(r.error).toContain('<secret>');
    expect(leaks(JSON.stringify(r))).toEqual([]);
  });

  it('response headers and a Location echoing the secrets are scrubbed in the debug trace', async () => {
    const r = await probe(target(`${reflector.origin}/redirect`), reflecting(), deps({ trace: true }));
    const headers = r.hops.flatMap((h) => h.responseHeaders ?? []);
    expect(headers.some(([name, value]) => name === 'x-echo' && value.includes('<secret>'))).toBe(true);
    expect(headers.some(([name]) => name === 'www-authenticate')).toBe(true);
    expect(r.hops.length).toBe(2);
    expect(leaks(JSON.stringify(r))).toEqual([]);
  });

  it('a proxy answering 407 with the Proxy-Authorization it got leaves no proxy password in the error', async () => {
    const j = job({ scheme: 'https', proxy_url: `http://puser:${PROXY_PASSWORD}@127.0.0.1:${proxy.port}`, authorization: { credentials: TOKEN } });
    const r = await probe(target(`https://127.0.0.1:${tlsApp.port}/metrics`), j, deps({ trace: true }));
    expect(r.result).toBe('network_error');
    expect(r.error).toContain('Denied for Basic <secret>');
    expect(leaks(JSON.stringify(r))).toEqual([]);
  });

  it('scheduled probes log, list and export the scrubbed result only', async () => {
    const registry = new Registry();
    const logs: string[] = [];
    const wiring = createComponents({ registry, logger: createLogger('debug', 'logfmt', { write: (l) => void logs.push(l) }), probes: { watchFiles: false } });
    await wiring.probes.apply(parseConfig(`
scrape_configs:
  - job_name: reflect
    authorization: { credentials: ${TOKEN} }
    http_headers: { X-Key: { secrets: [${HEADER_SECRET}] } }
    metrics_path: /forbidden-bare
    static_configs: [ { targets: ["${reflector.address}"] } ]
`, '/nonexistent/scrape-auth.yml'));
    const [state] = wiring.probes.targets();
    const result = await wiring.probes.probeNow(target(state!.url), wiring.probes.job('reflect')!);
    expect(result.result).toBe('forbidden');
    expect(leaks(JSON.stringify(result) + (await registry.metrics()) + JSON.stringify(wiring.status.targets()) + logs.join('\n'))).toEqual([]);
    await wiring.probes.stop();
  });
});
