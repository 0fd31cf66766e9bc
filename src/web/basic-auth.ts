// Checks HTTP basic auth against bcrypt hashes without letting a flood of wrong passwords starve the right ones.
import { createHash } from 'node:crypto';
import type { Secret } from '../config/secret.js';
import { sharedBcryptWorker } from './bcrypt-worker.js';

export type Compare = (password: string, hash: string) => Promise<boolean>;

/** Comparisons running at once (on a worker thread, bcrypt-worker.ts): a flood must not take every core. */
export const MAX_BCRYPT_IN_FLIGHT = 1;
/** Comparisons waiting for a slot; beyond this a request is answered 429 at once, without any bcrypt. */
export const MAX_BCRYPT_QUEUE = 8;
/** Remembered successes (exporter-toolkit keeps 100 answers); failures are remembered apart and never evict them. */
export const MAX_CACHED_SUCCESSES = 100;
export const MAX_CACHED_FAILURES = 100;

/** ok: the user and password match; denied: they do not; busy: too many comparisons already waiting. */
export type AuthOutcome = 'ok' | 'denied' | 'busy';

export interface BasicAuthCheckerOptions {
  compare?: Compare;
  maxSuccesses?: number;
  maxFailures?: number;
  maxInFlight?: number;
  maxQueue?: number;
}

// A bcrypt hash of "fakepassword" at cost 10 (exporter-toolkit's decoy). Its cost is rewritten to the configured
// one, so an unknown user costs what a known one does and timing does not reveal user names.
const DECOY_HASH = '$2b$10$.Z502OaosM9j4pM3INAoRuMi76ODpW01NWBVgUAk.wSIgTadF9eO.';
const COST = /^\$2[aby]\$(\d{2})\$/;

/** The decoy at the highest cost among the configured users: never cheaper than a real check. */
export function decoyHash(users: ReadonlyMap<string, Secret>): string {
  const costs = [...users.values()].map((hash) => Number(COST.exec(hash.reveal())?.[1] ?? 0)).filter((c) => c > 0);
  const cost = costs.length > 0 ? Math.max(...costs) : 10;
  return DECOY_HASH.replace(COST, () => `$2b$${String(cost).padStart(2, '0')}$`);
}

/** A size-capped map that forgets its oldest entry first; a hit moves an entry to the young end. */
class Lru {
  private readonly map = new Map<string, true>();
  constructor(private readonly max: number) {}
  has(key: string): boolean {
    if (!this.map.has(key)) return false;
    this.map.delete(key);
    this.map.set(key, true);
    return true;
  }
  add(key: string): void {
    this.map.delete(key);
    if (this.map.size >= this.max) this.map.delete(this.map.keys().next().value!);
    this.map.set(key, true);
  }
  get size(): number {
    return this.map.size;
  }
}

/**
 * exporter-toolkit's check, hardened against a flood: a remembered success is answered before any bcrypt (no
 * queue, no await), failures live in a cache of their own, bcrypt work is bounded (MAX_BCRYPT_IN_FLIGHT running,
 * MAX_BCRYPT_QUEUE waiting, "busy" beyond). Cache keys are SHA-256 digests of (user, hash, password), so no
 * password is kept as such and a changed hash (a new password in the web config) never matches an old entry.
 */
export class BasicAuthChecker {
  private readonly successes: Lru;
  private readonly failures: Lru;
  private readonly compare: Compare;
  private readonly maxInFlight: number;
  private readonly maxQueue: number;
  private running = 0;
  private readonly waiting: (() => void)[] = [];
  private decoy: { users: ReadonlyMap<string, Secret>; hash: string } | undefined;

  constructor(options: BasicAuthCheckerOptions = {}) {
    this.compare = options.compare ?? sharedBcryptWorker.compare;
    this.successes = new Lru(options.maxSuccesses ?? MAX_CACHED_SUCCESSES);
    this.failures = new Lru(options.maxFailures ?? MAX_CACHED_FAILURES);
    this.maxInFlight = options.maxInFlight ?? MAX_BCRYPT_IN_FLIGHT;
    this.maxQueue = options.maxQueue ?? MAX_BCRYPT_QUEUE;
  }

  async check(users: ReadonlyMap<string, Secret>, user: string, password: string): Promise<boolean> {
    return (await this.verify(users, user, password)) === 'ok';
  }

  /** The answer for one request; a remembered one without waiting on anything. */
  verify(users: ReadonlyMap<string, Secret>, user: string, password: string): Promise<AuthOutcome> | AuthOutcome {
    const known = users.get(user);
    const hash = known?.reveal() ?? this.decoyFor(users);
    const key = createHash('sha256').update(JSON.stringify([user, hash, password])).digest('hex');
    if (known !== undefined && this.successes.has(key)) return 'ok';
    if (this.failures.has(key)) return 'denied';
    if (this.running >= this.maxInFlight && this.waiting.length >= this.maxQueue) return 'busy';
    return this.bounded(() => this.compare(password, hash).catch(() => false)).then((matches) => {
      if (matches && known !== undefined) {
        this.successes.add(key);
        return 'ok';
      }
      this.failures.add(key);
      return 'denied';
    });
  }

  private decoyFor(users: ReadonlyMap<string, Secret>): string {
    if (this.decoy?.users !== users) this.decoy = { users, hash: decoyHash(users) };
    return this.decoy.hash;
  }

  private async bounded<T>(work: () => Promise<T>): Promise<T> {
    // A freed slot is handed straight to the next waiter, so a newcomer can never slip past the limit.
    if (this.running >= this.maxInFlight) await new Promise<void>((resolve) => this.waiting.push(resolve));
    else this.running++;
    try {
      return await work();
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.running--;
    }
  }
}

/** The user and password of an `Authorization: Basic …` header, or undefined when there is none or it is malformed. */
export function parseBasicAuth(header: string | undefined): { user: string; password: string } | undefined {
  if (!header) return undefined;
  const match = /^basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header);
  if (!match) return undefined;
  const decoded = Buffer.from(match[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return undefined;
  return { user: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}
