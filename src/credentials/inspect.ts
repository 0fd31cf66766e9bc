// Says what a credential file holds — JWT, X.509 certificates, a private key or opaque bytes — and when it expires.
import { createPrivateKey, createPublicKey, X509Certificate } from 'node:crypto';
import { decodeJwt } from 'jose';
import type { CredentialType } from '../status/types.js';

/** What may be shown about a credential: never its bytes, only public facts about it. */
export interface Inspection {
  type: CredentialType;
  /** JWT `sub` or the certificate's subject DN, one line (`CN=x,O=y`). */
  subject: string | undefined;
  /** JWT `iss` or the certificate's issuer DN. */
  issuer: string | undefined;
  /** JWT `exp` or the earliest X.509 `notAfter`, Unix ms. */
  expiresMs: number | undefined;
  /** JWT `iat` (else `nbf`) or the `notBefore` of the certificate that expires first, Unix ms. */
  issuedMs: number | undefined;
  /** JWT `nbf` or the `notBefore` of the certificate that expires first, Unix ms: before it, the credential is refused. */
  notBeforeMs?: number | undefined;
  /** The `kubernetes.io` `warnafter` claim of a projected service-account token, Unix ms. */
  refreshDueMs: number | undefined;
  /** SPKI DER of the first certificate's public key, to match it with a key file. Public, not secret. */
  certPublicKey: Buffer | undefined;
  /** SPKI DER of the public half of the first private key. Public, not secret. */
  keyPublicKey: Buffer | undefined;
}

/** Label values come from the file: a hostile `sub` must not become a megabyte of label. */
export const MAX_LABEL_VALUE_LENGTH = 256;

const EMPTY: Inspection = {
  type: 'opaque',
  subject: undefined,
  issuer: undefined,
  expiresMs: undefined,
  issuedMs: undefined,
  notBeforeMs: undefined,
  refreshDueMs: undefined,
  certPublicKey: undefined,
  keyPublicKey: undefined,
};

/** Inspects a credential's (trimmed) bytes. Never throws: what cannot be parsed is `opaque`. */
export function inspectCredential(content: Buffer): Inspection {
  const text = content.toString('utf8').trim();
  if (text.includes('-----BEGIN ')) return inspectPem(text);
  if (text.length <= MAX_JWT_BYTES && JWS_COMPACT.test(text)) return inspectJwt(text);
  return EMPTY;
}

// A JWS in compact serialisation: three base64url parts. A JWE has five and is not decodable without a key.
const JWS_COMPACT = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;

function inspectJwt(text: string): Inspection {
  let claims: Record<string, unknown>;
  try {
    // Decoded, never verified: we report what the token says, the target decides whether to believe it.
    claims = decodeJwt(text);
  } catch {
    return EMPTY;
  }
  const k8s = claims['kubernetes.io'];
  const warnafter = k8s !== null && typeof k8s === 'object' ? (k8s as Record<string, unknown>).warnafter : undefined;
  return {
    ...EMPTY,
    type: 'jwt',
    subject: labelValue(claims.sub),
    issuer: labelValue(claims.iss),
    expiresMs: secondsToMs(claims.exp),
    issuedMs: secondsToMs(claims.iat) ?? secondsToMs(claims.nbf),
    notBeforeMs: secondsToMs(claims.nbf),
    refreshDueMs: secondsToMs(warnafter),
  };
}

/** A CA bundle as big as a system trust store (~150) fits; beyond this the rest of the bundle is not inspected. */
export const MAX_CERTIFICATES_PER_BUNDLE = 512;
/** PEM blocks of any kind looked at in one file (keys, parameters, damaged blocks count too). */
export const MAX_PEM_BLOCKS = 1024;
/** A projected service-account token is ~1 KiB; a "JWT" larger than this is reported as opaque, not decoded. */
export const MAX_JWT_BYTES = 64 * 1024;
/** PEM labels are short ("CERTIFICATE", "ENCRYPTED PRIVATE KEY"); a longer run is not a label. */
const MAX_PEM_LABEL = 64;

