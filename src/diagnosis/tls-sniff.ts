// Asks a port whether it speaks TLS: the evidence for "http to a TLS port", which a plain request cannot tell from EOF.
import { isIP } from 'node:net';
import tls from 'node:tls';
import type { LookupFn } from '../probe/connect.js';

/** The longest a sniff may take; a port that says nothing in this time is not called a TLS port. */
export const SNIFF_TIMEOUT_MS = 2000;

/**
 * Starts a TLS handshake with `host:port` (no certificate verified, nothing sent but a ClientHello: no credential
 * ever leaves) and says whether a TLS server answered — a ServerHello, or a TLS alert of its own.
 */
export async function speaksTls(host: string, port: number, options: { timeoutMs?: number; lookup?: LookupFn } = {}): Promise<boolean> {
  const bare = host.replace(/^\[|\]$/g, '');
  const address = await addressOf(bare, options.lookup);
  if (address === undefined) return false;
  return sniff({ host: address, port, ...(isIP(bare) === 0 ? { servername: host } : {}) }, options.timeoutMs, (socket, finish) => {
    socket.once('secureConnect', () => finish(true));
    socket.once('error', (err: NodeJS.ErrnoException) => {
      // An alert from the server (it wants a client certificate, say) is a TLS server too; a reset or a plain-HTTP
      // answer ("wrong version number") is not.
      finish(/^ERR_SSL_(?:SSLV3|TLSV1|TLSV13)_ALERT_/.test(err.code ?? ''));
    });
  });
}

// The alerts a server sends when a handshake brings no client certificate and it wants one.
const NO_CERT_ALERT = /^ERR_SSL_(?:SSLV3|TLSV1|TLSV13)_ALERT_(?:CERTIFICATE_REQUIRED|HANDSHAKE_FAILURE|BAD_CERTIFICATE)$/;

/**
 * Whether `host:port` refuses a TLS client that has no certificate: a handshake without one, then a bare
 * `GET /` (no credentials) so a server that does not care answers with HTTP. True only for the server's own alert.
 * The evidence that an EOF after a handshake *with* the job's certificate was that certificate being refused, as a
 * Node.js mTLS server does (it drops the connection without an alert).
 */
export async function demandsClientCert(host: string, port: number, options: { timeoutMs?: number; lookup?: LookupFn; servername?: string } = {}): Promise<boolean> {
  const bare = host.replace(/^\[|\]$/g, '');
  const address = await addressOf(bare, options.lookup);
  if (address === undefined) return false;
  const servername = options.servername ?? (isIP(bare) === 0 ? bare : undefined);
  return sniff({ host: address, port, ...(servername ? { servername } : {}) }, options.timeoutMs, (socket, finish) => {
    socket.once('secureConnect', () => socket.write(`GET / HTTP/1.1\r\nHost: ${bare}\r\nConnection: close\r\n\r\n`));
    socket.once('data', () => finish(false));
    socket.once('end', () => finish(false));
    socket.once('error', (err: NodeJS.ErrnoException) => finish(NO_CERT_ALERT.test(err.code ?? '')));
  });
}

/** The address to dial: an IP as it is, a name through `lookup` when given; undefined when the lookup fails. */
async function addressOf(bare: string, lookup: LookupFn | undefined): Promise<string | undefined> {
  if (!lookup || isIP(bare) !== 0) return bare;
  try {
    return (await lookup(bare)).address;
  } catch {
    return undefined;
  }
}

/**
 * One unverified TLS connection, ended by the first answer `listen` gives, or false after the timeout (at most
 * SNIFF_TIMEOUT_MS); the socket is destroyed either way.
 */
function sniff(options: tls.ConnectionOptions, timeoutMs: number | undefined, listen: (socket: tls.TLSSocket, finish: (answer: boolean) => void) => void): Promise<boolean> {
  return new Promise<boolean>((resolve) => {
    let done = false;
    const finish = (answer: boolean) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(answer);
    };
    const socket = tls.connect({ ...options, rejectUnauthorized: false });
    const timer = setTimeout(() => finish(false), Math.min(timeoutMs ?? SNIFF_TIMEOUT_MS, SNIFF_TIMEOUT_MS));
    listen(socket, finish);
  });
}
