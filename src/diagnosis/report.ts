// What --diagnose prints: a text table (aligned, coloured only on a terminal) or SPEC's JSON rows (pure).
import type { TargetStatus } from '../status/types.js';

/** One row of `--diagnose.output=json`, with SPEC's field names. */
export interface DiagnoseRow {
  scrape_job: string;
  scrape_instance: string;
  url: string;
  result: string;
  status_code: number;
  cause: string;
  summary: string;
  fix: string;
  error: string | null;
}

export function diagnoseRows(targets: TargetStatus[]): DiagnoseRow[] {
  return targets
    .map((t) => ({
      scrape_job: t.job,
      scrape_instance: t.instance,
      url: t.url,
      result: t.result ?? 'pending',
      status_code: t.statusCode ?? 0,
      cause: t.diagnosis?.cause ?? 'pending',
      summary: t.diagnosis?.summary ?? 'The target was not probed.',
      fix: t.diagnosis?.fix ?? 'Run --diagnose again: the target appeared while the others were probed.',
      error: t.lastError ?? null,
    }))
    .sort((a, b) => a.scrape_job.localeCompare(b.scrape_job) || a.scrape_instance.localeCompare(b.scrape_instance) || a.url.localeCompare(b.url));
}

/** Exit code of --diagnose: 0 only when there were targets and every one is ok. */
export function diagnoseExitCode(rows: DiagnoseRow[]): number {
  return rows.length > 0 && rows.every((r) => r.result === 'ok') ? 0 : 1;
}

export function renderJson(rows: DiagnoseRow[]): string {
  return `${JSON.stringify(rows, null, 2)}\n`;
}

const COLOURS = { green: '\u001b[32m', red: '\u001b[31m', yellow: '\u001b[33m', bold: '\u001b[1m', reset: '\u001b[0m' };

/**
 * The table: JOB, INSTANCE, RESULT, CAUSE, STATUS and FIX, columns padded to their widest cell (the FIX column
 * last and unpadded), then one line counting the targets that are not ok. Colour codes only with `colour`.
 */
export function renderText(rows: DiagnoseRow[], colour: boolean): string {
  const paint = (text: string, code: string) => (colour ? `${code}${text}${COLOURS.reset}` : text);
  const header = ['JOB', 'INSTANCE', 'RESULT', 'CAUSE', 'STATUS', 'FIX'];
  const cells = rows.map((r) => [r.scrape_job, r.scrape_instance, r.result, r.cause, r.status_code === 0 ? '-' : String(r.status_code), r.fix]);
  const widths = header.slice(0, -1).map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  const line = (c: string[], styled: (text: string, i: number) => string) =>
    c
      .map((text, i) => (i < widths.length ? styled(text, i) + ' '.repeat(widths[i]! - text.length) : styled(text, i)))
      .join('  ')
      .trimEnd();
  const out = [line(header, (t) => paint(t, COLOURS.bold))];
  for (const c of cells) {
    const ok = c[2] === 'ok';
    out.push(line(c, (t, i) => (i === 2 || i === 3 ? paint(t, ok ? COLOURS.green : COLOURS.red) : t)));
  }
  const failing = rows.filter((r) => r.result !== 'ok').length;
  out.push('');
  out.push(
    rows.length === 0
      ? 'No targets to probe.'
      : failing === 0
        ? paint(`All ${rows.length} target(s) ok.`, COLOURS.green)
        : paint(`${failing} of ${rows.length} target(s) not ok.`, COLOURS.red),
  );
  return `${out.join('\n')}\n`;
}
