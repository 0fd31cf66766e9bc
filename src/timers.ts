// Timers that honour any duration Prometheus accepts: Node's fire after 1 ms when asked for more than 2^31-1 ms.
// `credential_poll_interval: 25d` spun at 29 % CPU and `probe_interval: 10000000h` probed 286 times a second
// before every timer went through here.

/** The longest delay Node's setTimeout/setInterval honour (~24.8 days); longer ones fire after 1 ms. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/** A timeout of any length: a chain of Node timers, each at most MAX_TIMER_MS. Unref'd: never keeps the process up. */
export class LongTimeout {
  private handle: NodeJS.Timeout | undefined;
  private cleared = false;

  constructor(
    private readonly fn: () => void,
    ms: number,
    /** The Node timer to use; injectable so the chaining is tested without waiting 25 days. */
    private readonly set: (fn: () => void, ms: number) => NodeJS.Timeout = (f, d) => setTimeout(f, d),
  ) {
    this.arm(Number.isFinite(ms) ? Math.max(0, ms) : MAX_TIMER_MS);
  }

  private arm(remaining: number): void {
    if (this.cleared) return;
    const step = Math.min(remaining, MAX_TIMER_MS);
    this.handle = this.set(() => (remaining > MAX_TIMER_MS ? this.arm(remaining - MAX_TIMER_MS) : this.fn()), step);
    this.handle.unref?.();
  }

  clear(): void {
    this.cleared = true;
    if (this.handle !== undefined) clearTimeout(this.handle);
  }
}

/** An interval of any length: a long timeout re-armed after each run. */
export class LongInterval {
  private current: LongTimeout | undefined;
  private cleared = false;

  constructor(
    private readonly fn: () => void,
    private readonly ms: number,
  ) {
    this.arm();
  }

  private arm(): void {
    if (this.cleared) return;
    this.current = new LongTimeout(() => {
      this.arm();
      this.fn();
    }, this.ms);
  }

  clear(): void {
    this.cleared = true;
    this.current?.clear();
  }
}

export function setLongTimeout(fn: () => void, ms: number): LongTimeout {
  return new LongTimeout(fn, ms);
}

export function setLongInterval(fn: () => void, ms: number): LongInterval {
  return new LongInterval(fn, ms);
}

/** Clears a LongTimeout or LongInterval; anything else (undefined, a fake clock's id) is ignored. */
export function clearLong(handle: unknown): void {
  if (handle instanceof LongTimeout || handle instanceof LongInterval) handle.clear();
}

/**
 * The timer set every component gets by default (scheduler, credential poll, file SD refresh): one place, so no
 * injection point can be handed Node's overflowing timers.
 */
export const longTimers = {
  setTimeout: (fn: () => void, ms: number): unknown => setLongTimeout(fn, ms),
  clearTimeout: (handle: unknown): void => clearLong(handle),
  setInterval: (fn: () => void, ms: number): unknown => setLongInterval(fn, ms),
  clearInterval: (handle: unknown): void => clearLong(handle),
};
