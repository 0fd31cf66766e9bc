// Checks HTTP basic auth against bcrypt hashes, remembering recent answers because bcrypt is slow by design.
import { createHash } from 'node:crypto';
import bcrypt from 'bcryptjs';
import type { Secret } from '../config/secret.js';

export type Compare = (password: string, hash: string) => Promise<boolean>;

export interface BasicAuthCheckerOptions {
  compare?: Compare;
  /** Remembered answers; exporter-toolkit keeps 100. */
  maxEntries?: number;
}

// A bcrypt hash of "fakepassword": unknown users cost as much as known ones, so timing does not reveal names
// (exporter-toolkit does the same).
const DECOY_HASH = '$2b$10$.Z502OaosM9j4pM3INAoRuMi76ODpW01NWBVgUAk.wSIgTadF9eO.';

/**
 * exporter-toolkit's check: bcrypt once per (user, hash, password), answers cached, one bcrypt at a time so a
 * burst of requests cannot occupy every core. The cache key is a SHA-256 digest, so no password is kept in memory
 * as such, and a changed hash (a new password in the web config) never matches an old entry.
 */
export class BasicAuthChecker {
  private readonly cache = new Map<string, boolean>();
  private readonly compare: Compare;
  private readonly maxEntries: number;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(options: BasicAuthCheckerOptions = {}) {
    this.compare = options.compare ?? ((password, hash) => bcrypt.compare(password, hash));
    this.maxEntries = options.maxEntries ?? 100;
  }

  async check(users: ReadonlyMap<string, Secret>, user: string, password: string): Promise<boolean> {
    const known = users.get(user);
    const hash = known?.reveal() ?? DECOY_HASH;
    const key = createHash('sha256').update(JSON.stringify([user, hash, password])).digest('hex');
    const cached = this.cache.get(key);
    if (cached !== undefined) return cached && known !== undefined;
    const matches = await this.serialized(() => this.compare(password, hash).catch(() => false));
    const ok = matches && known !== undefined;
    if (this.cache.size >= this.maxEntries) this.cache.delete(this.cache.keys().next().value!);
    this.cache.set(key, ok);
    return ok;
  }

  private serialized<T>(work: () => Promise<T>): Promise<T> {
    const next = this.queue.then(work);
    this.queue = next.catch(() => undefined);
    return next;
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
