// Tells a login form (an SSO or authentication proxy in front of the target) from other non-metrics answers (pure).
import type { ResponseHint } from './diagnose.js';

// Paths login forms live under: oauth2-proxy (/oauth2/sign_in), Keycloak (/auth/realms/…/login-actions),
// Dex (/auth), Authelia, ADFS, SAML and the ubiquitous /login and /signin.
const LOGIN_PATH = /\/(?:log-?in|sign-?in|sign_in|sso|oauth2?|auth|authorize|saml2?|openid(?:-connect)?|adfs|cas|idp)(?:[/._-]|$)/i;
// A form asking for a password, or the words of a sign-in page.
const PASSWORD_FIELD = /<input[^>]+type\s*=\s*["']?password/i;
const LOGIN_WORDS = /\b(?:log ?in|sign ?in|single sign-on|sso|authenticate|authentication required)\b/i;
const HTML = /^\s*(?:<!doctype html|<html|<head|<body|<!--)/i;

/** Only this much of the body is looked at: the login words are in the head or the form near the top. */
export const LOGIN_SCAN_BYTES = 16 * 1024;

/** The URL as it may be printed: scheme, host and path (a query may carry a return URL with tokens). */
function printable(url: URL): string {
  return `${url.protocol}//${url.host}${url.pathname}`;
}

/**
 * A 200 that is not metrics but HTML: SPEC's login_page ("HTML or a redirect to a login form instead of metrics").
 * `form` says whether it looks like a sign-in form (a password field, sign-in wording, reached by a redirect to a
 * login path), which the diagnosis words more surely; other HTML is still a page meant for a browser.
 */
export function loginPageHint(contentType: string | undefined, body: string, finalUrl: URL, redirected: boolean): ResponseHint | undefined {
  const type = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  const head = body.slice(0, LOGIN_SCAN_BYTES);
  const html = type === 'text/html' || type === 'application/xhtml+xml' || HTML.test(head);
  if (!html) return undefined;
  const form = (redirected && LOGIN_PATH.test(finalUrl.pathname)) || PASSWORD_FIELD.test(head) || LOGIN_WORDS.test(head);
  return { kind: 'login_page', url: printable(finalUrl), form };
}

/** A redirect that was not followed, to a login path: the same SSO proxy, seen before its form. */
export function loginRedirectHint(location: string | undefined, base: URL): ResponseHint | undefined {
  if (location === undefined) return undefined;
  let url: URL;
  try {
    url = new URL(location, base);
  } catch {
    return undefined;
  }
  return LOGIN_PATH.test(url.pathname) ? { kind: 'login_page', url: printable(url), form: true } : undefined;
}
