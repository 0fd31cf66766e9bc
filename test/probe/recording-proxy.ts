// A forward proxy on 127.0.0.1 that records every request head it gets: CONNECT tunnels, plain requests answered itself.
import net from 'node:net';
import tls from 'node:tls';
import { METRICS_BODY, startTcp } from './helpers.js';

export interface SeenRequest {
  method: string;
  target: string;
  /** Header lines as sent, in order ("Name: value"). */
  headerLines: string[];
  raw: string;
}

export interface RecordingProxy {
  port: number;
  seen: SeenRequest[];
  close(): Promise<void>;
}

/**
 * CONNECT host:port is tunnelled to 127.0.0.1:port whatever the host (so tests can name targets that resolve
 * nowhere); any other request is answered by the proxy itself with a metrics body.
 */
export async function startRecordingProxy(options: { tls?: tls.TlsOptions } = {}): Promise<RecordingProxy> {
  const seen: SeenRequest[] = [];
  const onConnection = (client: net.Socket) => {
    let head = Buffer.alloc(0);
    const onData = (chunk: Buffer) => {
      head = Buffer.concat([head, chunk]);
      const end = head.indexOf('\r\n\r\n');
      if (end < 0) return;
      client.off('data', onData);
      const raw = head.subarray(0, end).toString('latin1');
      const [requestLine = '', ...headerLines] = raw.split('\r\n');
      const [method = '', target = ''] = requestLine.split(' ');
      seen.push({ method, target, headerLines, raw });
      if (method === 'CONNECT') {
        const port = Number(target.slice(target.lastIndexOf(':') + 1));
        const upstream = net.connect(port, '127.0.0.1', () => {
          client.write('HTTP/1.1 200 Connection established\r\n\r\n');
          const rest = head.subarray(end + 4);
          if (rest.length) upstream.write(rest);
          client.pipe(upstream).pipe(client);
        });
        upstream.on('error', () => client.destroy());
        client.on('close', () => upstream.destroy());
      } else {
        client.end(`HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: ${METRICS_BODY.length}\r\nConnection: close\r\n\r\n${METRICS_BODY}`);
      }
    };
    client.on('data', onData);
  };
  if (options.tls) return startTlsProxy(options.tls, onConnection, seen);
  const server = await startTcp(onConnection);
  return { port: server.port, seen, close: server.close };
}

/** The same proxy behind TLS (an https:// proxy URL). */
async function startTlsProxy(options: tls.TlsOptions, onConnection: (socket: net.Socket) => void, seen: SeenRequest[]): Promise<RecordingProxy> {
  const sockets = new Set<net.Socket>();
  const server = tls.createServer(options, (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    onConnection(socket);
  });
  server.on('tlsClientError', () => undefined);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    seen,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
