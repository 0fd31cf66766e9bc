import { describe, expect, it } from 'vitest';
import { filesNamedBy } from '../../src/config/check.js';
import { parseConfig } from '../../src/config/load.js';
import { planCredentials } from '../../src/credentials/plan.js';

const load = (yaml: string) => parseConfig(yaml, '/etc/scrape-auth/scrape-auth.yml').config;

describe('planCredentials', () => {
  const config = load(`
scrape_configs:
  - job_name: app
    bearer_token_file: secrets/token
    tls_config: { ca_file: ca.crt, cert_file: client.crt, key_file: client.key }
    http_headers: { X-Key: { files: [secrets/header] } }
  - job_name: other
    basic_auth: { username_file: secrets/user, password_file: secrets/password }
  - job_name: inline
    tls_config: { cert: "-----BEGIN CERTIFICATE-----", key_file: inline.key }
credential_files:
  - { path: secrets/token, labels: { owner: platform } }
  - { path: /var/run/secrets/kubernetes.io/serviceaccount/token }
prometheus:
  config_file: /etc/prometheus/prometheus.yml
  url: http://localhost:9090
  authorization: { credentials_file: prom-token }
`);

  it('names every file with its job and usage, as filesNamedBy reports them', () => {
    const uses = filesNamedBy(config)
      .filter((f) => f.usage !== undefined)
      .map((f) => `${f.job ?? '-'} ${f.usage} ${f.path}`);
    expect(uses).toEqual([
      'app bearer_token /etc/scrape-auth/secrets/token',
      'app ca /etc/scrape-auth/ca.crt',
      'app client_cert /etc/scrape-auth/client.crt',
      'app client_key /etc/scrape-auth/client.key',
      'app header /etc/scrape-auth/secrets/header',
      'other username /etc/scrape-auth/secrets/user',
      'other password /etc/scrape-auth/secrets/password',
      'inline client_key /etc/scrape-auth/inline.key',
      '- bearer_token /etc/scrape-auth/prom-token',
    ]);
  });

  it('watches each path once, with the labels of its credential_files entry, but not the Prometheus config', () => {
    const { files } = planCredentials(config);
    expect([...files.keys()]).not.toContain('/etc/prometheus/prometheus.yml');
    expect(files.get('/etc/scrape-auth/secrets/token')).toEqual({
      path: '/etc/scrape-auth/secrets/token',
      labels: { owner: 'platform' },
      uses: [{ job: 'app', usage: 'bearer_token' }],
    });
    expect(files.get('/var/run/secrets/kubernetes.io/serviceaccount/token')).toEqual({
      path: '/var/run/secrets/kubernetes.io/serviceaccount/token',
      labels: {},
      uses: [],
    });
    expect(files.get('/etc/scrape-auth/prom-token')?.uses).toEqual([]);
    expect(files.size).toBe(10);
  });

  it('pairs each job’s client certificate with its key, from files or inline', () => {
    const { pairs } = planCredentials(config);
    expect(pairs.map((p) => [p.job, 'file' in p.cert ? p.cert.file : 'inline', 'file' in p.key ? p.key.file : 'inline'])).toEqual([
      ['app', '/etc/scrape-auth/client.crt', '/etc/scrape-auth/client.key'],
      ['inline', 'inline', '/etc/scrape-auth/inline.key'],
    ]);
  });

  it.each(['path', 'type', 'scrape_job', '__meta'])('refuses a credential_files label named %s, which the exporter sets itself', (name) => {
    expect(() => load(`credential_files: [ { path: x, labels: { ${name}: v } } ]\n`)).toThrow(/credential_files\[0\]\.labels: label names "path".*are set by the exporter/);
  });
});
