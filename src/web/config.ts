// The --web.config.file format of Prometheus's exporter-toolkit: TLS, basic auth users, response headers, rate limit.
import path from 'node:path';
import type { SecureVersion } from 'node:tls';
import { z } from 'zod';
import { parseDuration } from '../config/duration.js';
import { describeIssue, issueToError, readConfigText, YamlSource, type PathSegment } from '../config/load.js';
import { isPlausibleName } from '../config/quote.js';
import { strict } from '../config/schema.js';
import { Secret } from '../config/secret.js';

export const CLIENT_AUTH_TYPES = [
  'NoClientCert',
  'RequestClientCert',
  'RequireAnyClientCert',
  // exporter-toolkit keeps this old spelling of RequireAnyClientCert working.
  'RequireClientCert',
  'VerifyClientCertIfGiven',
  'RequireAndVerifyClientCert',
] as const;
export type ClientAuthType = Exclude<(typeof CLIENT_AUTH_TYPES)[number], 'RequireClientCert'>;

const TLS_VERSIONS: Record<string, SecureVersion> = { TLS10: 'TLSv1', TLS11: 'TLSv1.1', TLS12: 'TLSv1.2', TLS13: 'TLSv1.3' };
const VERSION_ORDER: SecureVersion[] = ['TLSv1', 'TLSv1.1', 'TLSv1.2', 'TLSv1.3'];

/**
 * Go's crypto/tls cipher suite names (what exporter-toolkit users write) and their OpenSSL names (what Node takes).
 * TLS 1.3 suites map to undefined: Go ignores them in cipher_suites, and so do we.
 */
export const CIPHER_SUITES: Record<string, string | undefined> = {
  TLS_RSA_WITH_AES_128_CBC_SHA: 'AES128-SHA',
  TLS_RSA_WITH_AES_256_CBC_SHA: 'AES256-SHA',
  TLS_RSA_WITH_AES_128_GCM_SHA256: 'AES128-GCM-SHA256',
  TLS_RSA_WITH_AES_256_GCM_SHA384: 'AES256-GCM-SHA384',
  TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA: 'ECDHE-ECDSA-AES128-SHA',
  TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA: 'ECDHE-ECDSA-AES256-SHA',
  TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA: 'ECDHE-RSA-AES128-SHA',
  TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA: 'ECDHE-RSA-AES256-SHA',
  TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256: 'ECDHE-ECDSA-AES128-GCM-SHA256',
  TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384: 'ECDHE-ECDSA-AES256-GCM-SHA384',
  TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256: 'ECDHE-RSA-AES128-GCM-SHA256',
  TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384: 'ECDHE-RSA-AES256-GCM-SHA384',
  TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256: 'ECDHE-RSA-CHACHA20-POLY1305',
  TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256: 'ECDHE-ECDSA-CHACHA20-POLY1305',
  TLS_AES_128_GCM_SHA256: undefined,
  TLS_AES_256_GCM_SHA384: undefined,
  TLS_CHACHA20_POLY1305_SHA256: undefined,
};

const CURVES: Record<string, string> = { CurveP256: 'P-256', CurveP384: 'P-384', CurveP521: 'P-521', X25519: 'X25519' };

/** The response headers exporter-toolkit lets a user set, with the values it accepts where it restricts them. */
const HEADER_VALUES: Record<string, string[] | undefined> = {
  'Strict-Transport-Security': undefined,
  'X-Content-Type-Options': ['nosniff'],
  'X-Frame-Options': ['deny', 'sameorigin'],
  'X-XSS-Protection': undefined,
  'Content-Security-Policy': undefined,
};

// bcrypt's modular crypt format: $2a$, $2b$ or $2y$ (htpasswd), a two-digit cost, 53 characters of salt and hash.
const BCRYPT_RE = /^\$2[aby]\$(\d{2})\$[./A-Za-z0-9]{53}$/;

export function isBcryptHash(text: string): boolean {
  const match = BCRYPT_RE.exec(text);
  if (!match) return false;
  const cost = Number(match[1]);
  return cost >= 4 && cost <= 31;
}

const filePath = z.string().min(1, { message: 'must not be empty' });
const tlsVersion = z.enum(Object.keys(TLS_VERSIONS) as [string, ...string[]]);

const tlsServerSchema = strict({
  cert: z.string().optional(),
  key: z.string().optional(),
  client_ca: z.string().optional(),
  cert_file: filePath.optional(),
  key_file: filePath.optional(),
  client_auth_type: z.enum(CLIENT_AUTH_TYPES).optional(),
  client_ca_file: filePath.optional(),
  client_allowed_sans: z.array(z.string()).optional(),
  min_version: tlsVersion.optional(),
  max_version: tlsVersion.optional(),
  cipher_suites: z
    .array(
      z.string().refine((name) => name in CIPHER_SUITES, {
        message: "unknown cipher suite: use Go's crypto/tls names, e.g. TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
      }),
    )
    .optional(),
  prefer_server_cipher_suites: z.boolean().optional(),
  curve_preferences: z.array(z.enum(Object.keys(CURVES) as [string, ...string[]])).optional(),
});

