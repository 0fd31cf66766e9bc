// Opens one fresh connection for one probe: DNS, TCP, an optional proxy tunnel, TLS with our own verification.
import { lookup as dnsLookup } from 'node:dns/promises';
import net from 'node:net';
import tls, { type PeerCertificate, type SecureContext, type TLSSocket } from 'node:tls';
import { firstServerBytes, NOT_TLS_CODES } from './tls-sniff.js';
import { socksConnect, type SocksAuth } from './socks.js';

/** Resolves a host name to one address; injected so tests never send a DNS query. */
export type LookupFn = (hostname: string) => Promise<{ address: string; family: number }>;

export const systemLookup: LookupFn = (hostname) => dnsLookup(hostname);

export interface ProxyPlan {
  host: string;
  port: number;
  tls: boolean;
  /** "Basic …" from the proxy URL's userinfo; sent only to the proxy. */
  authorization?: string;
  /** CONNECT through the proxy (https targets); plain http targets are sent to the proxy in absolute form. */
  tunnel: boolean;
  /** proxy_connect_header: extra headers of the CONNECT request only (values may be secrets). */
  connectHeaders?: [string, string][];
  /** An https proxy's TLS: the job's tls_config, as Go's Transport uses its TLSClientConfig for the proxy too. */
  tlsPlan?: TlsPlan;
  /** A socks5:// proxy: the SOCKS5 handshake instead of CONNECT (tunnel is then true for http targets too). */
  socks?: { auth?: SocksAuth };
}

export interface TlsPlan {
  context: SecureContext;
  /** The name verified against the certificate: server_name, else the URL's host. */
  verifyName: string;
  insecureSkipVerify: boolean;
}

/** What the connection saw, filled in as it goes; read by the classifier and the debug trace. */
export interface DialObservation {
  /** The first error the established socket raised: undici may report only "other side closed" after a TLS alert. */
  socketError?: Error;
  /** The connection (and any TLS handshake) completed: later errors belong to the HTTP exchange. */
  established?: boolean;
  remote?: string;
  local?: string;
  dnsMs?: number;
  connectMs?: number;
  tlsMs?: number;
  tls?: {
    protocol: string | null;
    cipher: string;
    authorized: boolean;
    authorizationError?: string;
    chain: { subject: string; issuer: string; notBeforeMs: number; notAfterMs: number; subjectAltName?: string }[];
    /** The earliest notAfter of the presented chain, captured before verification so a failure still reports it. */
    earliestNotAfterMs?: number;
  };
}

export interface DialPlan {
  host: string;
  port: number;
  tls?: TlsPlan;
  proxy?: ProxyPlan;
  lookup: LookupFn;
  signal: AbortSignal;
  observe: DialObservation;
  clock: () => number;
}

const MAX_CONNECT_RESPONSE_BYTES = 16 * 1024;

/** Connects as Go's transport would for this URL and proxy setting; rejects with a coded error on any failure. */
export async function dial(plan: DialPlan): Promise<net.Socket> {
  const { proxy, signal } = plan;
  const hop = proxy ? { host: proxy.host, port: proxy.port } : { host: plan.host, port: plan.port };
  let socket = await tcpConnect(hop.host, hop.port, plan);
  try {
    if (proxy?.tls) socket = await tlsHandshake(socket, proxy.tlsPlan ?? { context: tls.createSecureContext(), verifyName: proxy.host, insecureSkipVerify: false }, plan, false);
    if (proxy?.socks) await socksConnect(socket, plan.host, plan.port, proxy.socks.auth, plan.observe.remote ?? `${proxy.host}:${proxy.port}`, signal);
    else if (proxy?.tunnel) await connectTunnel(socket, plan.host, plan.port, proxy, signal);
    // The handshake paused the socket so no byte after it is lost; plain HTTP over a SOCKS tunnel reads from it directly.
    if (proxy?.socks && !plan.tls) socket.resume();
    if (plan.tls) socket = await tlsHandshake(socket, plan.tls, plan, true);
    const established = socket;
    plan.observe.established = true;
    established.on('error', (err: Error) => {
      plan.observe.socketError ??= err;
    });
    return established;
  } catch (err) {
    socket.destroy();
    throw err;
  }
}

