// Prometheus duration strings ("1h30m", "500ms"), parsed exactly as prometheus/common's model.ParseDuration.

const UNIT_MS: Record<string, number> = {
  y: 365 * 24 * 3600_000,
  w: 7 * 24 * 3600_000,
  d: 24 * 3600_000,
  h: 3600_000,
  m: 60_000,
  s: 1000,
  ms: 1,
};

// Units must appear in descending order, each at most once.
const ORDER = ['y', 'w', 'd', 'h', 'm', 's', 'ms'] as const;

/**
 * model.Duration is a Go time.Duration: nanoseconds in an int64. A duration that does not fit (about 292
 * years, so `300y`) is "duration out of range" in Prometheus, however many milliseconds JavaScript could hold.
 */
const MAX_NANOSECONDS = (1n << 63n) - 1n;
const NS_PER_MS = 1_000_000n;

export type DurationParse = { ok: true; ms: number } | { ok: false; error: string };

/** model.ParseDuration, with its error texts: digits then a unit, units from biggest to smallest, no sign. */
export function parseDurationDetailed(text: string): DurationParse {
  if (text === '0') return { ok: true, ms: 0 };
  if (text === '') return { ok: false, error: 'empty duration string' };
  const invalid = { ok: false, error: `not a valid duration string: ${goQuote(text)}` } as const;
  let rest = text;
  let lastUnit = -1;
  let totalNs = 0n;
  while (rest !== '') {
    const digits = /^[0-9]+/.exec(rest)?.[0];
    if (digits === undefined) return invalid;
    rest = rest.slice(digits.length);
    const unit = /^[^0-9]+/.exec(rest)?.[0];
    if (unit === undefined) return invalid;
    rest = rest.slice(unit.length);
    const pos = (ORDER as readonly string[]).indexOf(unit);
    // Newer Prometheus says `unknown unit "S" in duration "1S"`; 2.42 (the promtool we compare with) says
    // "not a valid duration string" for every syntax error, which also never quotes text apart from the input.
    if (pos < 0) return invalid;
    if (pos <= lastUnit) return invalid;
    lastUnit = pos;
    const multNs = BigInt(UNIT_MS[unit]!) * NS_PER_MS;
    const value = BigInt(digits);
    // Go parses the digits as a uint64 first: more than that is "not valid", not "out of range".
    if (value > (1n << 64n) - 1n) return invalid;
    if (value > (1n << 63n) / multNs) return { ok: false, error: 'duration out of range' };
    totalNs += value * multNs;
    if (totalNs > MAX_NANOSECONDS) return { ok: false, error: 'duration out of range' };
  }
  return { ok: true, ms: Number(totalNs / NS_PER_MS) };
}

/** Milliseconds for a Prometheus duration, or undefined when the text is not one. */
export function parseDuration(text: string): number | undefined {
  const parsed = parseDurationDetailed(text);
  return parsed.ok ? parsed.ms : undefined;
}

/** Go's %q for the plain text a user typed (only quotes and backslashes need escaping here). */
function goQuote(text: string): string {
  return JSON.stringify(text);
}

/** The canonical Prometheus spelling of a duration, e.g. 90000 → "1m30s". */
export function formatDuration(ms: number): string {
  if (ms === 0) return '0s';
  let rest = ms;
  let out = '';
  for (const unit of ORDER) {
    const size = UNIT_MS[unit]!;
    const n = Math.floor(rest / size);
    if (n > 0) {
      out += `${n}${unit}`;
      rest -= n * size;
    }
  }
  return out;
}
