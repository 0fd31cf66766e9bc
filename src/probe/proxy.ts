// Which proxy a request goes through, decided as Prometheus decides it: proxy_url (with no_proxy) or the environment.
import { createHash } from 'node:crypto';
import net from 'node:net';
import { domainToASCII } from 'node:url';
import type { Secret } from '../config/secret.js';
import type { ProxyPlan } from './connect.js';

/** The process environment, injected (main passes process.env); never read at import. */
export type Environment = Readonly<Record<string, string | undefined>>;

/** prometheus/common's ProxyConfig fields, as a job or its oauth2 block carries them. */
export interface ProxySettings {
  proxy_url?: Secret | undefined;
  no_proxy?: string | undefined;
  proxy_from_environment?: boolean | undefined;
  proxy_connect_header?: Record<string, Secret[]> | undefined;
}

/** `secrets`: what the plan sends that a proxy could echo back (its password, Proxy-Authorization, CONNECT header values). */
export type ProxyDecision = { ok: true; plan: ProxyPlan | undefined; secrets: string[] } | { ok: false; message: string };

const DIRECT: ProxyDecision = Object.freeze({ ok: true, plan: undefined, secrets: Object.freeze([]) as unknown as string[] });

/** Distinct NO_PROXY / no_proxy lists kept compiled; the list of one process is short, a config has a few. */
export const MAX_COMPILED_PROXY_CONFIGS = 256;
/** Entries read from one NO_PROXY / no_proxy list; the rest is ignored (Go reads them all, but none has thousands). */
export const MAX_NO_PROXY_ENTRIES = 1024;

/**
 * The proxy for one request URL, or none. Mirrors prometheus/common's ProxyConfig.Proxy():
 * - `proxy_from_environment`: golang.org/x/net/http/httpproxy.FromEnvironment() — HTTPS_PROXY for https URLs,
 *   HTTP_PROXY for http ones (upper case first, then lower case, the first non-empty wins), NO_PROXY;
 * - `proxy_url` without `no_proxy`: http.ProxyURL, every request through the proxy (loopback included);
 * - `proxy_url` with `no_proxy`: httpproxy with both proxies set to proxy_url and that no_proxy list.
 */
export function proxyFor(url: URL, settings: ProxySettings, env: Environment = {}): ProxyDecision {
  let raw: string | undefined;
  if (settings.proxy_from_environment) {
    const https = url.protocol === 'https:';
    const chosen = getEnvAny(env, https ? ['HTTPS_PROXY', 'https_proxy'] : ['HTTP_PROXY', 'http_proxy']);
    if (chosen === '') return DIRECT;
    if (!https && (env['REQUEST_METHOD'] ?? '') !== '') {
      // httpproxy's guard against the httpoxy attack (a CGI request header becoming HTTP_PROXY).
      return { ok: false, message: 'refusing to use HTTP_PROXY value in CGI environment; see golang.org/s/cgihttpproxy' };
    }
    if (!compiled(getEnvAny(env, ['NO_PROXY', 'no_proxy'])).useProxy(url)) return DIRECT;
    raw = chosen;
  } else {
    raw = settings.proxy_url?.reveal();
    if (!raw) return DIRECT;
    if (settings.no_proxy && !compiled(settings.no_proxy).useProxy(url)) return DIRECT;
  }
  const proxy = parseProxy(raw);
  if (!proxy) return DIRECT;
  return planFor(proxy, url.protocol === 'https:', settings.proxy_connect_header);
}

/**
 * What makes two proxied connections interchangeable: a pooled connection must only be reused for a request whose
 * proxy decision is the same (proxy, its credentials, the CONNECT headers).
 */
export function proxyIdentity(plan: ProxyPlan | undefined): string {
  if (!plan) return 'direct';
  const scheme = plan.socks ? 'socks5' : plan.tls ? 'https' : 'http';
  // Hashed: the identity holds the proxy's credentials, and a map key must not.
  const text = JSON.stringify([scheme, plan.host, plan.port, plan.tunnel, plan.authorization ?? '', plan.connectHeaders ?? [], plan.socks?.auth ?? null]);
  return createHash('sha256').update(text).digest('base64');
}