function aborted(signal: AbortSignal): Error {
  const reason: unknown = signal.reason;
  return reason instanceof Error ? reason : Object.assign(new Error('aborted'), { code: 'ABORT_ERR' });
}

async function tcpConnect(host: string, port: number, plan: DialPlan): Promise<net.Socket> {
  const bare = host.replace(/^\[|\]$/g, '');
  let address = bare;
  if (net.isIP(bare) === 0) {
    const started = plan.clock();
    try {
      address = (await raceAbort(plan.lookup(bare), plan.signal)).address;
    } catch (err) {
      if (plan.signal.aborted) throw aborted(plan.signal);
      const code = (err as { code?: string }).code ?? 'ENOTFOUND';
      throw Object.assign(new Error(`lookup ${bare} failed: ${code}`), { code, hostname: bare, phase: 'dns', cause: err });
    }
    plan.observe.dnsMs = plan.clock() - started;
  }
  const remote = net.isIPv6(address) ? `[${address}]:${port}` : `${address}:${port}`;
  plan.observe.remote = remote;
  const started = plan.clock();
  return new Promise<net.Socket>((resolve, reject) => {
    const socket = net.connect({ host: address, port, noDelay: true });
    const onAbort = () => {
      socket.destroy();
      reject(aborted(plan.signal));
    };
    if (plan.signal.aborted) return onAbort();
    plan.signal.addEventListener('abort', onAbort, { once: true });
    socket.once('connect', () => {
      plan.signal.removeEventListener('abort', onAbort);
      socket.removeListener('error', onError);
      plan.observe.connectMs = plan.clock() - started;
      plan.observe.local = socket.localAddress ? `${net.isIPv6(socket.localAddress) ? `[${socket.localAddress}]` : socket.localAddress}:${socket.localPort}` : undefined;
      resolve(socket);
    });
    const onError = (err: Error) => {
      plan.signal.removeEventListener('abort', onAbort);
      socket.destroy();
      reject(err);
    };
    socket.once('error', onError);
  });
}

/** A CONNECT request to the proxy; resolves when it answers 200, as Go's transport does for https targets. */
function connectTunnel(socket: net.Socket, host: string, port: number, proxy: ProxyPlan, signal: AbortSignal): Promise<void> {
  const authority = `${net.isIPv6(host.replace(/^\[|\]$/g, '')) && !host.startsWith('[') ? `[${host}]` : host}:${port}`;
  return new Promise<void>((resolve, reject) => {
    let buffered = Buffer.alloc(0);
    const cleanup = () => {
      socket.removeListener('data', onData);
      socket.removeListener('error', onError);
      socket.removeListener('close', onClose);
      signal.removeEventListener('abort', onAbort);
    };
    const fail = (err: Error) => {
      cleanup();
      reject(err);
    };
    const onAbort = () => fail(aborted(signal));
    const onError = (err: Error) => fail(err);
    const onClose = () => fail(Object.assign(new Error('proxy closed the connection'), { code: 'UND_ERR_SOCKET' }));
    const onData = (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      const end = buffered.indexOf('\r\n\r\n');
      if (end < 0) {
        if (buffered.length > MAX_CONNECT_RESPONSE_BYTES) fail(Object.assign(new Error('malformed proxy response'), { code: 'HPE_INVALID_CONSTANT' }));
        return;
      }
      cleanup();
      socket.pause();
      const statusLine = buffered.subarray(0, buffered.indexOf('\r\n')).toString('latin1');
      const match = /^HTTP\/1\.[01] (\d{3})(?: (.*))?$/.exec(statusLine);
      if (!match) return reject(Object.assign(new Error('malformed proxy response'), { code: 'HPE_INVALID_CONSTANT' }));
      if (match[1] !== '200') {
        // Go returns the status text of the proxy's answer as the error.
        return reject(Object.assign(new Error(match[2] ?? match[1]), { code: 'PROBE_PROXY_STATUS', status: Number(match[1]) }));
      }
      const rest = buffered.subarray(end + 4);
      if (rest.length > 0) socket.unshift(rest);
      resolve();
    };
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    socket.on('data', onData);
    socket.once('error', onError);
    socket.once('close', onClose);
    const lines = [`CONNECT ${authority} HTTP/1.1`, `Host: ${authority}`, 'User-Agent: Prometheus/scrape-auth-exporter'];
    for (const [name, value] of proxy.connectHeaders ?? []) lines.push(`${name}: ${value}`);
    if (proxy.authorization) lines.push(`Proxy-Authorization: ${proxy.authorization}`);
    socket.write(`${lines.join('\r\n')}\r\n\r\n`);
  });
}

