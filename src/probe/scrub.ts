// Scrubs every secret a probe sent out of the text a target or proxy sends back, before it reaches any output.
//
// A target can echo what it received: a 403 body quoting the Authorization header, a 200 body holding the token,
// a proxy's 407 quoting Proxy-Authorization, a Location or WWW-Authenticate header. Whatever a probe sends is
// collected in one SentSecrets, and `scrubDeep` runs over the finished ProbeResult, so no output (metric, log,
// status page, API, debug trace) can forget it.

/** What a scrubbed secret reads as, as prometheus/common prints a Secret. */
export const REDACTED = '<secret>';

/**
 * Shorter secrets are not scrubbed: replacing every "ab" in an error would garble it and protect nothing (a
 * two-character password is guessed, not leaked). Encoded forms shorter than this are skipped for the same reason.
 */
export const MIN_SCRUB_LENGTH = 4;

/** Bounds the work per probe: a job sends a handful of secrets, each in a few encodings. */
export const MAX_SCRUB_NEEDLES = 512;

/** Nesting the deep scrub follows; a ProbeResult is four levels deep. */
const MAX_DEPTH = 8;

/**
 * Every secret one probe sent, in every form a target could echo it. The extension point: whatever new a probe
 * sends (an oauth2 token or client secret, a proxy_connect_header secret) is `add`ed here by the code that sends it.
 */
export class SentSecrets {
  private readonly needles = new Set<string>();
  private pattern: RegExp | undefined | null = null;

  /** A secret value as sent (a token, a password, a header secret, a whole header value). */
  add(secret: string): this {
    if (secret.length < MIN_SCRUB_LENGTH) return this;
    for (const form of encodings(secret)) {
      if (this.needles.size >= MAX_SCRUB_NEEDLES) break;
      if (form.length >= MIN_SCRUB_LENGTH) this.needles.add(form);
    }
    this.pattern = null;
    return this;
  }

  /** HTTP basic auth: the password, `user:pass` and its base64 (the header value itself is added by the caller). */
  addBasic(user: string, password: string): this {
    this.add(password);
    return this.add(`${user}:${password}`);
  }

  get size(): number {
    return this.needles.size;
  }

  /** `text` with every form of every secret replaced by "<secret>". */
  scrub(text: string): string {
    const pattern = this.compiled();
    if (!pattern) return text;
    pattern.lastIndex = 0;
    return text.replace(pattern, REDACTED);
  }

  private compiled(): RegExp | undefined {
    if (this.pattern !== null) return this.pattern;
    // Longest first, so "Bearer T" is replaced whole before "T" alone; case-insensitive, as percent-encoding
    // and header echoes vary case.
    const sorted = [...this.needles].sort((a, b) => b.length - a.length);
    this.pattern = sorted.length === 0 ? undefined : new RegExp(sorted.map(escapeRegExp).join('|'), 'gi');
    return this.pattern;
  }
}

/** Every string inside `value` (objects and arrays, depth-bounded) scrubbed; other values kept as they are. */
export function scrubDeep<T>(value: T, secrets: SentSecrets, depth = 0): T {
  if (secrets.size === 0) return value;
  if (typeof value === 'string') return secrets.scrub(value) as T;
  if (value === null || typeof value !== 'object' || depth >= MAX_DEPTH) return value;
  if (Array.isArray(value)) return value.map((v) => scrubDeep(v, secrets, depth + 1)) as T;
  if (Object.getPrototypeOf(value) !== Object.prototype) return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = scrubDeep(v, secrets, depth + 1);
  return out as T;
}

/** The forms a secret takes on the wire and in echoes: raw, base64 (any alignment), base64url, URL- and JSON-encoded. */
function encodings(secret: string): string[] {
  const bytes = Buffer.from(secret, 'utf8');
  const forms = [secret, encodeURIComponent(secret), new URLSearchParams({ s: secret }).toString().slice(2), JSON.stringify(secret).slice(1, -1)];
  for (const b64 of ['base64', 'base64url'] as const) {
    forms.push(bytes.toString(b64));
    // Inside a longer base64 text the secret starts at any of three byte offsets; keep the characters that depend
    // on the secret's bytes alone ("Basic " + base64(user:pass) holds base64 of the password at some offset).
    for (let pad = 0; pad < 3; pad++) {
      const encoded = Buffer.concat([Buffer.alloc(pad), bytes]).toString(b64).replace(/=+$/, '');
      const start = pad === 0 ? 0 : pad + 1;
      const total = pad + bytes.length;
      const end = total % 3 === 0 ? encoded.length : encoded.length - 1;
      if (end - start >= 8) forms.push(encoded.slice(start, end));
    }
  }
  return [...new Set(forms)];
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
