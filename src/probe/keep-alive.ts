// The connections a target's scheduled probes keep alive between probes, as Prometheus's scrape client does.
import type net from 'node:net';
import type { DialObservation } from './connect.js';

/**
 * SPEC's default probe.max_connection_age: a kept connection is replaced (full handshake, the server's chain
 * verified again) at least this often, even when nothing about the job changed.
 */
export const DEFAULT_MAX_CONNECTION_AGE_MS = 5 * 60_000;

/**
 * Idle connections one target may hold: the credentialed request, the check_unauthenticated request (no client
 * certificate, so a connection of its own) and a redirect hop or two. The least recently used goes first.
 */
export const MAX_CONNECTIONS_PER_TARGET = 4;

/**
 * Idle connections kept by all targets together. Each is a file descriptor (and, for TLS, about 50 KiB of OpenSSL
 * and Node buffers that Node does not release while idle): beyond this many, a probe's connection is closed after
 * it, as /probe's is, rather than evicting another target's (which, probed in a cycle, would thrash).
 */
export const MAX_KEPT_CONNECTIONS = 10_000;

/** The process-wide count of kept idle connections, shared by every target's TargetConnections. */
export class KeepAliveBudget {
  private used = 0;

  constructor(readonly max = MAX_KEPT_CONNECTIONS) {}

  get size(): number {
    return this.used;
  }

  acquire(): boolean {
    if (this.used >= this.max) return false;
    this.used++;
    return true;
  }

  release(): void {
    this.used = Math.max(0, this.used - 1);
  }
}

const unbounded = new KeepAliveBudget(Number.POSITIVE_INFINITY);

/** What a connection was made for; a probe reuses it only for exactly the same thing. */
export interface KeptConnection {
  socket: net.Socket;
  /**
   * Everything that decides what the handshake proves: host and port, proxy, the digest of the CA, client
   * certificate and key contents, the verified name, insecure_skip_verify. A rotated file changes it.
   */
  identity: string;
  /** When it was dialled (the injected clock), for max_connection_age. */
  createdMs: number;
  /** What the dial saw: a reused connection still reports the peer and the chain its handshake verified. */
  seen: Pick<DialObservation, 'remote' | 'local' | 'tls'>;
}

interface Idle extends KeptConnection {
  gone: () => void;
}

/**
 * The idle connections of one target, keyed by slot (credential variant and origin). A probe takes one out while
 * it runs (so two probes never share one) and gives it back only after a response that ended cleanly. A
 * connection the server closes while idle is dropped at once, so the next probe dials instead of failing.
 */
export class TargetConnections {
  private readonly idle = new Map<string, Idle>();
  /** After close(), a probe still running gives its connection back to nobody: it is closed instead. */
  private closed = false;

  /** `clock`: the injected wall clock max_connection_age is measured on; `budget`: shared by all targets. */
  constructor(
    readonly clock: () => number,
    private readonly budget: KeepAliveBudget = unbounded,
  ) {}

  get size(): number {
    return this.idle.size;
  }

  /** The idle connection of `slot` when it was made for `identity` and is younger than `maxAgeMs`; else none. */
  take(slot: string, identity: string, maxAgeMs: number): KeptConnection | undefined {
    const kept = this.idle.get(slot);
    if (!kept) return undefined;
    this.release(slot, kept);
    if (kept.identity !== identity || !this.usable(kept, maxAgeMs)) {
      kept.socket.destroy();
      return undefined;
    }
    kept.socket.ref();
    return { socket: kept.socket, identity: kept.identity, createdMs: kept.createdMs, seen: kept.seen };
  }

  /** Keeps a connection whose response ended cleanly for the next probe of the same slot. */
  keep(slot: string, conn: KeptConnection, maxAgeMs: number): void {
    const previous = this.idle.get(slot);
    if (previous) {
      this.release(slot, previous);
      previous.socket.destroy();
    }
    if (this.closed || !this.usable(conn, maxAgeMs) || !this.budget.acquire()) {
      conn.socket.destroy();
      return;
    }
    const socket = conn.socket;
    const idle: Idle = {
      ...conn,
      gone: () => {
        // The server closed it (or it failed) while idle: forget it, so the next probe dials afresh.
        if (this.idle.get(slot) === idle) this.release(slot, idle);
        socket.destroy();
      },
    };
    socket.once('end', idle.gone);
    socket.once('close', idle.gone);
    socket.once('error', idle.gone);
    // An idle probe connection must not keep the process alive.
    socket.unref();
    this.idle.set(slot, idle);
    while (this.idle.size > MAX_CONNECTIONS_PER_TARGET) {
      const [oldestSlot, oldest] = this.idle.entries().next().value as [string, Idle];
      this.release(oldestSlot, oldest);
      oldest.socket.destroy();
    }
  }

  /** Closes every idle connection: the target went away or probing stops. */
  close(): void {
    this.closed = true;
    for (const [slot, kept] of [...this.idle]) {
      this.release(slot, kept);
      kept.socket.destroy();
    }
  }

  private usable(conn: KeptConnection, maxAgeMs: number): boolean {
    const s = conn.socket;
    return !s.destroyed && s.readable && s.writable && this.clock() - conn.createdMs < maxAgeMs;
  }

  private release(slot: string, kept: Idle): void {
    this.idle.delete(slot);
    this.budget.release();
    kept.socket.removeListener('end', kept.gone);
    kept.socket.removeListener('close', kept.gone);
    kept.socket.removeListener('error', kept.gone);
  }
}