/**
 * The TLS handshake with `rejectUnauthorized: false`, then Node's own verification result and hostname check
 * applied by hand: the presented chain is recorded first, so an expired or unknown-CA certificate still
 * reports its notAfter. No session is offered, so every probe does a full handshake.
 */
function tlsHandshake(socket: net.Socket, plan: TlsPlan, dialPlan: DialPlan, record: boolean): Promise<TLSSocket> {
  const name = plan.verifyName.replace(/^\[|\]$/g, '');
  const started = dialPlan.clock();
  return new Promise<TLSSocket>((resolve, reject) => {
    const secure = tls.connect({
      socket,
      secureContext: plan.context,
      // SNI carries host names only (RFC 6066); Node warns when given an IP.
      ...(net.isIP(name) === 0 ? { servername: name } : {}),
      rejectUnauthorized: false,
      ALPNProtocols: ['http/1.1'],
    });
    // Node's own secureConnect step asks for the detailed chain (getPeerCertificate(true)) on every verified
    // handshake, even with rejectUnauthorized false: answer it from the per-leaf parse, so a probe pays for the
    // leaf alone. Removed again once the handshake is done.
    let seen: SeenChain | undefined;
    const native = secure.getPeerCertificate.bind(secure) as (detailed: boolean) => tls.PeerCertificate | tls.DetailedPeerCertificate;
    const chainOnce = () => (seen ??= presentedChain(native));
    Object.defineProperty(secure, 'getPeerCertificate', {
      configurable: true,
      writable: true,
      value: (detailed?: boolean) => (detailed ? chainOnce().peer : native(false)),
    });
    const restore = () => Reflect.deleteProperty(secure, 'getPeerCertificate');
    const onAbort = () => {
      restore();
      secure.destroy();
      reject(aborted(dialPlan.signal));
    };
    if (dialPlan.signal.aborted) return onAbort();
    dialPlan.signal.addEventListener('abort', onAbort, { once: true });
    const onError = (err: Error) => {
      dialPlan.signal.removeEventListener('abort', onAbort);
      restore();
      secure.destroy();
      const code = (err as { code?: string }).code;
      // Not TLS at all: what the server sent decides Go's wording (tls-sniff.ts). Direct connections only.
      if (record && !dialPlan.proxy && code && NOT_TLS_CODES.has(code) && socket.remoteAddress && socket.remotePort) {
        void firstServerBytes(socket.remoteAddress, socket.remotePort, net.isIP(name) === 0 ? name : undefined, dialPlan.signal).then((firstBytes) => reject(Object.assign(err, { firstBytes })));
        return;
      }
      reject(err);
    };
    secure.once('error', onError);
    secure.once('secureConnect', () => {
      dialPlan.signal.removeEventListener('abort', onAbort);
      secure.removeListener('error', onError);
      const seen = chainOnce();
      restore();
      const peer = seen.peer;
      if (record) {
        dialPlan.observe.tlsMs = dialPlan.clock() - started;
        dialPlan.observe.tls = {
          protocol: secure.getProtocol(),
          cipher: secure.getCipher()?.name ?? '',
          authorized: secure.authorized,
          ...(secure.authorizationError ? { authorizationError: String((secure.authorizationError as { code?: string }).code ?? secure.authorizationError) } : {}),
          chain: seen.chain,
          ...(seen.earliestNotAfterMs !== undefined ? { earliestNotAfterMs: seen.earliestNotAfterMs } : {}),
        };
      }
      if (!plan.insecureSkipVerify) {
        const failure = verificationError(secure, name, peer);
        if (failure) {
          secure.destroy();
          return reject(failure);
        }
      }
      resolve(secure);
    });
  });
}

