// Tells from the first bytes of a 200 whether it is a Prometheus text or OpenMetrics exposition (or a login page).

/** A sample line: a metric name and/or label set, then a value, then an optional timestamp or exemplar. */
const SAMPLE = /^(?:[a-zA-Z_:][a-zA-Z0-9_:]*\s*(?:\{.*\})?|\{.*\})\s+(?:[-+]?(?:[0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?|[0-9]+\.)|[-+]?Inf|NaN|0x[0-9a-fA-F]+)(?:\s+[-+]?[0-9.eE]+)?(?:\s*#.*)?\s*$/;
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
    const line = raw.replace(/\r$/, '');
    if (line.trim() === '') continue;
    if (COMMENT.test(line)) continue;
    if (!SAMPLE.test(line)) return { ok: false, reason: `line ${checked + 1} is not a sample: ${JSON.stringify(line.slice(0, 80))}` };
    checked++;
  }
  return { ok: true };
}
