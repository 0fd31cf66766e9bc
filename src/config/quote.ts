// What a config or web-config error may quote back: text that could be a secret never reaches a terminal or a log.
//
// A typo turns a secret into a key or a value of the wrong field: `{username: u, password:SECRET}` (no space) makes
// "password:SECRET" a key; a PEM line pasted one line off lands in `scheme`. Errors go to stderr, the reload
// response body and the log, so every error text about the user's YAML quotes keys and values through here.
import { distance } from 'fastest-levenshtein';

/** Longer keys are not field names, label names or header names. */
export const MAX_QUOTED_KEY_LENGTH = 64;
/** Longer values are not a mistyped enum word or duration. */
export const MAX_QUOTED_VALUE_LENGTH = 24;

/** How a key or value that is not shown reads in an error. */
export const NOT_SHOWN = '…';

/**
 * A field, label, header or user name: a word of name characters, not too long, and not random-looking (upper
 * and lower case letters and digits all mixed in a long run is key material or a token, not a name).
 */
export function isPlausibleName(text: string): boolean {
  if (text.length === 0 || text.length > MAX_QUOTED_KEY_LENGTH) return false;
  if (!/^[A-Za-z_][A-Za-z0-9_.@-]*$/.test(text)) return false;
  return !looksRandom(text);
}

function looksRandom(text: string): boolean {
  if (text.startsWith('eyJ')) return true; // a JWT
  // A long run of capitals and digits ("SECRETXYZ", a PEM line's "QIBADANB…"): not how names are written.
  if (/[A-Z0-9]{8,}/.test(text) && /[A-Z]/.test(text)) return true;
  return text.length >= 12 && /[a-z]/.test(text) && /[A-Z]/.test(text) && /[0-9]/.test(text);
}

/** One key of a key path: `.name`, `["X-Scope"]`, or `[…]` when it could be a secret. */
export function keyPathSegment(segment: string | number, first: boolean): string {
  if (typeof segment === 'number') return `[${segment}]`;
  if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(segment) && isPlausibleName(segment)) return first ? segment : `.${segment}`;
  if (isPlausibleName(segment)) return `[${JSON.stringify(segment)}]`;
  return `[${NOT_SHOWN}]`;
}

/**
 * The message for a key a strict mapping does not know. A value run into its key ("password:SECRET") names only
 * the known field it starts with. Otherwise the key is quoted only when it is a typo of a known field or reads
 * like a field name of a newer Prometheus (snake_case with an underscore); anything else is not shown.
 */
export function unknownFieldText(key: string, suggestion: string | undefined, known: readonly string[] = []): string {
  const runIn = /^([A-Za-z_][A-Za-z0-9_]*)\s*[:=]/.exec(key)?.[1];
  if (runIn !== undefined && (runIn === suggestion || known.includes(runIn))) {
    return `unknown field "${runIn}${NOT_SHOWN}" (the rest is not shown): is a space missing after the colon?`;
  }
  const did = suggestion !== undefined ? `, did you mean "${suggestion}"?` : '';
  const fieldLike = suggestion !== undefined || /^[a-z][a-z0-9]*(?:_[a-z0-9]+)+$/.test(key);
  if (fieldLike && isPlausibleName(key)) return `unknown field ${JSON.stringify(key)}${did}`;
  return `unknown field (not shown: it does not look like a field name and may hold a secret)${did}`;
}

/**
 * A value quoted in an error only when it looks like a mistyped word: close to one of `expected` (an enum), plain
 * words ("allow", "RequireAndVerify"), or shaped like what the field takes (`shape`, e.g. a duration). Anything
 * else, which may be a secret pasted one line off, is not shown (NOT_SHOWN).
 */
export function quoteValue(value: unknown, expected: readonly string[] = [], shape?: RegExp): string {
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (typeof value !== 'string' || value.length > MAX_QUOTED_VALUE_LENGTH || looksRandom(value)) return NOT_SHOWN;
  if (shape?.test(value)) return JSON.stringify(value);
  if (!/^[A-Za-z0-9_.+-]*$/.test(value)) return NOT_SHOWN;
  const lower = value.toLowerCase();
  const typo = expected.some((e) => distance(lower, e.toLowerCase()) <= Math.max(2, Math.floor(e.length / 3)));
  const words = /^(?:[A-Z]?[a-z]+)+$/.test(value);
  return typo || words ? JSON.stringify(value) : NOT_SHOWN;
}

/**
 * The safety net for every validation message, whoever wrote it: each double-quoted part that is not a plausible
 * name, a name cut short with "…", or a duration- or number-shaped word becomes "…". Messages quote field names,
 * enum values and job names; a message that quotes the user's text (`not a valid duration string: "…"`) cannot
 * leak a secret pasted into the wrong field.
 */
export function redactQuoted(message: string): string {
  return message.replace(/"((?:[^"\\]|\\.)*)"/g, (whole, inner: string) => (safeToQuote(inner) ? whole : `"${NOT_SHOWN}"`));
}

function safeToQuote(inner: string): boolean {
  if (inner === '' || inner === NOT_SHOWN) return true;
  if (inner.endsWith(NOT_SHOWN) && isPlausibleName(inner.slice(0, -NOT_SHOWN.length))) return true;
  if (isPlausibleName(inner)) return true;
  return inner.length <= MAX_QUOTED_VALUE_LENGTH && /^-?[0-9][0-9A-Za-z .:+-]*$/.test(inner) && !looksRandom(inner);
}
