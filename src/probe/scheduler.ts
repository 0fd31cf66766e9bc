// Runs each target's probe once per interval at a stable offset, with at most N probes in flight.
import { createHash } from 'node:crypto';

/** The timer functions the scheduler uses; tests pass a fake clock so nothing sleeps. */
export interface Timers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const realTimers: Timers = {
  setTimeout: (fn, ms) => {
    const handle = setTimeout(fn, ms);
    handle.unref?.();
    return handle;
  },
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

export interface ScheduledTask {
  key: string;
  intervalMs: number;
  run(): Promise<void>;
}

interface Entry {
  task: ScheduledTask;
  offsetMs: number;
  timer: unknown;
  /** Queued or running: a probe still busy when its next slot comes is not started twice. */
  busy: boolean;
}

/** A stable spot in [0, interval) for a key, so targets spread over the interval and keep their slot across reloads. */
export function offsetFor(key: string, intervalMs: number): number {
  const hash = createHash('sha256').update(key).digest();
  return Number(hash.readBigUInt64BE(0) % BigInt(Math.max(1, Math.floor(intervalMs))));
}

/** The first time ≥ now that falls on the key's slot. */
export function nextSlot(nowMs: number, intervalMs: number, offsetMs: number): number {
  const base = Math.floor(nowMs / intervalMs) * intervalMs + offsetMs;
  return base >= nowMs ? base : base + intervalMs;
}

export class Scheduler {
  private readonly entries = new Map<string, Entry>();
  private readonly queue: Entry[] = [];
  private running = 0;
  private stopped = false;

  constructor(
    private readonly now: () => number,
    private readonly timers: Timers,
    private maxConcurrent: number,
  ) {}

  get size(): number {
    return this.entries.size;
  }

  get inFlight(): number {
    return this.running;
  }

  setMaxConcurrent(n: number): void {
    this.maxConcurrent = Math.max(1, n);
    this.drain();
  }

  /** Makes the scheduled set equal `tasks`: new ones get a slot, removed ones stop, changed intervals move. */
  sync(tasks: ScheduledTask[]): void {
    const wanted = new Map(tasks.map((t) => [t.key, t]));
    for (const [key, entry] of this.entries) {
      if (!wanted.has(key)) {
        this.timers.clearTimeout(entry.timer);
        this.entries.delete(key);
        const queued = this.queue.indexOf(entry);
        if (queued >= 0) this.queue.splice(queued, 1);
      }
    }
    for (const task of wanted.values()) {
      const entry = this.entries.get(task.key);
      if (entry && entry.task.intervalMs === task.intervalMs) {
        entry.task = task;
        continue;
      }
      if (entry) this.timers.clearTimeout(entry.timer);
      const fresh: Entry = { task, offsetMs: offsetFor(task.key, task.intervalMs), timer: undefined, busy: false };
      this.entries.set(task.key, fresh);
      this.arm(fresh);
    }
  }

  private arm(entry: Entry): void {
    if (this.stopped) return;
    const now = this.now();
    const at = nextSlot(now + 1, entry.task.intervalMs, entry.offsetMs);
    entry.timer = this.timers.setTimeout(() => this.fire(entry), at - now);
  }

  private fire(entry: Entry): void {
    if (this.stopped || this.entries.get(entry.task.key) !== entry) return;
    this.arm(entry);
    if (entry.busy) return;
    entry.busy = true;
    this.queue.push(entry);
    this.drain();
  }

  private drain(): void {
    while (!this.stopped && this.running < this.maxConcurrent && this.queue.length > 0) {
      const entry = this.queue.shift()!;
      this.running++;
      entry.task
        .run()
        .catch(() => undefined)
        .finally(() => {
          this.running--;
          entry.busy = false;
          this.drain();
        });
    }
  }

  stop(): void {
    this.stopped = true;
    for (const entry of this.entries.values()) this.timers.clearTimeout(entry.timer);
    this.entries.clear();
    this.queue.length = 0;
  }
}
