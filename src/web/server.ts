// The listening server: plain HTTP, or TLS whose certificates and client auth are re-read for every new connection.
import http, { type RequestListener } from 'node:http';
import https from 'node:https';
import net, { type AddressInfo, type Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import type { Logger } from 'pino';
import type { TlsResult } from './source.js';
import { ConnectionLimiter, limitConnections, SERVER_TIMEOUTS } from './connection-limit.js';
import { clientCertRefusal, type TlsServerSettings } from './tls.js';

export interface WebServer {
  readonly tls: boolean;
  listen(host: string | undefined, port: number): Promise<AddressInfo>;
  /** Stops accepting, closes idle connections, lets in-flight requests finish. */
  close(): Promise<void>;
}

/** Idle keep-alive connections are closed after this; Go's default IdleTimeout is unbounded, Node's is 5 s. */
const SOCKET_IDLE_TIMEOUT_MS = 60_000;

export function createHttpServer(app: RequestListener): WebServer {
  const server = http.createServer({ ...SERVER_TIMEOUTS }, app);
  limitConnections(server);
  return {
    tls: false,
    listen: (host, port) => listenOn(server, host, port),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      }),
  };
}

export interface TlsServerDeps {
  app: RequestListener;
  /** The TLS settings for a connection now (WebConfigSource.tls). */
  settings: () => Promise<TlsResult>;
  logger: Logger;
}

/**
 * exporter-toolkit hands Go's TLS server a GetConfigForClient that reloads the web config per connection. Node has
 * no such hook (SNICallback runs only when a client sends SNI, and client-auth settings belong to the server), so
 * a plain TCP listener takes each connection, asks for the current settings, and passes the still-paused socket
 * to an HTTPS server built for exactly those settings; a new server is built only when a file has changed.
 */
export function createTlsServer(deps: TlsServerDeps): WebServer {
  const waiting = new Set<Socket>();
  const limiter = new ConnectionLimiter();
  const secured = new Set<TLSSocket>();
  const inFlight = new WeakMap<TLSSocket, number>();
  let closing = false;
  let current: { version: string; server: https.Server } | undefined;

  const serverFor = (settings: TlsServerSettings, version: string): https.Server => {
    if (current?.version === version) return current.server;
    const server = https.createServer({ ...settings.options, ...SERVER_TIMEOUTS }, deps.app);
    server.setTimeout(SOCKET_IDLE_TIMEOUT_MS);
    // Before HTTP sees the connection: Go's client auth policies that Node's TLS options cannot express.
    server.prependListener('secureConnection', (socket: TLSSocket) => {
      const refusal = clientCertRefusal(socket, settings);
      if (refusal) {
        deps.logger.debug({ reason: refusal }, 'TLS client refused');
        socket.destroy();
        return;
      }
      secured.add(socket);
      socket.on('close', () => secured.delete(socket));
    });
    server.on('tlsClientError', (err: Error) => deps.logger.debug({ err: err.message }, 'TLS handshake error'));
    server.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => {
      const socket = req.socket as TLSSocket;
      inFlight.set(socket, (inFlight.get(socket) ?? 0) + 1);
      res.on('close', () => {
        const left = (inFlight.get(socket) ?? 1) - 1;
        inFlight.set(socket, left);
        if (closing && left === 0) socket.destroy();
      });
    });
    current = { version, server };
    return server;
  };

  const listener = net.createServer({ pauseOnConnect: true }, (raw) => {
    // Counted on the raw socket, before any TLS work: a flood is refused before it costs a handshake. Requests
    // are seen on the TLS socket, not here, so each raw connection counts as busy for its whole life: a full
    // server refuses the newcomer rather than evict a connection that may be mid-request.
    if (!limiter.admit(raw)) return;
    limiter.requestStarted(raw);
    waiting.add(raw);
    raw.on('error', () => raw.destroy());
    void deps.settings().then(
      (result) => {
        waiting.delete(raw);
        if (!result.ok || closing) {
          raw.destroy();
          return;
        }
        serverFor(result.settings, result.version).emit('connection', raw);
        raw.resume();
      },
      () => raw.destroy(),
    );
  });

  return {
    tls: true,
    listen: (host, port) => listenOn(listener, host, port),
    close: () =>
      new Promise<void>((resolve) => {
        closing = true;
        listener.close(() => resolve());
        for (const raw of waiting) raw.destroy();
        for (const socket of secured) if (!inFlight.get(socket)) socket.destroy();
      }),
  };
}

function listenOn(server: net.Server, host: string | undefined, port: number): Promise<AddressInfo> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve(server.address() as AddressInfo);
    });
  });
}
