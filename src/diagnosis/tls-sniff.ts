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
  const timeoutMs = Math.min(options.timeoutMs ?? SNIFF_TIMEOUT_MS, SNIFF_TIMEOUT_MS);
  let address = host.replace(/^\[|\]$/g, '');
  if (options.lookup && isIP(address) === 0) {
    try {
      address = (await options.lookup(address)).address;
    } catch {
      return false;
    }
  }
  return new Promise<boolean>((resolve) => {
    let done = false;
    const finish = (answer: boolean) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(answer);
    };
    const socket = tls.connect({
      host: address,
      port,
      rejectUnauthorized: false,
      ...(isIP(host.replace(/^\[|\]$/g, '')) === 0 ? { servername: host } : {}),
    });
    const timer = setTimeout(() => finish(false), timeoutMs);
    socket.once('secureConnect', () => finish(true));
    socket.once('error', (err: NodeJS.ErrnoException) => {
      // An alert from the server (it wants a client certificate, say) is a TLS server too; a reset or a plain-HTTP
      // answer ("wrong version number") is not.
      finish(/^ERR_SSL_(?:SSLV3|TLSV1|TLSV13)_ALERT_/.test(err.code ?? ''));
    });
  });
}
