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

export interface SeenSocks {
  host: string;
  port: number;
  auth?: { username: string; password: string };
}

/**
 * A SOCKS5 proxy (RFC 1928/1929) that records what it is asked for and connects it to 127.0.0.1:port, whatever
 * the host. With `users`, only username/password authentication is accepted; `refuse` answers "connection refused".
 */
export async function startSocksProxy(options: { users?: Record<string, string>; refuse?: boolean } = {}): Promise<{ port: number; seen: SeenSocks[]; close(): Promise<void> }> {
  const seen: SeenSocks[] = [];
  const server = await startTcp((client) => {
    let buf = Buffer.alloc(0);
    let step: 'greeting' | 'auth' | 'request' = 'greeting';
    let auth: SeenSocks['auth'];
    const onData = (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      for (;;) {
        if (step === 'greeting') {
          if (buf.length < 2 || buf.length < 2 + buf[1]!) return;
          const methods = [...buf.subarray(2, 2 + buf[1]!)];
          buf = buf.subarray(2 + buf[1]!);
          if (options.users) {
            if (!methods.includes(2)) return void client.end(Buffer.from([5, 0xff]));
            client.write(Buffer.from([5, 2]));
            step = 'auth';
          } else {
            client.write(Buffer.from([5, 0]));
            step = 'request';
          }
          continue;
        }
        if (step === 'auth') {
          if (buf.length < 2) return;
          const ulen = buf[1]!;
          if (buf.length < 3 + ulen || buf.length < 3 + ulen + buf[2 + ulen]!) return;
          const plen = buf[2 + ulen]!;
          auth = { username: buf.subarray(2, 2 + ulen).toString(), password: buf.subarray(3 + ulen, 3 + ulen + plen).toString() };
          buf = buf.subarray(3 + ulen + plen);
          const ok = options.users?.[auth.username] === auth.password;
          client.write(Buffer.from([1, ok ? 0 : 1]));
          if (!ok) return void client.end();
          step = 'request';
          continue;
        }
        if (buf.length < 5) return;
        const type = buf[3]!;
        const addrLen = type === 1 ? 4 : type === 4 ? 16 : 1 + buf[4]!;
        if (buf.length < 4 + addrLen + 2) return;
        const host = type === 3 ? buf.subarray(5, 5 + buf[4]!).toString() : type === 1 ? [...buf.subarray(4, 8)].join('.') : buf.subarray(4, 20).toString('hex');
        const port = buf.readUInt16BE(4 + addrLen);
        const rest = buf.subarray(4 + addrLen + 2);
        client.off('data', onData);
        seen.push({ host, port, ...(auth ? { auth } : {}) });
        if (options.refuse) return void client.end(Buffer.from([5, 5, 0, 1, 0, 0, 0, 0, 0, 0]));
        const upstream = net.connect(port, '127.0.0.1', () => {
          client.write(Buffer.from([5, 0, 0, 1, 127, 0, 0, 1, 0, 0]));
          if (rest.length) upstream.write(rest);
          client.pipe(upstream).pipe(client);
        });
        upstream.on('error', () => client.destroy());
        client.on('close', () => upstream.destroy());
        return;
      }
    };
    client.on('data', onData);
  });
  return { port: server.port, seen, close: server.close };
}
