import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { isBcryptHash, parseWebConfig } from '../../src/web/config.js';

const DATA = 'test/testdata/web';
const parse = (name: string) => parseWebConfig(readFileSync(path.join(DATA, name), 'utf8'), path.join(DATA, name));

describe('parseWebConfig', () => {
  it.each([
    ['unknown-key.bad.yml', '4:3: tls_server_config.client_auth_typo: unknown field "client_auth_typo", did you mean "client_auth_type"?'],
    ['bad-yaml.bad.yml', '4:1: YAML error: Missing closing "quote'],
    ['non-bcrypt-hash.bad.yml', '2:10: basic_auth_users.alice: is not a bcrypt hash (expected $2a$, $2b$ or $2y$ with a cost from 04 to 31, e.g. from `htpasswd -nBC 10 ""`)'],
    ['unknown-header.bad.yml', '3:5: http_server_config.headers["X-Powered-By"]: HTTP header "X-Powered-By" can not be configured (allowed: Strict-Transport-Security, X-Content-Type-Options, X-Frame-Options, X-XSS-Protection, Content-Security-Policy)'],
    ['bad-header-value.bad.yml', '3:22: http_server_config.headers["X-Frame-Options"]: must be one of "deny", "sameorigin", got "allow"'],
    ['bad-client-auth-type.bad.yml', '4:21: tls_server_config.client_auth_type: must be one of "NoClientCert", "RequestClientCert", "RequireAnyClientCert", "RequireClientCert", "VerifyClientCertIfGiven", "RequireAndVerifyClientCert", got "RequireAndVerify"'],
    ['ca-without-client-auth.bad.yml', '4:3: tls_server_config.client_ca_file: a client CA is set but client_auth_type is NoClientCert (use RequireAndVerifyClientCert to check client certificates)'],
    ['missing-key-file.bad.yml', '2:3: tls_server_config: missing one of key or key_file'],
    ['bad-min-version.bad.yml', '4:16: tls_server_config.min_version: must be one of "TLS10", "TLS11", "TLS12", "TLS13", got "TLS14"'],
    ['min-above-max.bad.yml', '4:16: tls_server_config.min_version: min_version TLS13 is above max_version TLS12'],
    ['unknown-cipher.bad.yml', "6:7: tls_server_config.cipher_suites[1]: unknown cipher suite: use Go's crypto/tls names, e.g. TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"],
    ['not-a-mapping.bad.yml', '1:1: the web config must be a mapping (tls_server_config, http_server_config, basic_auth_users, rate_limit)'],
  ])('rejects %s with file:line:col, the key path and what to fix', (name, expected) => {
    expect(() => parse(name)).toThrow(`${path.join(DATA, name)}:${expected}`);
  });

  it('never echoes a value typed where a bcrypt hash belongs', () => {
    expect(() => parse('non-bcrypt-hash.bad.yml')).toThrow(expect.objectContaining({ message: expect.not.stringContaining('plaintext-canary-password') }));
  });

  it('accepts every field exporter-toolkit documents, mapping Go names to Node ones', () => {
    const config = parse('full.good.yml');
    expect(config.tls).toMatchObject({
      cert: { file: path.resolve(DATA, 'server.crt') },
      key: { file: path.resolve(DATA, 'server.key') },
      clientCa: { file: '/etc/ca/ca.crt' },
      clientAuthType: 'RequireAndVerifyClientCert',
      clientAllowedSans: ['prometheus.monitoring'],
      minVersion: 'TLSv1.2',
      maxVersion: 'TLSv1.3',
      // TLS 1.3 suites are ignored in cipher_suites, as Go ignores them.
      ciphers: ['ECDHE-ECDSA-AES128-GCM-SHA256'],
      honorCipherOrder: false,
      curves: ['X25519', 'P-256'],
    });
    expect(config.http2).toBe(false);
    // A blank header value leaves the header unset, as in exporter-toolkit.
    expect(config.headers).toEqual({ 'X-Frame-Options': 'deny', 'X-Content-Type-Options': 'nosniff', 'Strict-Transport-Security': 'max-age=31536000' });
    expect([...config.users.keys()]).toEqual(['alice']);
    expect(String(config.users.get('alice'))).toBe('<secret>');
    expect(config.rateLimit).toEqual({ intervalMs: 100, burst: 10 });
  });

  it('treats an empty file as plain HTTP without authentication', () => {
    const config = parse('empty.good.yml');
    expect(config.tls).toBeUndefined();
    expect(config.users.size).toBe(0);
    expect(config.headers).toEqual({});
  });

  it('resolves relative file paths against the web config file directory', () => {
    const config = parseWebConfig('tls_server_config: {cert_file: a.crt, key_file: ../b.key}', '/etc/exporter/web.yml');
    expect(config.tls?.cert).toEqual({ file: '/etc/exporter/a.crt' });
    expect(config.tls?.key).toEqual({ file: '/etc/b.key' });
  });

  it('keeps the old RequireClientCert spelling working as RequireAnyClientCert', () => {
    const config = parseWebConfig('tls_server_config: {cert_file: a, key_file: b, client_auth_type: RequireClientCert}', 'web.yml');
    expect(config.tls?.clientAuthType).toBe('RequireAnyClientCert');
  });

  it.each([
    ['tls_server_config: {cert_file: a, cert: x, key_file: b}', 'web.yml:1:35: tls_server_config.cert: at most one of cert and cert_file'],
    ['tls_server_config: {cert_file: a, key_file: b, client_allowed_sans: [x]}', 'web.yml:1:48: tls_server_config.client_allowed_sans: requires client_auth_type RequireAnyClientCert or RequireAndVerifyClientCert'],
    ['tls_server_config: {min_version: TLS13}', 'web.yml:1:21: tls_server_config.min_version: TLS options are set but no cert_file/key_file: set both to enable TLS'],
    ['rate_limit: {interval: 1s}', 'web.yml:1:13: rate_limit.burst: must be at least 1 when rate_limit.interval is set'],
    ['basic_auth_users: {alice: 12}', 'web.yml:1:27: basic_auth_users.alice: expected a bcrypt hash string'],
  ])('rejects the cross-field mistake in %s', (text, expected) => {
    expect(() => parseWebConfig(text, 'web.yml')).toThrow(expected);
  });
});

describe('isBcryptHash', () => {
  it.each([
    ['$2y$10$X0h1gDsPszWURQaxFh.zoubFi6DXncSjhoQNJgRrnGs7EsimhC7zG', true],
    ['$2b$04$abcdefghijklmnopqrstuuJ3Zq0bQe6YlqQmI9ZzVhG2gV.9L5mGy', true],
    ['$2y$03$X0h1gDsPszWURQaxFh.zoubFi6DXncSjhoQNJgRrnGs7EsimhC7zG', false],
    ['$2y$10$tooshort', false],
    ['{SHA}W6ph5Mm5Pz8GgiULbPgzG37mj9g=', false],
    ['password', false],
  ])('%s → %s', (hash, expected) => {
    expect(isBcryptHash(hash)).toBe(expected);
  });
});
