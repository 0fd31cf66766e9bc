// Attack: a target answers bodies built to make the exposition check or the 403 parser backtrack. Each must finish.
// The former exposition pattern took ~26 s on a 64 KiB line of spaces and ~48 s on one of digits (single-threaded,
// the whole process frozen); the test timeout below is far under that, so a quadratic matcher fails here.
import { describe, expect, it } from 'vitest';
import { checkExposition, isSampleLine } from '../../src/probe/exposition.js';
import { MAX_FORBIDDEN_SCAN_CHARS, parseForbidden } from '../../src/probe/forbidden.js';
import { MAX_BODY_BYTES } from '../../src/probe/probe.js';
import { randomInputs } from '../helpers/fuzz.js';

const N = MAX_BODY_BYTES;
const TIMEOUT = 15_000;

const pathological: [string, string][] = [
  ['a name then 64 KiB of spaces', `a${' '.repeat(N)}x`],
  ['a name then 64 KiB of digits', `a ${'1'.repeat(N)}x`],
  ['a value then digits and dots', `a 1 ${'1.'.repeat(N / 2)}x`],
  ['many closing braces', `a{${'} 1 '.repeat(N / 4)}x`],
  ['an unclosed label set', `a{${'x="'.repeat(N / 3)}`],
  ['escaped quotes', `a{x="${'\\"'.repeat(N / 2)}`],
  ['tabs and spaces alternating', `a{}${' \t'.repeat(N / 2)}1 x`],
  ['exemplar markers', `a 1 ${' #'.repeat(N / 2)}`],
  ['a name run', `${'a'.repeat(N)} `],
  ['one line per byte', 'a 1\n'.repeat(N / 4)],
];

describe('checkExposition under attack', () => {
  it.each(pathological)('finishes on %s', (_name, body) => {
    const verdict = checkExposition('text/plain', body, false);
    expect(typeof verdict.ok).toBe('boolean');
  }, TIMEOUT);

  it('finishes on 300 random bodies of sample-like pieces and agrees with itself on valid lines', () => {
    const inputs = randomInputs(12, ['a', '_', ':', '{', '}', '"', '\\', '=', ',', ' ', '\t', '1', '.', 'e', '+', '-', '#', 'Inf', 'NaN', '0x1f', '\n'], 300, 8192);
    for (const body of inputs) checkExposition('text/plain', body, false);
    expect(isSampleLine('a{b="}"} 1 2 # {t="x"} 1')).toBe(true);
    expect(isSampleLine('a 1 2 3')).toBe(false);
  }, TIMEOUT);
});

describe('parseForbidden under attack', () => {
  it.each([
    ['repeated openings', 'Forbidden ('.repeat(N / 11)],
    ['an opening then no closing', `Forbidden (${'user=a,'.repeat(N / 7)}`],
    ['commas', `Forbidden (${','.repeat(1000)})`],
    ['the line after the scanned head', `${' '.repeat(MAX_FORBIDDEN_SCAN_CHARS)}Forbidden (user=a, verb=get, resource=nodes)`],
  ])('finishes on %s', (_name, body) => {
    expect(parseForbidden(body)).toBeUndefined();
  }, TIMEOUT);

  it('finishes on 300 random bodies', () => {
    const inputs = randomInputs(34, ['Forbidden (', ')', '(', 'user=', 'verb=', ',', '=', ' ', '\n', 'x'], 300, N);
    for (const body of inputs) parseForbidden(body);
    expect(parseForbidden('Forbidden (user=a, verb=get, resource=nodes)')?.user).toBe('a');
  }, TIMEOUT);
});
