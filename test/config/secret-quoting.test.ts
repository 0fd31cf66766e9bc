// Config and web-config errors never quote text that could be a secret: a typo turns a password into a key, a
// PEM line pasted one line off lands in another field. Each case is a typo with a canary; the error must still
// say where (file:line:col, key path) and what, and must not hold the canary.
import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from '../../src/config/load.js';
import { isPlausibleName, keyPathSegment, MAX_QUOTED_VALUE_LENGTH, quoteValue, redactQuoted, unknownFieldText } from '../../src/config/quote.js';
import { parseWebConfig } from '../../src/web/config.js';

const CANARY = 'SECRETc4nary';
const KEY_MATERIAL = 'MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7';

function errorOf(parse: () => unknown): string {
  try {
    parse();
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as Error).message;
  }
  throw new Error('expected the config to be refused');
}

const job = (body: string) => `scrape_configs:\n  - job_name: app\n${body}`;

describe('config errors quote no secret', () => {
  it.each([
    ['a long password run into its key', job(`    basic_auth: {username: u, password:${CANARY}${CANARY}}\n`), 'unknown field "password…" (the rest is not shown)'],
    ['a password run into its key (no space after the colon)', job(`    basic_auth: {username: u, password:${CANARY}}\n`), 'x.yml:3:31: scrape_configs[0].basic_auth[…]: unknown field "password…" (the rest is not shown): is a space missing after the colon?'],
    ['a bare password as a key', job(`    basic_auth: {username: u, ${CANARY}}\n`), 'scrape_configs[0].basic_auth[…]: unknown field (not shown'],
    ['key material in scheme', job(`    scheme: ${KEY_MATERIAL}\n`), 'scrape_configs[0].scheme: must be one of "http", "https", got another value (not shown)'],
    ['key material as a key', job(`    scheme: https\n    ${KEY_MATERIAL}: x\n`), 'x.yml:4:5: scrape_configs[0][…]: unknown field (not shown'],
    ['a token as a duration', job(`    scrape_timeout: ${CANARY}\n`), 'scrape_configs[0].scrape_timeout: not a valid duration string (use Prometheus units'],
    ['a token as a label name', job(`    static_configs: [{targets: ["a:1"], labels: {"${CANARY}:x": v}}]\n`), 'scrape_configs[0].static_configs[0].labels[…]: not a valid label name'],
    ['a token in an enum of tls_config', job(`    tls_config: {min_version: ${CANARY}}\n`), 'got another value (not shown)'],
    ['a header secret run into the header name', job(`    http_headers: {"X-Key:${CANARY}": {values: [a]}, X: 1}\n`), 'scrape_configs[0].http_headers'],
  ])('%s', (_what, yaml, expected) => {
    const message = errorOf(() => parseConfig(yaml, 'x.yml'));
    expect(message).toContain(expected);
    expect(message).not.toContain(CANARY);
    expect(message).not.toContain(KEY_MATERIAL.slice(0, 12));
  });

  it('still quotes typos of field names and enum values, and durations, so errors stay helpful', () => {
    expect(errorOf(() => parseConfig(job('    basic_auht: {username: u}\n'), 'x.yml'))).toContain('unknown field "basic_auht", did you mean "basic_auth"?');
    expect(errorOf(() => parseConfig(job('    scheme: htps\n'), 'x.yml'))).toContain('got "htps"');
    expect(errorOf(() => parseConfig(job('    scrape_timeout: 5 minutes\n'), 'x.yml'))).toContain('not a valid duration string: "5 minutes"');
    expect(errorOf(() => parseConfig(job('    enable_compressionn: true\n'), 'x.yml'))).toContain('"enable_compressionn"');
  });
});

describe('web config errors quote no secret', () => {
  it.each([
    ['a plain password run into the user name', `basic_auth_users: {alice:${CANARY}}\n`, 'w.yml:1:20: basic_auth_users[…]: expected a bcrypt hash string'],
    ['a plain password as the hash', `basic_auth_users:\n  alice: ${CANARY}\n`, 'basic_auth_users.alice: is not a bcrypt hash'],
    ['a password as a header name', `http_server_config: {headers: {${CANARY}: a}}\n`, 'HTTP header (not shown) can not be configured'],
    ['key material as client_auth_type', `tls_server_config: {cert_file: a, key_file: b, client_auth_type: ${KEY_MATERIAL}}\n`, 'got another value (not shown)'],
  ])('%s', (_what, yaml, expected) => {
    const message = errorOf(() => parseWebConfig(yaml, 'w.yml'));
    expect(message).toContain(expected);
    expect(message).not.toContain(CANARY);
    expect(message).not.toContain(KEY_MATERIAL.slice(0, 12));
  });
});

describe('quote.ts', () => {
  it.each([
    ['job_name', true],
    ['X-Scope-OrgID', true],
    ['alice@example.com', true],
    ['__scheme__', true],
    ['password:SECRET', false],
    ['SECRETXYZ', false],
    [KEY_MATERIAL, false],
    ['eyJhbGciOiJIUzI1NiJ9', false],
    ['a'.repeat(65), false],
    ['', false],
  ])('isPlausibleName(%j) is %s', (text, plausible) => {
    expect(isPlausibleName(text)).toBe(plausible);
  });

  it('prints key path segments that could be secrets as […]', () => {
    expect(keyPathSegment('basic_auth', false)).toBe('.basic_auth');
    expect(keyPathSegment('X-Scope', false)).toBe('["X-Scope"]');
    expect(keyPathSegment(`alice:${CANARY}`, false)).toBe('[…]');
    expect(keyPathSegment(3, false)).toBe('[3]');
  });

  it('quotes a value only when it reads like a mistyped word or has the field\'s shape', () => {
    expect(quoteValue('htps', ['http', 'https'])).toBe('"htps"');
    expect(quoteValue(CANARY, ['http', 'https'])).toBe('…');
    expect(quoteValue('30sec', [], /^[0-9]/)).toBe('"30sec"');
    expect(quoteValue({ nested: CANARY })).toBe('…');
    expect(quoteValue('a'.repeat(MAX_QUOTED_VALUE_LENGTH), [], /^a+$/)).toBe(JSON.stringify('a'.repeat(MAX_QUOTED_VALUE_LENGTH)));
    expect(quoteValue('a'.repeat(MAX_QUOTED_VALUE_LENGTH + 1), [], /^a+$/)).toBe('…');
    expect(unknownFieldText(`password=${CANARY}`, 'password')).not.toContain(CANARY);
    // The net under every message: quoted user text that is no plausible name or duration is cut out.
    expect(redactQuoted(`not a valid duration string: "${CANARY}"`)).toBe('not a valid duration string: "…"');
    expect(redactQuoted(`unknown unit "${KEY_MATERIAL}" in duration "5 minutes"`)).toBe('unknown unit "…" in duration "5 minutes"');
    expect(redactQuoted('unknown field "password…", did you mean "basic_auth"? job "my-app"')).toBe('unknown field "password…", did you mean "basic_auth"? job "my-app"');
    expect(unknownFieldText(`password:${CANARY}`, 'password_file', ['password', 'password_file'])).toContain('unknown field "password…"');
  });
});