const headersSchema = z.strictObject(
  Object.fromEntries(
    Object.entries(HEADER_VALUES).map(([name, values]) => [
      name,
      values ? z.enum(values as [string, ...string[]]).optional() : z.string().optional(),
    ]),
  ),
  {
    error: (issue) =>
      issue.code === 'unrecognized_keys'
        ? `HTTP header ${isPlausibleName(issue.keys[0] ?? '') ? `"${issue.keys[0]}"` : '(not shown)'} can not be configured (allowed: ${Object.keys(HEADER_VALUES).join(', ')})`
        : undefined,
  },
);

const webConfigSchema = strict({
  tls_server_config: tlsServerSchema.nullish(),
  http_server_config: strict({ http2: z.boolean().optional(), headers: headersSchema.nullish() }).nullish(),
  basic_auth_users: z
    .record(
      z.string().min(1, { message: 'a user name must not be empty' }),
      // Never echo the value: a plain password pasted here by mistake must not reach the terminal.
      z.string({ error: 'expected a bcrypt hash string' }).refine(isBcryptHash, {
        message: 'is not a bcrypt hash (expected $2a$, $2b$ or $2y$ with a cost from 04 to 31, e.g. from `htpasswd -nBC 10 ""`)',
      }),
    )
    .nullish(),
  rate_limit: strict({
    interval: z.string().refine((t) => parseDuration(t) !== undefined, { message: 'not a valid duration such as 1s or 100ms' }).optional(),
    burst: z.number().int().min(0).optional(),
  }).nullish(),
});

type RawWebConfig = z.output<typeof webConfigSchema>;

export interface TlsServerConfig {
  /** Where each field came from, for error messages: "cert_file" or "cert". */
  certField: 'cert_file' | 'cert';
  keyField: 'key_file' | 'key';
  clientCaField: 'client_ca_file' | 'client_ca' | undefined;
  /** Absolute path (cert_file) or inline PEM (cert). */
  cert: { file: string } | { pem: string };
  key: { file: string } | { pem: Secret };
  clientCa: { file: string } | { pem: string } | undefined;
  clientAuthType: ClientAuthType;
  clientAllowedSans: string[] | undefined;
  minVersion: SecureVersion;
  maxVersion: SecureVersion;
  /** OpenSSL names; empty means Node's defaults. */
  ciphers: string[];
  honorCipherOrder: boolean;
  /** OpenSSL curve names; empty means Node's defaults. */
  curves: string[];
}

export interface WebConfig {
  file: string;
  /** undefined when no TLS field is set: plain HTTP, as exporter-toolkit decides. */
  tls: TlsServerConfig | undefined;
  http2: boolean;
  headers: Record<string, string>;
  /** user name → bcrypt hash; empty means no basic auth. */
  users: Map<string, Secret>;
  rateLimit: { intervalMs: number; burst: number } | undefined;
}

/** Parses a web config file's text; throws a ConfigError naming file:line:col and the key path. */
export function parseWebConfig(text: string, file: string): WebConfig {
  const source = new YamlSource(text, file);
  const raw = source.toJS() ?? {};
  if (typeof raw !== 'object' || Array.isArray(raw)) {
    throw source.errorAt([], 'the web config must be a mapping (tls_server_config, http_server_config, basic_auth_users, rate_limit)');
  }
  const result = webConfigSchema.safeParse(raw, { error: describeIssue });
  if (!result.success) throw issueToError(source, result.error.issues);
  return toWebConfig(result.data, file, source);
}

/** Reads and parses a web config file (regular file, size-capped) with located errors. */
export async function readWebConfig(file: string): Promise<WebConfig> {
  return parseWebConfig(await readConfigText(file), file);
}

