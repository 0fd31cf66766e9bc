// Turns tls_server_config into Node TLS server options, reading the certificate files afresh each time it is asked.
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { createSecureContext, type TLSSocket, type TlsOptions } from 'node:tls';
import { readCredentialFile } from '../credentials/read.js';
import type { ClientAuthType, TlsServerConfig } from './config.js';

export interface TlsServerSettings {
  /** For https.createServer: certificate, key, client CA, versions, ciphers and the client-certificate request. */
  options: TlsOptions;
  clientAuthType: ClientAuthType;
  clientAllowedSans: string[] | undefined;
}

/** A problem with one field of tls_server_config, e.g. an unreadable cert_file; never the content of a file. */
export type TlsLoadResult = { ok: true; settings: TlsServerSettings } | { ok: false; field: string; detail: string };

type Reader = typeof readCredentialFile;

/** Reads the certificate, key and client CA and checks that they make a working server identity. */
export async function loadTlsSettings(config: TlsServerConfig, read: Reader = readCredentialFile): Promise<TlsLoadResult> {
  const cert = await material(config.cert, config.certField, read);
  if (!cert.ok) return cert;
  const key = await material(config.key, config.keyField, read);
  if (!key.ok) return key;
  const ca = config.clientCa && config.clientCaField ? await material(config.clientCa, config.clientCaField, read) : undefined;
  if (ca && !ca.ok) return ca;

  let leaf: X509Certificate;
  try {
    leaf = new X509Certificate(cert.pem);
  } catch {
    return { ok: false, field: config.certField, detail: 'does not hold a PEM certificate' };
  }
  try {
    // The key's bytes never reach a message: only whether it parses and matches.
    if (!leaf.checkPrivateKey(createPrivateKey(key.pem))) {
      return { ok: false, field: config.keyField, detail: `the private key does not belong to the certificate in ${config.certField}` };
    }
  } catch {
    return { ok: false, field: config.keyField, detail: 'does not hold a PEM private key' };
  }
  if (ca) {
    try {
      new X509Certificate(ca.pem);
    } catch {
      return { ok: false, field: config.clientCaField!, detail: 'does not hold a PEM certificate' };
    }
  }

  const auth = clientAuthOptions(config.clientAuthType);
  const options: TlsOptions = {
    cert: cert.pem,
    key: key.pem,
    minVersion: config.minVersion,
    maxVersion: config.maxVersion,
    honorCipherOrder: config.honorCipherOrder,
    ...auth,
    ...(ca ? { ca: ca.pem } : {}),
    ...(config.ciphers.length > 0 ? { ciphers: config.ciphers.join(':') } : {}),
    ...(config.curves.length > 0 ? { ecdhCurve: config.curves.join(':') } : {}),
    // HTTP/1.1 only: http_server_config.http2 is accepted, but this server speaks HTTP/1.1 over TLS.
    ALPNProtocols: ['http/1.1'],
  };
  try {
    createSecureContext(options);
  } catch (err) {
    return { ok: false, field: 'tls_server_config', detail: `cannot build a TLS context: ${firstLine(err)}` };
  }
  return { ok: true, settings: { options, clientAuthType: config.clientAuthType, clientAllowedSans: config.clientAllowedSans } };
}

/** What Node's server must ask of the client; the rest of Go's client auth policies is checked after the handshake. */
function clientAuthOptions(type: ClientAuthType): Pick<TlsOptions, 'requestCert' | 'rejectUnauthorized'> {
  switch (type) {
    case 'NoClientCert':
      return { requestCert: false, rejectUnauthorized: false };
    case 'RequestClientCert':
    case 'RequireAnyClientCert':
    case 'VerifyClientCertIfGiven':
      return { requestCert: true, rejectUnauthorized: false };
    case 'RequireAndVerifyClientCert':
      return { requestCert: true, rejectUnauthorized: true };
  }
}

/**
 * Why a finished handshake must be refused under Go's client auth policy, or undefined when it may go on.
 * RequireAndVerifyClientCert is enforced by Node itself (rejectUnauthorized); this covers the policies Node lacks.
 */
export function clientCertRefusal(socket: TLSSocket, settings: TlsServerSettings): string | undefined {
  const peer = socket.getPeerX509Certificate();
  switch (settings.clientAuthType) {
    case 'RequireAnyClientCert':
      if (!peer) return 'client did not present a certificate';
      break;
    case 'VerifyClientCertIfGiven':
      if (peer && !socket.authorized) return `client certificate not verified: ${String(socket.authorizationError)}`;
      break;
    case 'RequireAndVerifyClientCert':
      if (!peer || !socket.authorized) return 'client certificate missing or not verified';
      break;
    default:
      break;
  }
  if (settings.clientAllowedSans) {
    const sans = peer ? subjectAltNames(peer) : [];
    if (!sans.some((san) => settings.clientAllowedSans!.includes(san))) return 'client certificate has none of client_allowed_sans';
  }
  return undefined;
}

/** The DNS, IP, e-mail and URI values of a certificate's subjectAltName, as Go compares them. */
export function subjectAltNames(cert: X509Certificate): string[] {
  const text = cert.subjectAltName;
  if (!text) return [];
  return text
    .split(/,\s*/)
    .map((entry) => /^(?:DNS|IP Address|email|URI):(.*)$/.exec(entry)?.[1])
    .filter((v): v is string => v !== undefined)
    .map((v) => v.replace(/^"(.*)"$/, '$1'));
}

async function material(
  from: { file: string } | { pem: string } | { pem: { reveal(): string } },
  field: string,
  read: Reader,
): Promise<{ ok: true; pem: string } | { ok: false; field: string; detail: string }> {
  if ('pem' in from) return { ok: true, pem: typeof from.pem === 'string' ? from.pem : from.pem.reveal() };
  const outcome = await read(from.file);
  if (!outcome.ok) return { ok: false, field, detail: `cannot read ${from.file}: ${outcome.problem}` };
  return { ok: true, pem: outcome.content.toString('utf8') };
}

function firstLine(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).split('\n')[0]!;
}
