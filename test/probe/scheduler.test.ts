// The scheduler spreads targets over the interval, keeps their slot, and never runs more than N probes at once.
import { describe, expect, it } from 'vitest';
import { nextSlot, offsetFor, Scheduler } from '../../src/probe/scheduler.js';
import { FakeClock, flush } from './fake-clock.js';

const task = (key: string, intervalMs: number, run: () => Promise<void>) => ({ key, intervalMs, run });

describe('Scheduler', () => {
  it('gives each key a stable offset inside the interval, spread over it', () => {
    const offsets = Array.from({ length: 1000 }, (_, i) => offsetFor(`job\u0000http://10.0.${i >> 8}.${i & 255}:9100/metrics`, 30_000));
    expect(offsetFor('a', 30_000)).toBe(offsetFor('a', 30_000));
    expect(Math.min(...offsets)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...offsets)).toBeLessThan(30_000);
    // Every 3-second tenth of the interval gets a fair share of 1,000 targets.
    const buckets = new Array<number>(10).fill(0);
    for (const o of offsets) buckets[Math.floor(o / 3000)]!++;
    for (const b of buckets) expect(b).toBeGreaterThan(50);
  });

  it('computes the next slot at or after now', () => {
    expect(nextSlot(100_500, 1000, 200)).toBe(101_200);
    expect(nextSlot(100_100, 1000, 200)).toBe(100_200);
  });

  it('probes every target once per interval at its offset', async () => {
    const clock = new FakeClock();
    const runs: [string, number][] = [];
    const s = new Scheduler(clock.now, clock, 10);
    s.sync(['a', 'b', 'c'].map((k) => task(k, 30_000, async () => void runs.push([k, clock.nowMs]))));
    await clock.advance(30_000);
    expect(runs.map(([k]) => k).sort()).toEqual(['a', 'b', 'c']);
    await clock.advance(60_000);
    expect(runs.length).toBe(9);
    const aTimes = runs.filter(([k]) => k === 'a').map(([, t]) => t);
    expect(aTimes[1]! - aTimes[0]!).toBe(30_000);
    expect(aTimes[0]! % 30_000).toBe(offsetFor('a', 30_000));
    s.stop();
    expect(clock.timerCount).toBe(0);
  });

  it('never runs more than max_concurrent_probes at once and queues the rest', async () => {
    const clock = new FakeClock();
    let running = 0;
    let peak = 0;
    const release: (() => void)[] = [];
    const s = new Scheduler(clock.now, clock, 3);
    s.sync(
      Array.from({ length: 20 }, (_, i) =>
        task(`t${i}`, 1000, () => {
          running++;
          peak = Math.max(peak, running);
          return new Promise<void>((r) =>
            release.push(() => {
              running--;
              r();
            }),
          );
        }),
      ),
    );
    await clock.advance(1000);
    expect(running).toBe(3);
    expect(s.inFlight).toBe(3);
    for (let i = 0; i < 40 && release.length > 0; i++) {
      release.shift()!();
      await clock.advance(0);
    }
    expect(peak).toBe(3);
    s.stop();
  });

  it('does not start a target again while its previous probe is still running', async () => {
    const clock = new FakeClock();
    let starts = 0;
    let finish: () => void = () => undefined;
    const s = new Scheduler(clock.now, clock, 5);
    s.sync([task('slow', 1000, () => { starts++; return new Promise<void>((r) => (finish = r)); })]);
    await clock.advance(5000);
    expect(starts).toBe(1);
    finish();
    await flush();
    await clock.advance(1000);
    expect(starts).toBe(2);
    s.stop();
  });

  it('stops the timers of removed targets and reschedules a changed interval', async () => {
    const clock = new FakeClock();
    const runs: string[] = [];
    const s = new Scheduler(clock.now, clock, 5);
    s.sync([task('a', 1000, async () => void runs.push('a')), task('b', 1000, async () => void runs.push('b'))]);
    s.sync([task('a', 10_000, async () => void runs.push('a'))]);
    expect(s.size).toBe(1);
    expect(clock.timerCount).toBe(1);
    await clock.advance(10_000);
    expect(runs).toEqual(['a']);
    s.stop();
  });
});
