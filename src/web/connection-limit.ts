// Keeps the HTTP server answering under a connection flood: a cap on open connections (idle ones evicted first)
// and timeouts for headers, whole requests and idle keep-alive.
import type http from 'node:http';
import type net from 'node:net';

/**
 * Connections open at once. Past it, the oldest idle connection is closed to admit the new one (a flood of idle or
 * keep-alive sockets cannot lock health checks out); when every one is busy, the new one is closed. Each held
 * connection costs a descriptor and a parser; Prometheus, a second replica and a few humans need far fewer.
 */
export const MAX_CONNECTIONS = 512;
/** Slowloris: the request head must be complete this soon after the connection (or the previous request). */
export const HEADERS_TIMEOUT_MS = 10_000;
/** The whole request, body included (our routes take no body worth the name). */
export const REQUEST_TIMEOUT_MS = 30_000;
/** Idle keep-alive connections are closed after this (Node's default); Prometheus reconnects as needed. */
export const KEEP_ALIVE_TIMEOUT_MS = 5_000;
/** How often Node checks the two timeouts above: their accuracy. */
const TIMEOUT_CHECK_INTERVAL_MS = 1_000;

/** The options Node's http/https servers take for the timeouts above. */
export const SERVER_TIMEOUTS = {
  headersTimeout: HEADERS_TIMEOUT_MS,
  requestTimeout: REQUEST_TIMEOUT_MS,
  keepAliveTimeout: KEEP_ALIVE_TIMEOUT_MS,
  connectionsCheckingInterval: TIMEOUT_CHECK_INTERVAL_MS,
} as const;

/** Counts connections and requests in flight; evicts the oldest idle connection when full. */
export class ConnectionLimiter {
  private readonly idle = new Set<net.Socket>();
  private readonly busy = new Map<net.Socket, number>();

  constructor(readonly max = MAX_CONNECTIONS) {}

  get open(): number {
    return this.idle.size + this.busy.size;
  }

  /** Call for every new connection: false (and the socket destroyed) when it cannot be admitted. */
  admit(socket: net.Socket): boolean {
    if (this.open >= this.max) {
      const oldest = this.idle.values().next();
      if (oldest.done) {
        socket.destroy();
        return false;
      }
      this.idle.delete(oldest.value);
      oldest.value.destroy();
    }
    this.idle.add(socket);
    socket.once('close', () => {
      this.idle.delete(socket);
      this.busy.delete(socket);
    });
    return true;
  }

  /** Call when a request starts on `socket`; the returned function when its response is done. */
  requestStarted(socket: net.Socket): () => void {
    if (!this.idle.delete(socket) && !this.busy.has(socket)) return () => undefined;
    this.busy.set(socket, (this.busy.get(socket) ?? 0) + 1);
    let done = false;
    return () => {
      if (done) return;
      done = true;
      const left = (this.busy.get(socket) ?? 1) - 1;
      if (!this.busy.has(socket)) return;
      if (left > 0) this.busy.set(socket, left);
      else {
        this.busy.delete(socket);
        if (!socket.destroyed) this.idle.add(socket);
      }
    };
  }
}

/** Wires a limiter into an http(s) server that accepts its own connections. */
export function limitConnections(server: http.Server, limiter = new ConnectionLimiter()): ConnectionLimiter {
  server.on('connection', (socket: net.Socket) => void limiter.admit(socket));
  server.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => {
    const done = limiter.requestStarted(req.socket);
    res.once('close', done);
  });
  return limiter;
}
