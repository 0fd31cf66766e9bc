import { mkdir, writeFile, truncate } from 'node:fs/promises';
import path from 'node:path';
import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfigFile, MAX_CONFIG_BYTES } from '../../src/config/load.js';
import { Secret } from '../../src/config/secret.js';
import { tempDirSync } from '../helpers/tmp.js';

const TESTDATA = path.resolve(import.meta.dirname, '../testdata/config');
const at = (file: string) => path.join(TESTDATA, file);

// Each invalid file and the exact line the user sees (after "error: ").
const INVALID: [file: string, message: string][] = [
  ['invalid-empty.yml', '1:1: config file is empty: expected a mapping with scrape_configs, credential_files or prometheus'],
  ['invalid-yaml-syntax.yml', '2:19: YAML error: Missing closing "quote'],
  ['invalid-indentation.yml', '5:1: YAML error: All mapping items must start at the same column'],
  ['invalid-duplicate-key.yml', '3:3: YAML error: Map keys must be unique'],
  ['invalid-top-level-list.yml', '1:1: the config must be a mapping of keys (global, scrape_configs, credential_files, prometheus, kubernetes)'],
  ['invalid-string-for-list.yml', '4:18: scrape_configs[0].static_configs[0].targets: expected a list, got a string'],
  ['invalid-unknown-top-key.yml', '3:1: scrape_config: unknown field "scrape_config", did you mean "scrape_configs"?'],
  ['invalid-unknown-global-key.yml', '2:3: global.probe_intervall: unknown field "probe_intervall", did you mean "probe_interval"?'],
  ['invalid-unknown-job-key.yml', '3:5: scrape_configs[0].basic_auht: unknown field "basic_auht", did you mean "basic_auth"?'],
  ['invalid-unknown-nested-key.yml', '5:7: scrape_configs[0].basic_auth.pasword_file: unknown field "pasword_file", did you mean "password_file"?'],
  ['invalid-unknown-tls-key.yml', '5:7: scrape_configs[0].tls_config.ca_fil: unknown field "ca_fil", did you mean "ca_file"?'],
  ['invalid-unknown-probe-key.yml', '4:7: scrape_configs[0].probe.check_unauthenticate: unknown field "check_unauthenticate", did you mean "check_unauthenticated"?'],
  ['invalid-unknown-credential-file-key.yml', '3:5: credential_files[0].label: unknown field "label", did you mean "labels"?'],
  ['invalid-unknown-prometheus-key.yml', '2:3: prometheus.config: unknown field "config", did you mean "config_file"?'],
  ['invalid-unknown-kubernetes-key.yml', '2:3: kubernetes.rbac_check: unknown field "rbac_check", did you mean "rbac_checks"?'],
  ['invalid-duplicate-job-name.yml', '4:15: scrape_configs[2].job_name: found multiple scrape configs with job name "app"'],
  ['invalid-duration-words.yml', '2:19: global.probe_interval: not a valid duration string: "5 minutes" (use Prometheus units: ms, s, m, h, d, w, y)'],
  ['invalid-duration-zero.yml', '2:19: global.probe_interval: must be greater than 0'],
  ['invalid-duration-negative.yml', '4:17: scrape_configs[0].probe.interval: not a valid duration string: "-30s" (use Prometheus units: ms, s, m, h, d, w, y)'],
  ['invalid-timeout-over-interval.yml', '7:16: scrape_configs[0].probe.timeout: probe timeout greater than probe interval for scrape config with job name "app"'],
  ['invalid-global-timeout-over-interval.yml', '3:18: global.probe_timeout: probe_timeout must not exceed probe_interval'],
  ['invalid-two-auth-methods.yml', '7:7: scrape_configs[0].authorization: at most one of basic_auth, oauth2 & authorization must be configured'],
  ['invalid-password-and-password-file.yml', '6:22: scrape_configs[0].basic_auth.password_file: at most one of basic_auth password, password_file & password_ref must be configured'],
  ['invalid-scheme.yml', '3:13: scrape_configs[0].scheme: must be one of "http", "https", got "ftp"'],
  ['invalid-target-url.yml', '4:19: scrape_configs[0].static_configs[0].targets[0]: not a valid hostname: a target is host:port (a scheme or path belongs in scheme and metrics_path, or in relabel_configs)'],
  ['invalid-label-name.yml', '5:32: scrape_configs[0].static_configs[0].labels["bad-label"]: not a valid label name'],
  ['invalid-secret-list.yml', '3:19: scrape_configs[0].bearer_token: expected a string, got a list'],
];

