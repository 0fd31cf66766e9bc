// Small text helpers for the status page: HTML escaping and human-readable durations.
import { twoLargestUnits } from '../diagnosis/format.js';

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Escapes text for an HTML element or a quoted attribute: every value on the page goes through here. */
export function escapeHtml(value: unknown): string {
  return String(value).replace(/[&<>"']/g, (c) => ESCAPES[c]!);
}

/** A tagged template whose interpolations are escaped unless they are already `Html`. */
export class Html {
  constructor(readonly text: string) {}
  toString(): string {
    return this.text;
  }
}

export function html(strings: TemplateStringsArray, ...values: unknown[]): Html {
  let out = strings[0]!;
  values.forEach((value, i) => {
    out += render(value) + strings[i + 1]!;
  });
  return new Html(out);
}

function render(value: unknown): string {
  if (value instanceof Html) return value.text;
  if (Array.isArray(value)) return value.map(render).join('');
  if (value === undefined || value === null || value === false) return '';
  return escapeHtml(value);
}

/** "45s", "3m 20s", "2h 5m", "4d 3h": two units at most, enough to act on. */
export function formatDuration(seconds: number): string {
  const s = Math.abs(Math.round(seconds));
  return twoLargestUnits(s).join(' ');
}

/** "12s ago" for a past moment. */
export function formatAge(ageSeconds: number): string {
  return ageSeconds < 1 ? 'just now' : `${formatDuration(ageSeconds)} ago`;
}

/** "in 3d 4h" or "expired 2h ago". */
export function formatExpiresIn(expiresInSeconds: number): string {
  return expiresInSeconds >= 0 ? `in ${formatDuration(expiresInSeconds)}` : `expired ${formatDuration(expiresInSeconds)} ago`;
}

/** Milliseconds as "850ms" or seconds as "1.25s". */
export function formatSeconds(seconds: number): string {
  return seconds < 1 ? `${Math.round(seconds * 1000)}ms` : `${seconds.toFixed(2)}s`;
}
