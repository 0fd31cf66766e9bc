// A test HTTP(S) client: one fresh connection per request, answers and connection errors as values.
import http from 'node:http';
import https from 'node:https';
import type { PeerCertificate, TLSSocket } from 'node:tls';

export type Answer =
  | { ok: true; status: number; headers: http.IncomingHttpHeaders; body: string; peer: PeerCertificate | undefined }
  | { ok: false; code: string };

export interface RequestOptions {
  ca?: string | Buffer;
  cert?: string | Buffer;
  key?: string | Buffer;
  auth?: { user: string; password: string };
  method?: string;
  timeoutMs?: number;
}

export function request(url: string, options: RequestOptions = {}): Promise<Answer> {
  const target = new URL(url);
  const headers: Record<string, string> = {};
  if (options.auth) headers['authorization'] = `Basic ${Buffer.from(`${options.auth.user}:${options.auth.password}`).toString('base64')}`;
  const lib = target.protocol === 'https:' ? https : http;
  return new Promise((resolve) => {
    const req = lib.request(
      target,
      {
        method: options.method ?? 'GET',
        headers,
        agent: false,
        ...(target.protocol === 'https:' ? { ca: options.ca, cert: options.cert, key: options.key } : {}),
        timeout: options.timeoutMs ?? 5000,
      },
      (res) => {
        const peer = target.protocol === 'https:' ? (res.socket as TLSSocket).getPeerCertificate() : undefined;
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (body += chunk));
        res.on('end', () => resolve({ ok: true, status: res.statusCode ?? 0, headers: res.headers, body, peer }));
        res.on('error', (err: NodeJS.ErrnoException) => resolve({ ok: false, code: err.code ?? err.message }));
      },
    );
    req.on('timeout', () => req.destroy(Object.assign(new Error('timeout'), { code: 'ETIMEDOUT' })));
    req.on('error', (err: NodeJS.ErrnoException) => resolve({ ok: false, code: err.code ?? err.message }));
    req.end();
  });
}
