// Builds a TLS secure context once per distinct CA/cert/key/version set and reuses it while the content is unchanged.
import { createHash } from 'node:crypto';
import { createSecureContext, type SecureContext } from 'node:tls';

export interface TlsMaterial {
  ca?: string;
  cert?: string;
  key?: string;
  minVersion?: 'TLSv1' | 'TLSv1.1' | 'TLSv1.2' | 'TLSv1.3';
  maxVersion?: 'TLSv1' | 'TLSv1.1' | 'TLSv1.2' | 'TLSv1.3';
}

/** `key`: the digest of the material, so a kept connection can tell whether it was made with the same files. */
export type ContextOutcome = { ok: true; context: SecureContext; key: string } | { ok: false; error: Error };

/**
 * createSecureContext parses the CA bundle and key on every call (~1 ms of CPU each), so contexts are kept by a
 * digest of their content. Keyed on content, not path: a rotated file gets a new context at the very next probe.
 * Sessions are never resumed (a new connection does a full handshake), so a context holds no per-target state.
 */
export class SecureContextCache {
  private readonly contexts = new Map<string, SecureContext>();
  /**
   * The last few materials asked for, compared field by field before any hashing: a probe asks with the strings
   * the credential files gave (the same strings while the files are unchanged), so this costs a few pointer
   * comparisons where the digest cost a SHA-256 over every certificate and key of the job.
   */
  private readonly recent: { material: TlsMaterial; context: SecureContext; key: string }[] = [];

  constructor(private readonly maxEntries = 256) {}

  get size(): number {
    return this.contexts.size;
  }

  get(material: TlsMaterial): ContextOutcome {
    for (const seen of this.recent) {
      if (sameMaterial(seen.material, material)) return { ok: true, context: seen.context, key: seen.key };
    }
    const outcome = this.byDigest(material);
    if (outcome.ok) {
      this.recent.unshift({ material: { ...material }, context: outcome.context, key: outcome.key });
      if (this.recent.length > RECENT_MATERIALS) this.recent.pop();
    }
    return outcome;
  }

  private byDigest(material: TlsMaterial): ContextOutcome {
    const key = digest(material);
    const cached = this.contexts.get(key);
    if (cached) {
      // Map order is insertion order: re-inserting keeps the most recently used last.
      this.contexts.delete(key);
      this.contexts.set(key, cached);
      return { ok: true, context: cached, key };
    }
    let context: SecureContext;
    try {
      context = createSecureContext({
        ...(material.ca !== undefined ? { ca: material.ca } : {}),
        ...(material.cert !== undefined ? { cert: material.cert } : {}),
        ...(material.key !== undefined ? { key: material.key } : {}),
        minVersion: material.minVersion ?? 'TLSv1.2',
        ...(material.maxVersion !== undefined ? { maxVersion: material.maxVersion } : {}),
      });
    } catch (err) {
      // OpenSSL's words about a bad PEM or a key that does not match; never the bytes themselves.
      const code = (err as { code?: string }).code;
      const reason = (err as { reason?: string }).reason ?? (err instanceof Error ? err.message.split('\n')[0] : 'invalid TLS material');
      return { ok: false, error: Object.assign(new Error(`tls: ${String(reason).toLowerCase()}`), { code: code ?? 'ERR_TLS_MATERIAL' }) };
    }
    this.contexts.set(key, context);
    while (this.contexts.size > this.maxEntries) {
      const oldest = this.contexts.keys().next().value;
      if (oldest === undefined) break;
      this.contexts.delete(oldest);
    }
    return { ok: true, context, key };
  }
}

/** Jobs with distinct TLS material asked for without hashing; beyond them the digest decides. */
const RECENT_MATERIALS = 16;

function sameMaterial(a: TlsMaterial, b: TlsMaterial): boolean {
  return a.ca === b.ca && a.cert === b.cert && a.key === b.key && a.minVersion === b.minVersion && a.maxVersion === b.maxVersion;
}

function digest(m: TlsMaterial): string {
  const hash = createHash('sha256');
  for (const part of [m.ca, m.cert, m.key, m.minVersion, m.maxVersion]) {
    hash.update(part === undefined ? '\u0000-' : `\u0001${part.length}:${part}`);
  }
  return hash.digest('hex');
}
