// Tells from the first bytes of a 200 whether it is a Prometheus text or OpenMetrics exposition (or a login page).

/**
 * A sample line is checked by a single left-to-right scan, never by one regular expression over the whole line:
 * the former pattern (`name\s*(\{.*\})?\s+value…`) backtracked quadratically, so a target answering a 64 KiB line
 * of spaces or digits froze the process for tens of seconds. Each helper below moves forward only.
 */
const NAME_START = /[a-zA-Z_:]/;
const NAME_CHAR = /[a-zA-Z0-9_:]/;
/** One value token (no white space inside): a float, ±Inf, NaN or hex. Unambiguous, so linear. */
const VALUE = /^(?:[-+]?(?:(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][-+]?[0-9]+)?|Inf)|NaN|0x[0-9a-fA-F]+)$/;
const TIMESTAMP = /^[-+]?[0-9.eE]+$/;
const COMMENT = /^#(?:\s|$)/;

export interface ExpositionVerdict {
  ok: boolean;
  /** Why it is not an exposition, for the debug trace: the first offending line, shortened. */
  reason?: string;
}

/**
 * Whether `prefix` reads as a text exposition. Not a parser: enough to tell metrics from HTML, JSON or a
 * proxy's login page. An empty body is a valid (empty) exposition, as Prometheus treats it.
 * `truncated`: the prefix ends before the body did, so its last line may be cut.
 * Linear in the prefix (itself capped at MAX_BODY_BYTES by the probe).
 */
export function checkExposition(contentType: string | undefined, prefix: string, truncated: boolean): ExpositionVerdict {
  const type = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  // Protobuf is binary; Prometheus only gets it when it asks, but a target may answer it anyway.
  if (type === 'application/vnd.google.protobuf') return { ok: true };
  if (type === 'text/html' || type === 'application/json' || type === 'application/xhtml+xml') {
    return { ok: false, reason: `Content-Type ${type} is not a metrics exposition` };
  }
  const lines = prefix.split('\n');
  if (truncated) lines.pop();
  let checked = 0;
  for (const raw of lines) {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (line.trim() === '') continue;
    if (COMMENT.test(line)) continue;
    if (!isSampleLine(line)) return { ok: false, reason: `line ${checked + 1} is not a sample: ${JSON.stringify(line.slice(0, 80))}` };
    checked++;
  }
  return { ok: true };
}

function isSpace(c: string | undefined): boolean {
  return c === ' ' || c === '\t' || c === '\f' || c === '\v';
}

/** `name[{labels}] value [timestamp] [# exemplar]` or `{labels} value …` (OpenMetrics 2 / UTF-8 names). */
export function isSampleLine(line: string): boolean {
  let i = 0;
  const n = line.length;
  if (NAME_START.test(line[0] ?? '')) {
    i = 1;
    while (i < n && NAME_CHAR.test(line[i]!)) i++;
    let j = i;
    while (j < n && isSpace(line[j])) j++;
    if (line[j] === '{') {
      i = skipLabels(line, j);
      if (i < 0) return false;
    }
  } else if (line[0] === '{') {
    i = skipLabels(line, 0);
    if (i < 0) return false;
  } else {
    return false;
  }
  // At least one blank between the name or labels and the value.
  if (!isSpace(line[i])) return false;
  while (i < n && isSpace(line[i])) i++;
  const valueEnd = tokenEnd(line, i);
  if (!VALUE.test(line.slice(i, valueEnd))) return false;
  i = valueEnd;
  while (i < n && isSpace(line[i])) i++;
  if (i >= n || line[i] === '#') return true;
  const tsEnd = tokenEnd(line, i);
  if (!TIMESTAMP.test(line.slice(i, tsEnd))) return false;
  i = tsEnd;
  while (i < n && isSpace(line[i])) i++;
  return i >= n || line[i] === '#';
}

/** Index just past the `}` closing the label set opened at `start`, quotes and escapes respected; -1 if none. */
function skipLabels(line: string, start: number): number {
  let quoted = false;
  for (let i = start + 1; i < line.length; i++) {
    const c = line[i];
    if (quoted) {
      if (c === '\\') i++;
      else if (c === '"') quoted = false;
    } else if (c === '"') {
      quoted = true;
    } else if (c === '}') {
      return i + 1;
    }
  }
  return -1;
}

/** End of the token starting at `i`: the next blank or `#` (an exemplar may follow a value without a blank). */
function tokenEnd(line: string, i: number): number {
  let j = i;
  while (j < line.length && !isSpace(line[j]) && line[j] !== '#') j++;
  return j;
}