interface SeenChain {
  peer: tls.DetailedPeerCertificate;
  chain: NonNullable<DialObservation['tls']>['chain'];
  earliestNotAfterMs: number | undefined;
  atMs: number;
}

/** How long a parsed chain is reused for the same leaf: bounds how late a changed intermediate alone is noticed. */
const CHAIN_REUSE_MS = 60_000;
const MAX_CHAINS = 256;
const chains = new Map<string, SeenChain>();

/**
 * The presented chain, parsed. getPeerCertificate(true) turns every certificate of the chain into JS objects and
 * costs ~0.35 ms per probe, ten times the leaf alone; a target presents the same chain probe after probe, so the
 * parse is kept by the leaf's SHA-256 fingerprint. A new leaf (a rotation) is parsed at once; a changed
 * intermediate under the same leaf shows within CHAIN_REUSE_MS.
 */
function presentedChain(getPeerCertificate: (detailed: boolean) => tls.PeerCertificate | tls.DetailedPeerCertificate): SeenChain {
  const now = Date.now();
  const leaf = getPeerCertificate(false);
  const key = leaf && typeof leaf.fingerprint256 === 'string' ? leaf.fingerprint256 : undefined;
  const cached = key !== undefined ? chains.get(key) : undefined;
  if (cached && now - cached.atMs < CHAIN_REUSE_MS) return cached;
  const peer = getPeerCertificate(true) as tls.DetailedPeerCertificate;
  const chain = certChain(peer);
  const notAfters = chain.map((c) => c.notAfterMs).filter((n) => Number.isFinite(n));
  const seen: SeenChain = { peer, chain, earliestNotAfterMs: notAfters.length > 0 ? Math.min(...notAfters) : undefined, atMs: now };
  if (key !== undefined && chain.length > 0) {
    chains.delete(key);
    chains.set(key, seen);
    if (chains.size > MAX_CHAINS) {
      const oldest = chains.keys().next().value;
      if (oldest !== undefined) chains.delete(oldest);
    }
  }
  return seen;
}

function verificationError(secure: TLSSocket, name: string, peer: PeerCertificate): Error | undefined {
  if (!secure.authorized) {
    const err = secure.authorizationError as unknown;
    const code = typeof err === 'string' ? err : ((err as { code?: string })?.code ?? 'UNABLE_TO_VERIFY_LEAF_SIGNATURE');
    return Object.assign(new Error(`certificate verification failed: ${code}`), { code, cert: peer });
  }
  // Go's verification checks IP targets against IP SANs and names against DNS SANs, as checkServerIdentity does.
  return tls.checkServerIdentity(name, peer) ?? undefined;
}

function certChain(peer: tls.DetailedPeerCertificate): NonNullable<DialObservation['tls']>['chain'] {
  const out: NonNullable<DialObservation['tls']>['chain'] = [];
  const seen = new Set<string>();
  let cert: tls.DetailedPeerCertificate | undefined = peer;
  while (cert && Object.keys(cert).length > 0 && !seen.has(cert.fingerprint256) && out.length < 16) {
    seen.add(cert.fingerprint256);
    out.push({
      subject: dn(cert.subject),
      issuer: dn(cert.issuer),
      notBeforeMs: Date.parse(cert.valid_from),
      notAfterMs: Date.parse(cert.valid_to),
      ...(cert.subjectaltname ? { subjectAltName: cert.subjectaltname } : {}),
    });
    cert = cert.issuerCertificate;
  }
  return out;
}

function dn(name: tls.Certificate | undefined): string {
  if (!name) return '';
  return Object.entries(name)
    .map(([k, v]) => `${k}=${Array.isArray(v) ? v.join('+') : String(v)}`)
    .join(', ');
}

function raceAbort<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(aborted(signal));
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(aborted(signal));
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(e instanceof Error ? e : new Error(String(e)));
      },
    );
  });
}
