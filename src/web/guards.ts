// Express guards that apply the web config to every endpoint: rate limit, response headers, basic auth.
import type { RequestHandler } from 'express';
import { BasicAuthChecker, parseBasicAuth } from './basic-auth.js';
import type { WebConfigResult } from './source.js';

export interface WebGuardDeps {
  /** The web config as of this request (WebConfigSource.current). */
  current: () => Promise<WebConfigResult>;
  /** From the config at start-up: exporter-toolkit builds its limiter once. */
  rateLimit?: { intervalMs: number; burst: number } | undefined;
  checker?: BasicAuthChecker;
  now?: () => number;
}

export function createWebGuards(deps: WebGuardDeps): RequestHandler[] {
  const guards: RequestHandler[] = [];
  if (deps.rateLimit) {
    const bucket = new TokenBucket(deps.rateLimit.intervalMs, deps.rateLimit.burst, deps.now ?? Date.now);
    guards.push((_req, res, next) => {
      if (bucket.take()) next();
      else res.status(429).type('text/plain').send('Too Many Requests\n');
    });
  }
  const checker = deps.checker ?? new BasicAuthChecker();
  guards.push(async (req, res, next) => {
    const current = await deps.current();
    if (!current.ok) {
      // Fail closed: an unreadable web config must not open the endpoints it protects.
      res.status(500).type('text/plain').send('Internal Server Error\n');
      return;
    }
    const { headers, users } = current.config;
    // Headers first, so a 401 carries them too (exporter-toolkit sets them before checking users).
    for (const [name, value] of Object.entries(headers)) res.setHeader(name, value);
    if (users.size === 0) return next();
    const credentials = parseBasicAuth(req.headers.authorization);
    const outcome = credentials ? await checker.verify(users, credentials.user, credentials.password) : 'denied';
    if (outcome === 'ok') return next();
    // Too many password checks already waiting: answered at once, the bcrypt work stays bounded.
    if (outcome === 'busy') return void res.status(429).set('Retry-After', '1').type('text/plain').send('Too Many Requests\n');
    res.status(401).set('WWW-Authenticate', 'Basic').type('text/plain').send('Unauthorized\n');
  });
  return guards;
}

/** golang.org/x/time/rate's token bucket: one token every `intervalMs`, at most `burst` saved up. */
export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(
    private readonly intervalMs: number,
    private readonly burst: number,
    private readonly now: () => number,
  ) {
    this.tokens = burst;
    this.last = now();
  }

  take(): boolean {
    const t = this.now();
    this.tokens = Math.min(this.burst, this.tokens + (t - this.last) / this.intervalMs);
    this.last = t;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}
