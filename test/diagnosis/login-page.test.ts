import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { LOGIN_SCAN_BYTES, loginPageHint, loginRedirectHint } from '../../src/diagnosis/login-page.js';
import { demandsClientCert, speaksTls } from '../../src/diagnosis/tls-sniff.js';
import { startServer, startTcp } from '../probe/helpers.js';

const at = (href: string) => new URL(href);

describe('loginPageHint', () => {
  it.each([
    ['a form with a password field', 'text/html', '<html><form><input type="password" name="p"></form></html>', false, true],
    ['sign-in wording', 'text/html; charset=utf-8', '<html><head><title>Sign in to Grafana</title></head></html>', false, true],
    ['HTML reached by a redirect to /oauth2/sign_in', 'text/html', '<html><body>Welcome</body></html>', true, true],
    ['HTML without a Content-Type', undefined, '<!DOCTYPE html><html><title>Log in</title></html>', false, true],
  ])('%s: a login form', (_name, type, body, redirected, login) => {
    const url = redirected ? at('https://sso.example/oauth2/sign_in?rd=%2Fmetrics&token=x') : at('https://app.example/metrics');
    const hint = loginPageHint(type, body, url, redirected);
    expect(hint?.form).toBe(login);
    // Never the query: it may carry a return URL or a token.
    expect(hint!.url).not.toContain('?');
  });

  it('calls other HTML a page (login_page, not a form); anything else is no page at all', () => {
    expect(loginPageHint('text/html', '<html><body>Dashboard</body></html>', at('http://a/metrics'), false)).toEqual({ kind: 'login_page', url: 'http://a/metrics', form: false });
    expect(loginPageHint('application/json', '{"login":"x"}', at('http://a/metrics'), false)).toBeUndefined();
    expect(loginPageHint('text/plain', 'up 1 2 3 garbage', at('http://a/metrics'), false)).toBeUndefined();
  });

  it('looks at the first LOGIN_SCAN_BYTES of the body only', () => {
    const body = `<html>${' '.repeat(LOGIN_SCAN_BYTES)}<input type="password"></html>`;
    expect(loginPageHint('text/html', body, at('http://a/metrics'), false)?.form).toBe(false);
  });
});

describe('loginRedirectHint', () => {
  it.each([
    ['/login?next=/metrics', true],
    ['https://idp.example/auth/realms/x/protocol/openid-connect/auth?client_id=y', true],
    ['/oauth2/start', true],
    ['/metrics/', false],
    ['/new-location', false],
  ])('%s → %s', (location, login) => {
    const hint = loginRedirectHint(location, at('http://app.example/metrics'));
    expect(hint !== undefined).toBe(login);
    if (hint) expect(hint.url).not.toContain('?');
  });
});

describe('speaksTls', () => {
  it('is false for a plain HTTP port and for a port that drops the connection', async () => {
    const plain = await startServer((_q, r) => void r.end('x'));
    const dropper = await startTcp((s) => s.destroy());
    try {
      expect(await speaksTls('127.0.0.1', plain.port)).toBe(false);
      expect(await speaksTls('127.0.0.1', dropper.port)).toBe(false);
    } finally {
      await plain.close();
      await dropper.close();
    }
  });

  it('gives up after its timeout on a port that never answers (false, never a hang)', async () => {
    const tarpit = await startTcp(() => undefined);
    try {
      expect(await speaksTls('127.0.0.1', tarpit.port, { timeoutMs: 200 })).toBe(false);
    } finally {
      await tarpit.close();
    }
  });

  it('is false for a port nothing listens on', async () => {
    const s = net.createServer();
    await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
    const port = (s.address() as net.AddressInfo).port;
    await new Promise<void>((r) => s.close(() => r()));
    expect(await speaksTls('127.0.0.1', port)).toBe(false);
  });
});

describe('demandsClientCert', () => {
  it('is false for a TLS port that serves anyone, and for a plain HTTP one', async () => {
    const { makePki } = await import('../probe/helpers.js');
    const pki = makePki();
    const open = await startServer((_q, r) => void r.end('x'), { cert: pki.serverCert, key: pki.serverKey });
    const mtls = await startServer((_q, r) => void r.end('x'), { cert: pki.serverCert, key: pki.serverKey, ca: pki.caCert, requestCert: true, rejectUnauthorized: true });
    const plain = await startServer((_q, r) => void r.end('x'));
    try {
      expect(await demandsClientCert('127.0.0.1', open.port)).toBe(false);
      expect(await demandsClientCert('127.0.0.1', plain.port)).toBe(false);
      expect(await demandsClientCert('127.0.0.1', mtls.port)).toBe(true);
    } finally {
      await Promise.all([open.close(), mtls.close(), plain.close()]);
      const { rmSync } = await import('node:fs');
      rmSync(pki.dir, { recursive: true, force: true });
    }
  });
});