function toWebConfig(raw: RawWebConfig, file: string, source: YamlSource): WebConfig {
  const baseDir = path.dirname(path.resolve(file));
  const fail = (keyPath: PathSegment[], detail: string, atKey = false) => source.errorAt(keyPath, detail, atKey);
  const t = raw.tls_server_config ?? {};
  const at = (key: string): PathSegment[] => ['tls_server_config', key];

  const tlsEnabled = [t.cert, t.cert_file, t.key, t.key_file, t.client_ca, t.client_ca_file, t.client_auth_type].some((v) => v !== undefined && v !== '');
  let tls: TlsServerConfig | undefined;
  if (tlsEnabled) {
    if (!t.cert_file && !t.cert) throw fail(['tls_server_config'], 'missing one of cert or cert_file');
    if (!t.key_file && !t.key) throw fail(['tls_server_config'], 'missing one of key or key_file');
    if (t.cert_file && t.cert) throw fail(at('cert'), 'at most one of cert and cert_file', true);
    if (t.key_file && t.key) throw fail(at('key'), 'at most one of key and key_file', true);
    if (t.client_ca_file && t.client_ca) throw fail(at('client_ca'), 'at most one of client_ca and client_ca_file', true);
    const clientAuthType: ClientAuthType = t.client_auth_type === 'RequireClientCert' ? 'RequireAnyClientCert' : (t.client_auth_type ?? 'NoClientCert');
    if ((t.client_ca_file || t.client_ca) && clientAuthType === 'NoClientCert') {
      throw fail(at(t.client_ca_file ? 'client_ca_file' : 'client_ca'), 'a client CA is set but client_auth_type is NoClientCert (use RequireAndVerifyClientCert to check client certificates)', true);
    }
    if (t.client_allowed_sans !== undefined && clientAuthType !== 'RequireAnyClientCert' && clientAuthType !== 'RequireAndVerifyClientCert') {
      throw fail(at('client_allowed_sans'), 'requires client_auth_type RequireAnyClientCert or RequireAndVerifyClientCert', true);
    }
    const minVersion = TLS_VERSIONS[t.min_version ?? 'TLS12']!;
    const maxVersion = TLS_VERSIONS[t.max_version ?? 'TLS13']!;
    if (VERSION_ORDER.indexOf(minVersion) > VERSION_ORDER.indexOf(maxVersion)) {
      throw fail(at('min_version'), `min_version ${t.min_version ?? 'TLS12'} is above max_version ${t.max_version ?? 'TLS13'}`);
    }
    const abs = (p: string) => path.resolve(baseDir, p);
    tls = {
      certField: t.cert_file ? 'cert_file' : 'cert',
      keyField: t.key_file ? 'key_file' : 'key',
      clientCaField: t.client_ca_file ? 'client_ca_file' : t.client_ca ? 'client_ca' : undefined,
      cert: t.cert_file ? { file: abs(t.cert_file) } : { pem: t.cert! },
      key: t.key_file ? { file: abs(t.key_file) } : { pem: new Secret(t.key!) },
      clientCa: t.client_ca_file ? { file: abs(t.client_ca_file) } : t.client_ca ? { pem: t.client_ca } : undefined,
      clientAuthType,
      clientAllowedSans: t.client_allowed_sans,
      minVersion,
      maxVersion,
      ciphers: (t.cipher_suites ?? []).map((name) => CIPHER_SUITES[name]).filter((c): c is string => c !== undefined),
      honorCipherOrder: t.prefer_server_cipher_suites ?? true,
      curves: (t.curve_preferences ?? []).map((name) => CURVES[name]!),
    };
  } else if (Object.keys(t).length > 0) {
    const key = Object.keys(t)[0]!;
    throw fail(at(key), 'TLS options are set but no cert_file/key_file: set both to enable TLS', true);
  }

  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(raw.http_server_config?.headers ?? {})) {
    // exporter-toolkit leaves a header unset when its value is blank.
    if (typeof value === 'string' && value !== '') headers[name] = value;
  }
  const users = new Map<string, Secret>();
  for (const [user, hash] of Object.entries(raw.basic_auth_users ?? {})) users.set(user, new Secret(hash));
  const interval = raw.rate_limit?.interval !== undefined ? parseDuration(raw.rate_limit.interval)! : 0;
  if (interval > 0 && (raw.rate_limit?.burst ?? 0) < 1) {
    // A token bucket with no room refuses every request; surely not what was meant.
    throw fail(['rate_limit', 'burst'], 'must be at least 1 when rate_limit.interval is set');
  }

  return {
    file,
    tls,
    http2: raw.http_server_config?.http2 ?? true,
    headers,
    users,
    rateLimit: interval > 0 ? { intervalMs: interval, burst: raw.rate_limit?.burst ?? 0 } : undefined,
  };
}

/** The files a TLS config names, each with the key that names it. */
export function tlsFiles(tls: TlsServerConfig): { field: string; file: string }[] {
  const out: { field: string; file: string }[] = [];
  if ('file' in tls.cert) out.push({ field: 'cert_file', file: tls.cert.file });
  if ('file' in tls.key) out.push({ field: 'key_file', file: tls.key.file });
  if (tls.clientCa && 'file' in tls.clientCa) out.push({ field: 'client_ca_file', file: tls.clientCa.file });
  return out;
}
