// The status page's durations: two units at most, never a zero second unit.
import { describe, expect, it } from 'vitest';
import { formatAge, formatDuration } from '../../src/web/html.js';

describe('formatDuration', () => {
  it.each([
    [0, '0s'],
    [45, '45s'],
    [59.6, '1m'],
    [200, '3m 20s'],
    [3600, '1h'],
    [3630, '1h'],
    [7500, '2h 5m'],
    [2 * 86400 + 5 * 60, '2d'],
    [3 * 86400 + 3 * 3600 + 5, '3d 3h'],
    [-200, '3m 20s'],
  ])('%d s → %s', (seconds, text) => expect(formatDuration(seconds)).toBe(text));

  it('says "just now" under a second and "… ago" after', () => {
    expect(formatAge(0.4)).toBe('just now');
    expect(formatAge(200)).toBe('3m 20s ago');
  });
});