async function loadError(file: string): Promise<ConfigError> {
  try {
    await loadConfigFile(file);
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error(`${file} loaded without error`);
}

describe('loading a config file', () => {
  it.each(INVALID)('rejects %s with file, line, column and key path', async (file, message) => {
    const err = await loadError(at(file));
    expect(err.message).toBe(`${at(file)}:${message}`);
    expect(err.message).not.toContain('\n');
  });

  it('never echoes a secret from a rejected config', async () => {
    const err = await loadError(at('invalid-password-and-password-file.yml'));
    expect(err.message).not.toContain('hunter2-canary');
    const list = await loadError(at('invalid-secret-list.yml'));
    expect(list.message).not.toContain('918273645');
    expect(list.message).not.toContain('hunter2-canary');
  });

  it('refuses a missing file, a directory and a 50 MB file without reading them', async () => {
    const dir = tempDirSync('sae-config-');
    expect((await loadError(path.join(dir, 'missing.yml'))).message).toBe(`${dir}/missing.yml: cannot read config file: no such file or directory`);
    await mkdir(path.join(dir, 'conf.yml'));
    expect((await loadError(path.join(dir, 'conf.yml'))).message).toBe(`${dir}/conf.yml: cannot read config file: is a directory`);
    const big = path.join(dir, 'big.yml');
    await writeFile(big, '');
    await truncate(big, 50 * 1024 * 1024);
    expect((await loadError(big)).message).toBe(`${big}: config file is 52428800 bytes, more than the ${MAX_CONFIG_BYTES / 1024 / 1024} MiB limit`);
  });

  it('fills in defaults and resolves relative paths against the config directory', async () => {
    const { config } = await loadConfigFile(at('valid-full.yml'));
    expect(config.global).toEqual({ probe_interval: 60_000, probe_timeout: 10_000, credential_poll_interval: 10_000, max_concurrent_probes: 8 });
    const [app, kubelet] = config.scrape_configs;
    expect(app!.basic_auth!.password_file).toBe(path.join(TESTDATA, 'secrets/app_password'));
    expect(app!.tls_config!.ca_file).toBe(path.join(TESTDATA, 'tls/ca.pem'));
    expect(app!.tls_config!.cert_file).toBe('/abs/cert.pem');
    expect(app!.http_headers!['X-Scope']!.files).toEqual([path.join(TESTDATA, 'headers/scope')]);
    expect(app!.file_sd_configs[0]!.files).toEqual([path.join(TESTDATA, 'targets/*.json')]);
    expect(app!.follow_redirects).toBe(false);
    expect(app!.probe).toEqual({ interval: 15_000, timeout: 5_000, check_unauthenticated: true });
    expect(kubelet!.scheme).toBe('http');
    expect(kubelet!.metrics_path).toBe('/metrics');
    expect(kubelet!.follow_redirects).toBe(true);
    expect(kubelet!.authorization!.type).toBe('Bearer');
    expect(config.prometheus!.config_file).toBe(path.join(TESTDATA, 'prometheus.yml'));
    expect(config.credential_files[0]).toEqual({ path: '/var/run/secrets/kubernetes.io/serviceaccount/token', labels: { owner: 'platform' } });
  });

  it('keeps a proxy URL with userinfo as a secret', async () => {
    const { config } = await loadConfigFile(at('valid-full.yml'));
    const proxy = config.scrape_configs[0]!.proxy_url!;
    expect(proxy).toBeInstanceOf(Secret);
    expect(proxy.reveal()).toBe('http://user:pw@proxy:3128');
    expect(JSON.stringify(config)).not.toContain('user:pw');
    expect(inspect(config, { depth: 10 })).not.toContain('user:pw');
  });

  it('accepts a job pasted from prometheus.yml and names the ignored fields', async () => {
    const loaded = await loadConfigFile(at('valid-pasted-from-prometheus.yml'));
    expect(loaded.config.scrape_configs[0]!.job_name).toBe('kubelet');
    expect(loaded.config.scrape_configs[0]!.scrape_interval).toBe(15_000);
    expect(loaded.ignoredFields).toEqual([
      'scrape_configs[0].honor_labels',
      'scrape_configs[0].kubernetes_sd_configs',
      'scrape_configs[0].sample_limit',
    ]);
  });
});