function getEnvAny(env: Environment, names: string[]): string {
  for (const name of names) {
    const value = env[name];
    if (value !== undefined && value !== '') return value;
  }
  return '';
}

/** httpproxy's parseProxy: a value without a scheme ("proxy:3128") is taken as http://. */
function parseProxy(raw: string): URL | undefined {
  const direct = URL.canParse(raw) ? new URL(raw) : undefined;
  if (direct && direct.host !== '' && /^[a-z][a-z0-9+.-]*:\/\//i.test(raw)) return direct;
  return URL.canParse(`http://${raw}`) ? new URL(`http://${raw}`) : direct;
}

function planFor(proxy: URL, https: boolean, connectHeader: Record<string, Secret[]> | undefined): ProxyDecision {
  const scheme = proxy.protocol.slice(0, -1).toLowerCase();
  if (scheme === 'socks5' || scheme === 'socks5h') {
    // Go's Transport: every target (http too) through the SOCKS5 tunnel, the proxy URL's user info as RFC 1929
    // credentials, no proxy_connect_header (that is CONNECT's).
    const plan: ProxyPlan = { host: proxy.hostname, port: Number(proxy.port || 1080), tls: false, tunnel: true, socks: {} };
    const secrets: string[] = [];
    if (proxy.username || proxy.password) {
      plan.socks = { auth: { username: safeDecode(proxy.username), password: safeDecode(proxy.password) } };
      secrets.push(plan.socks.auth!.password);
    }
    return { ok: true, plan, secrets };
  }
  if (scheme !== 'http' && scheme !== 'https') {
    return { ok: false, message: `proxyconnect tcp: proxy scheme "${scheme}" is not supported by this exporter (use an http, https or socks5 proxy)` };
  }
  const tls = scheme === 'https';
  const plan: ProxyPlan = { host: proxy.hostname, port: Number(proxy.port || (tls ? 443 : 80)), tls, tunnel: https };
  const secrets: string[] = [];
  if (proxy.username || proxy.password) {
    const user = safeDecode(proxy.username);
    const pass = safeDecode(proxy.password);
    plan.authorization = `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`;
    // The scrub step adds their encoded forms (the base64 in Proxy-Authorization among them).
    secrets.push(pass, `${user}:${pass}`);
  }
  // Go's Transport sends ProxyConnectHeader on the CONNECT only; a plain http request through the proxy does not carry it.
  if (https && connectHeader) {
    const headers: [string, string][] = [];
    for (const [name, values] of Object.entries(connectHeader)) {
      if (!HEADER_NAME.test(name)) continue;
      // The proxy URL's credentials win over a configured Proxy-Authorization, as Go's Header.Set does.
      if (plan.authorization !== undefined && name.toLowerCase() === 'proxy-authorization') continue;
      // Go's Header.Write turns CR and LF in a value into spaces: no header can be smuggled onto the CONNECT.
      for (const value of values) headers.push([name, value.reveal().replace(/[\r\n]/g, ' ')]);
    }
    if (headers.length > 0) plan.connectHeaders = headers;
    secrets.push(...headers.map(([, value]) => value));
  }
  return { ok: true, plan, secrets };
}

const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

interface NoProxy {
  useProxy(url: URL): boolean;
}

const compiledLists = new Map<string, NoProxy>();

/** How many distinct lists are kept compiled (for tests of the bound). */
export function compiledNoProxyLists(): number {
  return compiledLists.size;
}

function compiled(list: string): NoProxy {
  let found = compiledLists.get(list);
  if (!found) {
    found = compileNoProxy(list);
    if (compiledLists.size >= MAX_COMPILED_PROXY_CONFIGS) compiledLists.delete(compiledLists.keys().next().value!);
    compiledLists.set(list, found);
  }
  return found;
}

interface DomainMatch {
  /** With a leading dot. */
  host: string;
  port: string;
  /** The entry had no leading dot: the domain itself matches too, not only its subdomains. */
  matchHost: boolean;
}

/** httpproxy's config.init() and useProxy(): the NO_PROXY grammar (`*`, CIDR, IP[:port], [.]domain[:port]). */
export function compileNoProxy(list: string): NoProxy {
  const ips: { blocks: net.BlockList; port: string }[] = [];
  const cidrs = new net.BlockList();
  let anyCidr = false;
  const domains: DomainMatch[] = [];
  let all = false;
  for (const entry of list.split(',').slice(0, MAX_NO_PROXY_ENTRIES)) {
    const p = entry.trim().toLowerCase();
    if (p === '') continue;
    if (p === '*') {
      all = true;
      break;
    }
    const cidr = parseCidr(p);
    if (cidr) {
      cidrs.addSubnet(cidr.address, cidr.prefix, cidr.family);
      anyCidr = true;
      continue;
    }
    const split = splitHostPort(p);
    let phost = p;
    let pport = '';
    if (split) {
      if (split.host === '') continue;
      phost = split.host;
      pport = split.port;
    }
    const family = net.isIP(phost);
    if (family !== 0 && !phost.includes('%')) {
      const blocks = new net.BlockList();
      blocks.addAddress(phost, family === 4 ? 'ipv4' : 'ipv6');
      ips.push({ blocks, port: pport });
      continue;
    }
    if (phost === '') continue;
    if (phost.startsWith('*.')) phost = phost.slice(1);
    let matchHost = false;
    if (!phost.startsWith('.')) {
      matchHost = true;
      phost = `.${phost}`;
    }
    domains.push({ host: ascii(phost), port: pport, matchHost });
  }

  return {
    useProxy(url: URL): boolean {
      const host = ascii(url.hostname.replace(/^\[|\]$/g, '')).toLowerCase();
      const port = url.port || (url.protocol === 'https:' ? '443' : url.protocol === 'http:' ? '80' : '');
      if (host === 'localhost') return false;
      const family = net.isIP(host);
      const type = family === 6 ? 'ipv6' : 'ipv4';
      if (family !== 0 && isLoopback(host, family)) return false;
      if (all) return false;
      if (family !== 0) {
        if (anyCidr && cidrs.check(host, type)) return false;
        for (const m of ips) if (m.blocks.check(host, type) && (m.port === '' || m.port === port)) return false;
        // httpproxy: a domain entry never matches an IP address.
        return true;
      }
      for (const m of domains) {
        if (host.endsWith(m.host) || (m.matchHost && host === m.host.slice(1))) {
          if (m.port === '' || m.port === port) return false;
        }
      }
      return true;
    },
  };
}

function ascii(host: string): string {
  // eslint-disable-next-line no-control-regex
  if (/^[\x00-\x7f]*$/.test(host)) return host;
  const converted = domainToASCII(host);
  return converted === '' ? host : converted;
}

const loopback = new net.BlockList();
loopback.addSubnet('127.0.0.0', 8, 'ipv4');
loopback.addAddress('::1', 'ipv6');

function isLoopback(host: string, family: number): boolean {
  return loopback.check(host, family === 6 ? 'ipv6' : 'ipv4');
}

/** net.ParseCIDR: an IP address and a prefix length within its family's bits. */
function parseCidr(p: string): { address: string; prefix: number; family: 'ipv4' | 'ipv6' } | undefined {
  const slash = p.indexOf('/');
  if (slash < 0) return undefined;
  const address = p.slice(0, slash);
  const bits = p.slice(slash + 1);
  const family = net.isIP(address);
  if (family === 0 || address.includes('%') || !/^\d{1,3}$/.test(bits)) return undefined;
  const prefix = Number(bits);
  if (prefix > (family === 4 ? 32 : 128)) return undefined;
  return { address, prefix, family: family === 4 ? 'ipv4' : 'ipv6' };
}

/** Go's net.SplitHostPort: undefined where Go returns an error (no port, too many colons, stray brackets). */
export function splitHostPort(hostport: string): { host: string; port: string } | undefined {
  const i = hostport.lastIndexOf(':');
  if (i < 0) return undefined;
  let host: string;
  let j = 0;
  let k = 0;
  if (hostport.startsWith('[')) {
    const end = hostport.indexOf(']');
    if (end < 0 || end + 1 !== i) return undefined;
    host = hostport.slice(1, end);
    j = 1;
    k = end + 1;
  } else {
    host = hostport.slice(0, i);
    if (host.includes(':')) return undefined;
  }
  if (hostport.slice(j).includes('[') || hostport.slice(k).includes(']')) return undefined;
  return { host, port: hostport.slice(i + 1) };
}
