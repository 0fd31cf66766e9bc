// Runs each target's probe once per interval at a stable offset, with at most N probes in flight; a new target's
// first probe comes within min(interval, 5s).
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

/** SPEC: the first round after start-up or a reload finishes within min(interval, FIRST_ROUND_MS). */
export const FIRST_ROUND_MS = 5000;

interface Entry {
  task: ScheduledTask;
  offsetMs: number;
  timer: unknown;
  /** The slot the timer was armed for: the next one is armed strictly after it, even when a timer fires early. */
  dueMs: number;
  /** Queued or running: a probe still busy when its next slot comes is not started twice. */
  busy: boolean;
  /** runSoon() came while it ran (perhaps with the old credential): run once more when it finishes. */
  again?: boolean;
}

/**
 * Slots fall on a grid of this many ms (a hundredth of the interval when that is finer): the targets due in one
 * tick are started by a single timer wake-up and probed back to back while the code and data they share are hot in
 * the CPU's caches, rather than one wake-up and a cold start per probe (docs/benchmarks.md). Lateness stays far
 * below the grid: a target keeps the same slot every interval.
 */
export const SLOT_GRID_MS = 250;

/** A stable spot in [0, interval) for a key, so targets spread over the interval and keep their slot across reloads. */
export function offsetFor(key: string, intervalMs: number): number {
  const hash = createHash('sha256').update(key).digest();
  const interval = Math.max(1, Math.floor(intervalMs));
  const offset = Number(hash.readBigUInt64BE(0) % BigInt(interval));
  const grid = Math.max(1, Math.min(SLOT_GRID_MS, Math.floor(interval / 100)));
  return offset - (offset % grid);
}

/**
 * When a new target's first probe starts: its stable offset folded into the first half of min(interval, 5s), so a
 * new set of targets is spread over that window (and then queued by max_concurrent_probes) rather than all fired at
 * once, and the second half leaves room for the probes themselves.
 */
export function firstRoundDelay(intervalMs: number, offsetMs: number): number {
  const spread = Math.floor(Math.min(intervalMs, FIRST_ROUND_MS) / 2);
  return spread > 0 ? offsetMs % spread : 0;
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
      const now = this.now();
      const fresh: Entry = { task, offsetMs: offsetFor(task.key, task.intervalMs), timer: undefined, dueMs: now, busy: false };
      this.entries.set(task.key, fresh);
      if (entry) {
        // A changed interval: the target has a verdict already, it moves to its new slot.
        this.timers.clearTimeout(entry.timer);
        this.arm(fresh, now);
      } else {
        this.armFirst(fresh, now);
      }
    }
  }

  /** A new target: its first probe within the first-round window, then its regular slot. */
  private armFirst(entry: Entry, now: number): void {
    if (this.stopped) return;
    const delay = firstRoundDelay(entry.task.intervalMs, entry.offsetMs);
    entry.dueMs = now + delay;
    entry.timer = this.timers.setTimeout(() => this.fire(entry, true), delay);
  }

  /**
   * Arms the next slot strictly after `after` (the slot just served): a Node timer may fire up to 1 ms before the
   * clock reaches its slot, and re-arming from the clock alone then found the same slot again (a second probe 1 ms
   * after the first).
   */
  private arm(entry: Entry, after: number): void {
    if (this.stopped) return;
    const now = this.now();
    const at = nextSlot(Math.max(now, after) + 1, entry.task.intervalMs, entry.offsetMs);
    entry.dueMs = at;
    entry.timer = this.timers.setTimeout(() => this.fire(entry), at - now);
  }

  private fire(entry: Entry, first = false): void {
    if (this.stopped || this.entries.get(entry.task.key) !== entry) return;
    // After a first-round probe, the regular slot at least half an interval later: no second probe right behind it.
    this.arm(entry, first ? entry.dueMs + Math.ceil(entry.task.intervalMs / 2) : entry.dueMs);
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
          if (entry.again && !this.stopped && this.entries.get(entry.task.key) === entry) {
            entry.again = false;
            entry.busy = true;
            this.queue.push(entry);
          }
          this.drain();
        });
    }
  }

  /**
   * Runs these tasks as soon as the concurrency limit allows, outside their slot (a credential they use just
   * rotated), keeping their regular slots. A task already running runs once more after it finishes.
   */
  runSoon(keys: Iterable<string>): void {
    if (this.stopped) return;
    for (const key of keys) {
      const entry = this.entries.get(key);
      if (!entry) continue;
      if (entry.busy) {
        if (!this.queue.includes(entry)) entry.again = true;
        continue;
      }
      entry.busy = true;
      this.queue.push(entry);
    }
    this.drain();
  }

  stop(): void {
    this.stopped = true;
    for (const entry of this.entries.values()) this.timers.clearTimeout(entry.timer);
    this.entries.clear();
    this.queue.length = 0;
  }
}
