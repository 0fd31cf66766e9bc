// A fake clock and timers for the scheduler tests: time moves only when the test says so.
import type { Timers } from '../../src/probe/scheduler.js';

export class FakeClock implements Timers {
  nowMs = 1_700_000_000_000;
  private seq = 0;
  private readonly pending = new Map<number, { at: number; fn: () => void }>();

  now = (): number => this.nowMs;

  setTimeout(fn: () => void, ms: number): unknown {
    const id = ++this.seq;
    this.pending.set(id, { at: this.nowMs + Math.max(0, ms), fn });
    return id;
  }

  clearTimeout(handle: unknown): void {
    this.pending.delete(handle as number);
  }

  get timerCount(): number {
    return this.pending.size;
  }

  /** Moves time forward, firing due timers in order and letting promises settle after each. */
  async advance(ms: number): Promise<void> {
    const end = this.nowMs + ms;
    for (let guard = 0; guard < 1_000_000; guard++) {
      let nextId: number | undefined;
      let next: { at: number; fn: () => void } | undefined;
      for (const [id, t] of this.pending) if (t.at <= end && (!next || t.at < next.at)) [nextId, next] = [id, t];
      if (!next || nextId === undefined) break;
      this.pending.delete(nextId);
      this.nowMs = next.at;
      next.fn();
      await flush();
    }
    this.nowMs = end;
    await flush();
  }
}

export async function flush(): Promise<void> {
  for (let i = 0; i < 10; i++) await new Promise<void>((r) => setImmediate(r));
}
