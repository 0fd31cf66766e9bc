// The scheduler spreads targets over the interval, keeps their slot, and never runs more than N probes at once.
import { describe, expect, it } from 'vitest';
import { FIRST_ROUND_MS, nextSlot, offsetFor, Scheduler, SLOT_GRID_MS } from '../../src/probe/scheduler.js';
import { FakeClock, flush } from './fake-clock.js';

/** Node timers may fire up to 1 ms before Date.now() reaches their slot: this clock's always do. */
class EarlyClock extends FakeClock {
  override setTimeout(fn: () => void, ms: number): unknown {
    return super.setTimeout(fn, Math.max(0, ms - 1));
  }
}

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

  it('puts slots on a grid (SLOT_GRID_MS, or a hundredth of a short interval), so targets due together share a wake-up', () => {
    const keys = Array.from({ length: 1000 }, (_, i) => `job\u0000http://10.0.${i >> 8}.${i & 255}:9100/metrics`);
    expect(keys.every((k) => offsetFor(k, 30_000) % SLOT_GRID_MS === 0)).toBe(true);
    expect(keys.every((k) => offsetFor(k, 2000) % 20 === 0)).toBe(true);
    // Still spread: at 30 s, 1,000 targets use most of the 120 ticks of the interval.
    expect(new Set(keys.map((k) => offsetFor(k, 30_000))).size).toBeGreaterThan(100);
  });

  it('computes the next slot at or after now', () => {
    expect(nextSlot(100_500, 1000, 200)).toBe(101_200);
    expect(nextSlot(100_100, 1000, 200)).toBe(100_200);
  });

  it('probes every target once per interval at its offset after the first round', async () => {
    const clock = new FakeClock();
    const runs: [string, number][] = [];
    const s = new Scheduler(clock.now, clock, 10);
    s.sync(['a', 'b', 'c'].map((k) => task(k, 30_000, async () => void runs.push([k, clock.nowMs]))));
    await clock.advance(FIRST_ROUND_MS);
    expect(runs.map(([k]) => k).sort()).toEqual(['a', 'b', 'c']);
    runs.length = 0;
    await clock.advance(90_000);
    const aTimes = runs.filter(([k]) => k === 'a').map(([, t]) => t);
    expect(aTimes.length).toBeGreaterThanOrEqual(2);
    expect(aTimes[1]! - aTimes[0]!).toBe(30_000);
    expect(aTimes[0]! % 30_000).toBe(offsetFor('a', 30_000));
    s.stop();
    expect(clock.timerCount).toBe(0);
  });

  it('probes a target once per slot when its timers fire 1 ms early (no double probe)', async () => {
    const clock = new EarlyClock();
    const runs = new Map<string, number[]>();
    const keys = Array.from({ length: 200 }, (_, i) => `t${i}`);
    const s = new Scheduler(clock.now, clock, 1000);
    s.sync(keys.map((k) => task(k, 1000, async () => void runs.set(k, [...(runs.get(k) ?? []), clock.nowMs]))));
    await clock.advance(10_000);
    for (const k of keys) {
      const times = runs.get(k)!;
      // Consecutive probes of one target are an interval apart (less the early millisecond), never 1 ms.
      for (let i = 2; i < times.length; i++) expect(times[i]! - times[i - 1]!).toBeGreaterThanOrEqual(999);
      expect(times.length).toBeLessThanOrEqual(11);
    }
    s.stop();
  });

  it('finishes the first round of a new target set within min(interval, 5s), never more than max_concurrent_probes at once', async () => {
    for (const intervalMs of [30_000, 2000]) {
      const clock = new FakeClock();
      const started = clock.nowMs;
      let running = 0;
      let peak = 0;
      const first = new Map<string, number>();
      const keys = Array.from({ length: 1000 }, (_, i) => `job\u0000http://10.0.${i >> 8}.${i & 255}:9100/metrics`);
      const s = new Scheduler(clock.now, clock, 8);
      s.sync(
        keys.map((k) =>
          task(k, intervalMs, async () => {
            running++;
            peak = Math.max(peak, running);
            if (!first.has(k)) first.set(k, clock.nowMs - started);
            await flush();
            running--;
          }),
        ),
      );
      await clock.advance(Math.min(intervalMs, FIRST_ROUND_MS));
      expect(first.size).toBe(1000);
      expect(peak).toBeLessThanOrEqual(8);
      // Spread over the window, not fired at once: no more than a fair share start in its first tenth.
      const window = Math.min(intervalMs, FIRST_ROUND_MS);
      expect([...first.values()].filter((t) => t < window / 10).length).toBeLessThan(300);
      s.stop();
    }
  });

  it('gives a target new in a reload its first round; the others keep their slots', async () => {
    const clock = new FakeClock();
    const runs: [string, number][] = [];
    const make = (k: string) => task(k, 30_000, async () => void runs.push([k, clock.nowMs]));
    const s = new Scheduler(clock.now, clock, 10);
    s.sync([make('a')]);
    await clock.advance(60_000);
    runs.length = 0;
    const reloadAt = clock.nowMs;
    s.sync([make('a'), make('b')]);
    await clock.advance(FIRST_ROUND_MS);
    expect(runs.filter(([k]) => k === 'b').length).toBe(1);
    await clock.advance(60_000 - FIRST_ROUND_MS);
    const aTimes = runs.filter(([k]) => k === 'a').map(([, t]) => t);
    for (const t of aTimes) expect(t % 30_000).toBe(offsetFor('a', 30_000));
    // b's second probe is its regular slot, at least half an interval after its first.
    const bTimes = runs.filter(([k]) => k === 'b').map(([, t]) => t);
    expect(bTimes[0]! - reloadAt).toBeLessThan(FIRST_ROUND_MS);
    expect(bTimes[1]! - bTimes[0]!).toBeGreaterThanOrEqual(15_000);
    expect(bTimes[1]! % 30_000).toBe(offsetFor('b', 30_000));
    s.stop();
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
