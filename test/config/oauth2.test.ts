// The oauth2 block: read and refused as prometheus/common's OAuth2 is, its files resolved and watched.
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { filesNamedBy } from '../../src/config/check.js';
import { ConfigError, parseConfig } from '../../src/config/load.js';
import { planCredentials } from '../../src/credentials/plan.js';

const FILE = '/etc/scrape-auth/config.yml';
const config = (oauth2: string) => `scrape_configs:\n  - job_name: cloud\n    oauth2:\n${oauth2.replace(/^/gm, '      ')}\n`;

function errorOf(text: string): string {
  try {
    parseConfig(text, FILE);
  } catch (err) {
    if (err instanceof ConfigError) return err.message.slice(FILE.length + 1);
    throw err;
  }
  throw new Error('loaded without error');
}

describe('the oauth2 block', () => {
  it('accepts client credentials with scopes, endpoint_params and its own TLS and proxy settings', () => {
    const loaded = parseConfig(
      config(
        [
          'client_id: prometheus',
          'client_secret_file: secrets/oauth',
          'scopes: [metrics]',
          'token_url: https://idp.example/token',
          'endpoint_params: { audience: api }',
          'tls_config: { ca_file: tls/idp-ca.pem }',
          'proxy_url: http://proxy:3128',
          'no_proxy: internal.example',
          'proxy_connect_header: { X-Tenant: [blue] }',
        ].join('\n'),
      ),
      FILE,
    );
    const o = loaded.config.scrape_configs[0]!.oauth2!;
    // Relative paths are relative to the config file's directory, as prometheus/common's OAuth2.SetDirectory does.
    expect(o.client_secret_file).toBe('/etc/scrape-auth/secrets/oauth');
    expect(o.tls_config?.ca_file).toBe('/etc/scrape-auth/tls/idp-ca.pem');
    expect(o.scopes).toEqual(['metrics']);
    expect(o.proxy_url?.reveal()).toBe('http://proxy:3128');
  });

  it.each([
    ['without client_id', 'token_url: https://idp/token', 'scrape_configs[0].oauth2: oauth2 client_id must be configured'],
    ['with an empty client_id', 'client_id: ""\ntoken_url: https://idp/token', 'scrape_configs[0].oauth2: oauth2 client_id must be configured'],
    ['without token_url', 'client_id: a', 'scrape_configs[0].oauth2: oauth2 token_url must be configured'],
    [
      'with both client_secret and client_secret_file',
      'client_id: a\nclient_secret: s\nclient_secret_file: f\ntoken_url: https://idp/token',
      '6:27: scrape_configs[0].oauth2.client_secret_file: at most one of oauth2 client_secret, client_secret_file & client_secret_ref must be configured using grant-type=client_credentials',
    ],
    ['with a misspelt field', 'client_id: a\nclient_secrt: s\ntoken_url: https://idp/token', '5:7: scrape_configs[0].oauth2.client_secrt: unknown field "client_secrt", did you mean "client_secret"?'],
    [
      'with a client certificate but no key in its tls_config',
      'client_id: a\ntoken_url: https://idp/token\ntls_config: { cert_file: c.pem }',
      'scrape_configs[0].oauth2.tls_config: exactly one of key or key_file must be configured when a client certificate is configured',
    ],
  ])('is refused %s', (_name, body, message) => {
    expect(errorOf(config(body))).toContain(message);
  });

  it('accepts an empty client_secret beside client_secret_file, as Go counts only non-empty values', () => {
    expect(() => parseConfig(config('client_id: a\nclient_secret: ""\nclient_secret_file: f\ntoken_url: https://idp/token'), FILE)).not.toThrow();
  });

  it('is refused together with basic_auth', () => {
    const text = 'scrape_configs:\n  - job_name: cloud\n    basic_auth: { username: u }\n    oauth2: { client_id: a, token_url: "https://idp/token" }\n';
    expect(errorOf(text)).toContain('at most one of basic_auth, oauth2');
  });

  it('never echoes the client secret of a refused block', () => {
    const message = errorOf(config('client_id: a\nclient_secret: canary-oauth-cfg-9911\nclient_secret_file: f\ntoken_url: https://idp/token'));
    expect(message).not.toContain('canary-oauth-cfg-9911');
  });

  it('names client_secret_file as a credential file of the job (usage oauth2_client_secret), and its TLS files', () => {
    const loaded = parseConfig(
      config('client_id: a\nclient_secret_file: secrets/oauth\ntoken_url: https://idp/token\ntls_config: { ca_file: tls/ca.pem, cert_file: tls/c.pem, key_file: tls/c.key }'),
      FILE,
    );
    const named = filesNamedBy(loaded.config).map((f) => [f.usedBy, f.usage]);
    expect(named).toEqual([
      ['job "cloud" oauth2.client_secret_file', 'oauth2_client_secret'],
      ['job "cloud" oauth2.tls_config.ca_file', 'ca'],
      ['job "cloud" oauth2.tls_config.cert_file', 'client_cert'],
      ['job "cloud" oauth2.tls_config.key_file', 'client_key'],
    ]);
    const plan = planCredentials(loaded.config);
    expect(plan.files.get(path.resolve('/etc/scrape-auth/secrets/oauth'))?.uses).toEqual([{ job: 'cloud', usage: 'oauth2_client_secret' }]);
  });
});
