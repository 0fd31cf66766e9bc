import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import bcrypt from 'bcryptjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDirSync } from '../helpers/tmp.js';
import { runExporter, startExporter, type RunningExporter } from './helpers/exporter.js';
import { request } from './helpers/http.js';
import { createPki, type Pki } from './helpers/pki.js';

const CANARY_PASSWORD = 'canary-web-pw-93be1';
const CANARY_TOKEN = 'canary-token-5c1d7';

let pki: Pki;
let dir: string;
let configFile: string;

beforeAll(() => {
  pki = createPki();
  dir = tempDirSync('web-main-');
  writeFileSync(path.join(dir, 'token'), `${CANARY_TOKEN}\n`, { mode: 0o600 });
  configFile = path.join(dir, 'scrape-auth.yml');
  writeFileSync(
    configFile,
    `global: { probe_interval: 30s, probe_timeout: 1s }\nscrape_configs:\n  - job_name: app\n    bearer_token_file: token\n    static_configs: [ { targets: ["127.0.0.1:1"] } ]\n`,
  );
  copyFileSync(pki.serverCert, path.join(dir, 'server.crt'));
  copyFileSync(pki.serverKey, path.join(dir, 'server.key'));
});

function webConfig(name: string, text: string): string {
  const file = path.join(dir, name);
  writeFileSync(file, text);
  return file;
}

describe('an invalid --web.config.file', () => {
  it.each([
    ['unknown key', 'unknown.yml', 'tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n  client_auth: RequireAndVerifyClientCert\n', /unknown\.yml:4:3: tls_server_config\.client_auth: unknown field "client_auth", did you mean "client_auth_type"\?$/],
    ['bad YAML', 'bad-yaml.yml', 'basic_auth_users:\n  alice: [unclosed\n', /bad-yaml\.yml:\d+:\d+: YAML error: /],
    ['missing cert file', 'missing-cert.yml', 'tls_server_config:\n  cert_file: nowhere.crt\n  key_file: server.key\n', /missing-cert\.yml:2:14: tls_server_config\.cert_file: cannot read \/.*\/nowhere\.crt: no such file or directory$/],
    ['key of another certificate', 'mismatch.yml', `tls_server_config:\n  cert_file: server.crt\n  key_file: KEY\n`, /mismatch\.yml:3:13: tls_server_config\.key_file: the private key does not belong to the certificate in cert_file$/],
    ['non-bcrypt hash', 'plain.yml', `basic_auth_users:\n  alice: ${CANARY_PASSWORD}\n`, /plain\.yml:2:10: basic_auth_users\.alice: is not a bcrypt hash/],
    ['missing file', 'does-not-exist.yml', undefined, /does-not-exist\.yml: cannot read config file: no such file or directory$/],
  ])('%s: exits 1 with one line naming the file, line and field', async (_case, name, text, expected) => {
    const file = text === undefined ? path.join(dir, name) : webConfig(name, text.replace('KEY', pki.clientKey));
    const { code, stdout, stderr } = await runExporter([`--config.file=${configFile}`, `--web.config.file=${file}`]);
    expect(code).toBe(1);
    expect(stdout).toBe('');
    const lines = stderr.trimEnd().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^error: invalid web config: /);
    expect(lines[0]).toMatch(expected);
    expect(stderr).not.toContain(CANARY_PASSWORD);
  });
});

describe('the exporter with TLS and basic auth', () => {
  let exporter: RunningExporter;
  const auth = { user: 'prometheus', password: CANARY_PASSWORD };
  let ca: Buffer;

  beforeAll(async () => {
    ca = readFileSync(pki.caCert);
    const file = webConfig('web.yml', `tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\nbasic_auth_users:\n  prometheus: ${bcrypt.hashSync(CANARY_PASSWORD, 4)}\n`);
    exporter = await startExporter([`--config.file=${configFile}`, `--web.config.file=${file}`, '--log.level=debug']);
  });
  afterAll(async () => {
    expect(await exporter?.stop()).toBe(0);
  });

  it('logs that TLS is enabled', async () => {
    await expect.poll(() => exporter.output()).toMatch(/msg="TLS is enabled\." http2=false address=127\.0\.0\.1:\d+/);
  });

  it('answers nothing over plain HTTP', async () => {
    expect((await request(`http://127.0.0.1:${exporter.port}/metrics`)).ok).toBe(false);
  });

  it('answers 401 to a wrong password and 200 to the right one, on every endpoint', async () => {
    for (const p of ['/', '/api/v1/status', '/metrics', '/-/healthy']) {
      const wrong = await request(`https://127.0.0.1:${exporter.port}${p}`, { ca, auth: { user: 'prometheus', password: 'nope' } });
      expect(wrong.ok && [wrong.status, wrong.headers['www-authenticate']], p).toEqual([401, 'Basic']);
      const right = await request(`https://127.0.0.1:${exporter.port}${p}`, { ca, auth });
      expect(right.ok && right.status, p).toBe(200);
    }
  });

  it('keeps every secret out of the page, the API, the metrics and the log', async () => {
    const bodies = await Promise.all(['/', '/api/v1/status', '/metrics'].map((p) => request(`https://127.0.0.1:${exporter.port}${p}`, { ca, auth })));
    for (const answer of bodies) {
      expect(answer.ok).toBe(true);
      if (!answer.ok) continue;
      expect(answer.body).not.toContain(CANARY_PASSWORD);
      expect(answer.body).not.toContain(CANARY_TOKEN);
    }
    expect(exporter.output()).not.toContain(CANARY_PASSWORD);
    expect(exporter.output()).not.toContain(CANARY_TOKEN);
  });
});
