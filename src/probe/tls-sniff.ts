// When a TLS handshake fails on bytes that are not TLS, looks at what the server did send, as Go's transport does,
// to word the error the way Prometheus would: an HTTP answer, or a first record that is not a handshake.
import net from 'node:net';
import { Duplex } from 'node:stream';
import tls from 'node:tls';

/** A TLS record header: all Go looks at ("HTTP/" means a plain HTTP server). */
export const SNIFF_BYTES = 5;
/** OpenSSL's reactions to a first record that is not TLS. */
export const NOT_TLS_CODES = new Set(['ERR_SSL_WRONG_VERSION_NUMBER', 'ERR_SSL_PACKET_LENGTH_TOO_LONG', 'ERR_SSL_HTTP_REQUEST']);

/**
 * Node hands the socket to OpenSSL, so the bytes that broke the handshake are gone. On that failure path only (a
 * misconfigured target, not the hot path), this repeats the handshake once over a stream it can see through and
 * returns the server's first bytes; undefined when it answered TLS after all, or never answered.
 */
export function firstServerBytes(address: string, port: number, servername: string | undefined, signal: AbortSignal): Promise<Buffer | undefined> {
  return new Promise((resolve) => {
    let first: Buffer | undefined;
    let done = false;
    const raw = net.connect({ host: address, port });
    const tap = new Duplex({
      read: () => void raw.resume(),
      write: (chunk: Buffer, _enc, callback) => void raw.write(chunk, callback),
      final: (callback) => {
        raw.end();
        callback();
      },
    });
    let secure: tls.TLSSocket | undefined;
    const finish = (bytes: Buffer | undefined) => {
      if (done) return;
      done = true;
      signal.removeEventListener('abort', onAbort);
      secure?.destroy();
      raw.destroy();
      resolve(bytes?.subarray(0, SNIFF_BYTES));
    };
    const onAbort = () => finish(undefined);
    if (signal.aborted) return finish(undefined);
    signal.addEventListener('abort', onAbort, { once: true });
    raw.on('error', () => finish(first));
    raw.on('close', () => finish(first));
    raw.on('data', (d: Buffer) => {
      first ??= d;
      if (!tap.push(d)) raw.pause();
    });
    raw.on('end', () => tap.push(null));
    raw.once('connect', () => {
      secure = tls.connect({ socket: tap, rejectUnauthorized: false, ...(servername ? { servername } : {}) });
      secure.on('error', () => finish(first));
      secure.on('secureConnect', () => finish(undefined));
    });
  });
}