/**
 * PEM blocks found by one forward scan over the markers: each BEGIN opens a block (replacing an unclosed one),
 * the matching END closes it. Linear in the text: the former lazy regex searched to the end of the file once per
 * BEGIN marker, so 1 MiB of `-----BEGIN A-----` lines froze the process for ~30 s.
 */
export function pemBlocks(text: string, maxBlocks = MAX_PEM_BLOCKS): { label: string; block: string }[] {
  const marker = new RegExp(`-----(BEGIN|END) ([A-Z0-9 ]{1,${MAX_PEM_LABEL}})-----`, 'g');
  const blocks: { label: string; block: string }[] = [];
  let open: { label: string; start: number } | undefined;
  for (const match of text.matchAll(marker)) {
    const [whole, kind, label] = match as unknown as [string, string, string];
    if (kind === 'BEGIN') {
      open = { label, start: match.index };
    } else if (open && open.label === label) {
      blocks.push({ label, block: text.slice(open.start, match.index + whole.length) });
      open = undefined;
      if (blocks.length >= maxBlocks) break;
    }
  }
  return blocks;
}

function inspectPem(text: string): Inspection {
  const certs: X509Certificate[] = [];
  let keyFound = false;
  let keyPublicKey: Buffer | undefined;
  for (const { label, block } of pemBlocks(text)) {
    if (label === 'CERTIFICATE') {
      if (certs.length >= MAX_CERTIFICATES_PER_BUNDLE) continue;
      try {
        certs.push(new X509Certificate(block));
      } catch {
        // A damaged block among good ones: the others still say when the bundle expires.
      }
    } else if (label === 'ENCRYPTED PRIVATE KEY') {
      // Needs a passphrase Prometheus does not support either; still recognisably a key.
      keyFound = true;
    } else if (label.endsWith('PRIVATE KEY')) {
      if (keyFound && keyPublicKey) continue;
      try {
        const key = createPrivateKey(block);
        keyFound = true;
        keyPublicKey ??= createPublicKey(key).export({ type: 'spki', format: 'der' });
      } catch {
        // Not a key node:crypto can load: not counted as one.
      }
    }
  }
  if (certs.length > 0) {
    // The bundle is only as good as its first certificate to expire.
    const first = certs.reduce((a, b) => (notAfterMs(b) < notAfterMs(a) ? b : a));
    return {
      type: 'x509',
      subject: labelValue(oneLineDn(first.subject)),
      issuer: labelValue(oneLineDn(first.issuer)),
      expiresMs: notAfterMs(first),
      issuedMs: Date.parse(first.validFrom),
      notBeforeMs: Date.parse(first.validFrom),
      refreshDueMs: undefined,
      certPublicKey: spkiOf(certs[0]!),
      keyPublicKey,
    };
  }
  if (keyFound) return { ...EMPTY, type: 'private_key', keyPublicKey };
  return EMPTY;
}

/** A key type this OpenSSL build cannot export is no reason to lose the rest of the inspection. */
function spkiOf(cert: X509Certificate): Buffer | undefined {
  try {
    return cert.publicKey.export({ type: 'spki', format: 'der' });
  } catch {
    return undefined;
  }
}

function notAfterMs(cert: X509Certificate): number {
  return Date.parse(cert.validTo);
}

/**
 * Node prints a DN one attribute per line in certificate order, most general first ("C=US\nO=Acme\nCN=app"),
 * with special characters already escaped; RFC 4514 (and openssl -nameopt RFC2253) writes it on one line,
 * most specific first: "CN=app,O=Acme,C=US".
 */
export function oneLineDn(multiline: string): string {
  return multiline
    .split('\n')
    .filter((line) => line.length > 0)
    .reverse()
    .join(',');
}

function secondsToMs(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value * 1000 : undefined;
}

function labelValue(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  return value.length > MAX_LABEL_VALUE_LENGTH ? `${value.slice(0, MAX_LABEL_VALUE_LENGTH)}…` : value;
}

/** Whether a certificate and a key belong together: the same public key. False when either could not be loaded, as Prometheus would fail then too. */
export function publicKeysMatch(certPublicKey: Buffer | undefined, keyPublicKey: Buffer | undefined): boolean {
  return certPublicKey !== undefined && keyPublicKey !== undefined && certPublicKey.equals(keyPublicKey);
}
