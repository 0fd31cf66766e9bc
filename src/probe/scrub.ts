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

/** Secrets one probe may collect: a job sends a handful (a token, a password, some header secrets). */
export const MAX_SENT_SECRETS = 64;

/**
 * Every secret one probe sent, in every form a target could echo it. The extension point: whatever new a probe
 * sends (an oauth2 token or client secret, a proxy_connect_header secret) is `add`ed here by the code that sends it.
 *
 * Cheap on the common path: `add` only records the value. Its encoded forms are built the first time a text at
 * least as long as the secret is scrubbed (every form is at least as long as the secret itself), so a probe whose
 * result holds only short texts (a URL, "server returned HTTP status 401 Unauthorized") never builds them.
 */
export class SentSecrets {
  private readonly raw = new Set<string>();
  private readonly expanded = new Set<string>();
  private readonly needles = new Set<string>();
  private lowerNeedles: string[] = [];
  private pattern: RegExp | undefined;

  /** A secret value as sent (a token, a password, a header secret). */
  add(secret: string): this {
    if (secret.length >= MIN_SCRUB_LENGTH && this.raw.size < MAX_SENT_SECRETS) this.raw.add(secret);
    return this;
  }

  /**
   * HTTP basic auth: the password and `user:pass` (whose base64 is the header value). The user name alone is not
   * secret (Prometheus does not treat it as one) and is left readable.
   */
  addBasic(user: string, password: string): this {
    if (password === '') return this;
    this.add(password);
    return this.add(`${user}:${password}`);
  }

  /** How many secrets were recorded. */
  get size(): number {
    return this.raw.size;
  }

  /** How many forms are searched for so far (bounded by MAX_SCRUB_NEEDLES). */
  get forms(): number {
    return this.needles.size;
  }

  /** `text` with every form of every secret replaced by "<secret>". */
  scrub(text: string): string {
    for (const secret of this.raw) if (text.length >= secret.length && !this.expanded.has(secret)) this.expand(secret);
    if (this.needles.size === 0) return text;
    // Most texts hold no secret: a substring test per form is cheaper than the pattern.
    const lower = text.toLowerCase();
    if (!this.lowerNeedles.some((needle) => needle.length <= lower.length && lower.includes(needle))) return text;
    this.pattern ??= new RegExp(
      // Longest first, so a whole encoded form is replaced before a part of it; case-insensitive, as
      // percent-encoding and echoes vary case.
      [...this.needles].sort((a, b) => b.length - a.length).map(escapeRegExp).join('|'),
      'gi',
    );
    this.pattern.lastIndex = 0;
    return text.replace(this.pattern, REDACTED);
  }

  private expand(secret: string): void {
    this.expanded.add(secret);
    for (const form of encodings(secret)) {
      if (this.needles.size >= MAX_SCRUB_NEEDLES) break;
      if (form.length >= MIN_SCRUB_LENGTH && !this.needles.has(form)) {
        this.needles.add(form);
        this.lowerNeedles.push(form.toLowerCase());
      }
    }
    this.pattern = undefined;
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
  const forms = [secret];
  const uri = encodeURIComponent(secret);
  if (uri !== secret) forms.push(uri, uri.replace(/%20/g, '+'));
  const json = JSON.stringify(secret);
  if (json.length !== secret.length + 2) forms.push(json.slice(1, -1));
  const bytes = Buffer.from(secret, 'utf8');
  // Inside a longer base64 text the secret starts at any of three byte offsets; keep the characters that depend
  // on the secret's bytes alone ("Basic " + base64(user:pass) holds base64 of the password at some offset).
  const padded = Buffer.alloc(bytes.length + 2);
  bytes.copy(padded, 2);
  for (let pad = 0; pad < 3; pad++) {
    const encoded = padded.subarray(2 - pad).toString('base64');
    if (pad === 0) forms.push(encoded, toBase64Url(encoded));
    const unpadded = encoded.replace(/=+$/, '');
    const start = pad === 0 ? 0 : pad + 1;
    const end = (pad + bytes.length) % 3 === 0 ? unpadded.length : unpadded.length - 1;
    if (end - start >= 8) {
      const slice = unpadded.slice(start, end);
      forms.push(slice, toBase64Url(slice));
    }
  }
  return forms;
}

function toBase64Url(base64: string): string {
  return base64.replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
