// The SOCKS5 handshake (RFC 1928, RFC 1929) on a connection to a socks5:// proxy, as Go's net/http speaks it.
import type net from 'node:net';

const REPLIES: Record<number, string> = {
  1: 'general SOCKS server failure',
  2: 'connection not allowed by ruleset',
  3: 'network unreachable',
  4: 'host unreachable',
  5: 'connection refused',
  6: 'TTL expired',
  7: 'command not supported',
  8: 'address type not supported',
};

export interface SocksAuth {
  username: string;
  password: string;
}

/**
 * Asks the proxy to connect to host:port. The host name goes to the proxy unresolved (Go does so for socks5 and
 * socks5h alike); with credentials in the proxy URL, username/password authentication is offered beside none.
 * Rejects with Go's words: "socks connect tcp PROXY->HOST:PORT: …".
 */
export function socksConnect(socket: net.Socket, host: string, port: number, auth: SocksAuth | undefined, proxyAddress: string, signal: AbortSignal): Promise<void> {
  const bare = host.replace(/^\[|\]$/g, '');
  const target = bare.includes(':') ? `[${bare}]:${port}` : `${bare}:${port}`;
  const failure = (text: string) => Object.assign(new Error(`socks connect tcp ${proxyAddress}->${target}: ${text}`), { code: 'PROBE_SOCKS' });

  return new Promise<void>((resolve, reject) => {
    let buffered = Buffer.alloc(0);
    let step: 'method' | 'auth' | 'reply' = 'method';
    const cleanup = () => {
      socket.removeListener('data', onData);
      socket.removeListener('error', onError);
      socket.removeListener('close', onClose);
      signal.removeEventListener('abort', onAbort);
    };
    const fail = (err: Error) => {
      cleanup();
      reject(err);
    };
    const onAbort = () => fail(signal.reason instanceof Error ? signal.reason : Object.assign(new Error('aborted'), { code: 'ABORT_ERR' }));
    const onError = (err: Error) => fail(err);
    const onClose = () => fail(failure('EOF'));

    const sendRequest = () => {
      step = 'reply';
      const family = ipFamily(bare);
      let address: Buffer;
      if (family === 4) address = Buffer.from([1, ...bare.split('.').map(Number)]);
      else if (family === 6) address = Buffer.concat([Buffer.from([4]), ipv6Bytes(bare)]);
      else {
        if (Buffer.byteLength(bare) > 255) return fail(failure('FQDN too long'));
        address = Buffer.concat([Buffer.from([3, Buffer.byteLength(bare)]), Buffer.from(bare)]);
      }
      socket.write(Buffer.concat([Buffer.from([5, 1, 0]), address, Buffer.from([port >> 8, port & 0xff])]));
    };

    const onData = (chunk: Buffer) => {
      // Bounded by the protocol: no step waits for more than 4 + 1 + 255 + 2 bytes, and the handshake stops
      // reading (pause) as soon as the reply is complete.
      buffered = Buffer.concat([buffered, chunk]);
      for (;;) {
        if (step === 'method') {
          if (buffered.length < 2) return;
          const [version, method] = buffered;
          buffered = buffered.subarray(2);
          if (version !== 5) return fail(failure(`unexpected protocol version ${version}`));
          if (method === 0xff) return fail(failure('no acceptable authentication methods'));
          if (method === 2 && auth) {
            if (auth.username.length === 0 || Buffer.byteLength(auth.username) > 255 || Buffer.byteLength(auth.password) > 255) return fail(failure('invalid username/password'));
            step = 'auth';
            const user = Buffer.from(auth.username);
            const pass = Buffer.from(auth.password);
            socket.write(Buffer.concat([Buffer.from([1, user.length]), user, Buffer.from([pass.length]), pass]));
            continue;
          }
          if (method !== 0) return fail(failure(`unsupported authentication method ${method}`));
          sendRequest();
          continue;
        }
        if (step === 'auth') {
          if (buffered.length < 2) return;
          const [version, status] = buffered;
          buffered = buffered.subarray(2);
          if (version !== 1) return fail(failure('invalid username/password version'));
          if (status !== 0) return fail(failure('username/password authentication failed'));
          sendRequest();
          continue;
        }
        // The reply: version, status, reserved, address type, address, port.
        if (buffered.length < 5) return;
        const [version, status, reserved, type] = buffered;
        if (version !== 5) return fail(failure(`unexpected protocol version ${version}`));
        if (status !== 0) return fail(failure(`unknown error ${REPLIES[status!] ?? `unknown code: ${status}`}`));
        if (reserved !== 0) return fail(failure('non-zero reserved field'));
        const length = type === 1 ? 4 + 4 + 2 : type === 4 ? 4 + 16 + 2 : type === 3 ? 4 + 1 + buffered[4]! + 2 : -1;
        if (length < 0) return fail(failure(`unknown address type ${type}`));
        if (buffered.length < length) return;
        const rest = buffered.subarray(length);
        cleanup();
        socket.pause();
        if (rest.length > 0) socket.unshift(rest);
        return resolve();
      }
    };

    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    socket.on('data', onData);
    socket.once('error', onError);
    socket.once('close', onClose);
    socket.write(Buffer.from(auth ? [5, 2, 0, 2] : [5, 1, 0]));
  });
}

function ipFamily(host: string): 0 | 4 | 6 {
  if (/^\d{1,3}(\.\d{1,3}){3}$/.test(host)) return 4;
  return host.includes(':') ? 6 : 0;
}

/** An IPv6 literal as its 16 bytes (the embedded-IPv4 tail included). */
function ipv6Bytes(text: string): Buffer {
  let head = text;
  const tail: number[] = [];
  const v4 = /(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(text);
  if (v4) {
    head = text.slice(0, v4.index) + '0:0';
    tail.push(...v4.slice(1).map(Number));
  }
  const [left = '', right] = head.split('::');
  const groups = (part: string) => (part === '' ? [] : part.split(':').map((g) => Number.parseInt(g, 16)));
  const l = groups(left);
  const r = right === undefined ? [] : groups(right);
  const words = [...l, ...Array(8 - l.length - r.length).fill(0), ...r];
  const out = Buffer.alloc(16);
  words.forEach((w, i) => out.writeUInt16BE(w & 0xffff, i * 2));
  if (tail.length === 4) out.set(tail, 12);
  return out;
}
