// Scrubbing what a probe sent out of what a target sends back: raw, base64 at any offset, URL- and JSON-encoded.
import { describe, expect, it } from 'vitest';
import { MAX_SCRUB_NEEDLES, MAX_SENT_SECRETS, MIN_SCRUB_LENGTH, REDACTED, scrubDeep, SentSecrets } from '../../src/probe/scrub.js';

const CANARY = 'CANARY-tok3n/+=:&"x';

describe('SentSecrets.scrub', () => {
  const b64 = (s: string) => Buffer.from(s).toString('base64');
  const b64url = (s: string) => Buffer.from(s).toString('base64url');
  const sent = new SentSecrets().add(CANARY).addBasic('prometheus', 'pa55word-xyz');

  it.each([
    ['raw', `user=${CANARY}, verb=get`],
    ['upper-cased', `user=${CANARY.toUpperCase()}`],
    ['base64', `token ${b64(CANARY)}`],
    ['base64url', `token ${b64url(CANARY)}`],
    ['inside a longer base64 text at offset 1', b64(`x${CANARY}yz`)],
    ['inside a longer base64 text at offset 2', b64(`xy${CANARY}z`)],
    ['URL-encoded', `/login?next=${encodeURIComponent(CANARY)}`],
    ['form-encoded', `/login?${new URLSearchParams({ t: CANARY }).toString()}`],
    ['JSON-escaped', JSON.stringify({ echo: CANARY })],
    ['the basic-auth header value', `Basic ${b64('prometheus:pa55word-xyz')}`],
    ['the basic password alone', 'password was pa55word-xyz'],
    ['user:pass', 'prometheus:pa55word-xyz'],
  ])('removes the %s form', (_what, text) => {
    const out = sent.scrub(text);
    expect(out).toContain(REDACTED);
    expect(out).not.toContain(CANARY);
    expect(out).not.toContain(b64(CANARY).slice(2, -2));
    expect(out).not.toContain('pa55word-xyz');
    expect(out).not.toContain(b64('prometheus:pa55word-xyz'));
  });

  it('leaves text without a secret alone, and never scrubs the user name on its own', () => {
    expect(sent.scrub('Forbidden (user=prometheus, verb=get, resource=nodes)')).toBe('Forbidden (user=prometheus, verb=get, resource=nodes)');
  });

  it(`ignores secrets shorter than ${MIN_SCRUB_LENGTH} characters (and the empty credential)`, () => {
    const short = new SentSecrets().add('').add('ab');
    expect(short.size).toBe(0);
    expect(short.scrub('server returned HTTP status 401 Unauthorized')).toBe('server returned HTTP status 401 Unauthorized');
  });

  it(`keeps at most ${MAX_SCRUB_NEEDLES} forms, however many secrets are added`, () => {
    const many = new SentSecrets();
    for (let i = 0; i < 1000; i++) many.add(`secret-number-${i}-${'x'.repeat(20)}`);
    expect(many.size).toBe(MAX_SENT_SECRETS);
    many.scrub('x'.repeat(100));
    expect(many.forms).toBeLessThanOrEqual(MAX_SCRUB_NEEDLES);
  });
});

describe('scrubDeep', () => {
  it('scrubs every string of a nested result and keeps numbers, booleans and undefined', () => {
    const sent = new SentSecrets().add(CANARY);
    const result = { error: `line 1 is not a sample: "Bearer ${CANARY} 1"`, statusCode: 200, ok: false, missing: undefined, hops: [{ responseHeaders: [['x-echo', CANARY]], tls: { chain: [{ subject: `CN=${CANARY}` }] } }] };
    const out = scrubDeep(result, sent);
    expect(JSON.stringify(out)).not.toContain(CANARY);
    expect(out.statusCode).toBe(200);
    expect(out.ok).toBe(false);
    expect('missing' in out).toBe(true);
    expect(out.hops[0]!.responseHeaders[0]).toEqual(['x-echo', REDACTED]);
  });

  it('returns the same object when nothing was sent', () => {
    const result = { error: 'x' };
    expect(scrubDeep(result, new SentSecrets())).toBe(result);
  });
});
