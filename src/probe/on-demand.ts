// Bounds the work /probe requests can start: a concurrency limit, a timeout header that only shortens, and an abort
// when the caller hangs up. Scheduled probes never pass through here: they keep the scheduler's own
// max_concurrent_probes, so a /probe flood cannot take their slots.
import type { Request, Response } from 'express';

/**
 * /probe requests running at once; more get 503. Each holds one or two sockets and a credential read or two,
 * so this bounds descriptors and memory a caller can tie up (2,000 unbounded calls held ~4,000 FDs and 300 MB).
 */
export const MAX_CONCURRENT_ON_DEMAND_PROBES = 32;
/** blackbox_exporter's default scrape_timeout_offset: answer before Prometheus's own scrape timeout fires. */
export const TIMEOUT_OFFSET_MS = 500;
/** Never shorter than this, whatever the header says (blackbox leaves the offset out below 0.5 s likewise). */
const MIN_TIMEOUT_MS = 100;

/**
 * The probe timeout for a request: as blackbox_exporter, min(header − offset, module timeout). The header can only
 * shorten the job's timeout, never lengthen it; a missing or unreadable header leaves the module's.
 */
export function cappedTimeoutMs(header: string | undefined, moduleTimeoutMs: number): number {
  const seconds = Number(header);
  if (header === undefined || header.trim() === '' || !Number.isFinite(seconds) || seconds <= 0) return moduleTimeoutMs;
  const fromHeader = Math.max(seconds * 1000 - TIMEOUT_OFFSET_MS, MIN_TIMEOUT_MS);
  return Math.min(fromHeader, moduleTimeoutMs);
}

export class OnDemandGate {
  private running = 0;

  constructor(readonly limit = MAX_CONCURRENT_ON_DEMAND_PROBES) {}

  get inFlight(): number {
    return this.running;
  }

  /**
   * Runs `work` when a slot is free, with a signal that aborts when the client disconnects before the answer
   * is written; answers 503 with the reason when every slot is taken
   * (and resolves undefined).
   */
  async run<T>(req: Request, res: Response, work: (signal: AbortSignal) => Promise<T>): Promise<T | undefined> {
    if (this.running >= this.limit) {
      res.status(503).setHeader('Retry-After', '1').type('text/plain').send(`Too many concurrent probes: at most ${this.limit} /probe requests run at once\n`);
      return undefined;
    }
    this.running++;
    const controller = new AbortController();
    // 'close' also fires after a normal answer; only a close before the answer was written is a hang-up. A client
    // that hangs up sends FIN, which Node's server only sees as the socket's 'end' (it keeps the half-open socket
    // to write the answer into); Go cancels the request context on that same EOF, and so do we.
    const onClose = () => {
      if (!res.writableFinished) controller.abort(new Error('client disconnected'));
    };
    res.once('close', onClose);
    req.socket.once('end', onClose);
    req.socket.once('close', onClose);
    try {
      return await work(controller.signal);
    } finally {
      this.running--;
      res.off('close', onClose);
      req.socket.off('end', onClose);
      req.socket.off('close', onClose);
    }
  }
}
