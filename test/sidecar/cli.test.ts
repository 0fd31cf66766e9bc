import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runExporter } from '../helpers/exporter.js';

// The built exporter (dist/main.js), run as a user runs it, with a config that imports prometheus.yml.
describe('the exporter with prometheus.config_file', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'sidecar-cli-'));
    await writeFile(path.join(dir, 'scrape-auth.yml'), 'prometheus: { config_file: prometheus.yml }\n');
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });
  const prometheusYml = (text: string) => writeFile(path.join(dir, 'prometheus.yml'), text);
  const args = () => [`--config.file=${path.join(dir, 'scrape-auth.yml')}`];

  it('--config.check names what was imported and skipped, and checks the files prometheus.yml names', async () => {
    await prometheusYml('scrape_configs:\n  - job_name: app\n    bearer_token_file: secrets/token\n  - job_name: cloud\n    sigv4: { region: eu-west-1 }\n');
    const result = await runExporter([...args(), '--config.check']);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('prometheus.yml: 1 job(s) imported, 1 skipped');
    expect(result.stdout).toContain('SKIPPED: job "cloud" (sigv4)');
    expect(result.stdout).toContain(`FAILED: job "app" bearer_token_file: ${path.join(dir, 'secrets/token')}: no such file or directory`);
  });

  it('--config.check refuses a typo in prometheus.yml with "did you mean", and lists a newer field as a warning', async () => {
    await prometheusYml('scrape_configs:\n  - job_name: app\n    basic_auht: { username: u, password: canary-pw }\n');
    const typo = await runExporter([...args(), '--config.check']);
    expect(typo.code).toBe(1);
    expect(typo.stderr.trim()).toBe(`error: ${path.join(dir, 'prometheus.yml')}:3:5: scrape_configs[0].basic_auht: unknown field "basic_auht", did you mean "basic_auth"?`);
    expect(typo.stdout + typo.stderr).not.toContain('canary-pw');

    await prometheusYml('scrape_configs:\n  - job_name: app\n    scrape_fancy_future_option: true\n    static_configs: [ { targets: ["a:1"] } ]\n');
    const newer = await runExporter([...args(), '--config.check']);
    expect(newer.code).toBe(0);
    expect(newer.stdout).toContain(`WARNING: ${path.join(dir, 'prometheus.yml')}:3:5: unknown field "scrape_fancy_future_option" in job "app" accepted for a newer Prometheus`);
  });

  it.each([
    { mode: 'with --config.check', flags: ['--config.check'] },
    { mode: 'at start-up', flags: [] },
  ])('refuses a broken prometheus.yml with one located line and exit 1, $mode', async ({ flags }) => {
    await prometheusYml('scrape_configs:\n  - job_name: app\n   x: [\n');
    const result = await runExporter([...args(), ...flags], { timeoutMs: 10_000 });
    expect(result.code).toBe(1);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toMatch(new RegExp(`^error: ${path.join(dir, 'prometheus.yml').replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}:3:\\d+: YAML error: `));
  });
});
