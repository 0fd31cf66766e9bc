import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { importDigest, importPrometheusConfig, MAX_SCRAPE_CONFIG_FILES } from '../../src/sidecar/import.js';

const job = (name: string, extra = '') => `scrape_configs:\n  - job_name: ${name}\n    static_configs: [ { targets: ["${name}:1"] } ]\n${extra}`;

describe('scrape_config_files in an imported prometheus.yml', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'sidecar-scf-'));
    await mkdir(path.join(dir, 'jobs.d'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("imports every file a glob relative to prometheus.yml matches, in name order, with paths relative to each file", async () => {
    await writeFile(path.join(dir, 'prometheus.yml'), 'scrape_config_files: [jobs.d/*.yml]\n' + job('main'));
    await writeFile(path.join(dir, 'jobs.d', 'b.yml'), job('b', '    bearer_token_file: token\n'));
    await writeFile(path.join(dir, 'jobs.d', 'a.yml'), job('a'));
    await writeFile(path.join(dir, 'jobs.d', 'ignored.txt'), job('nope'));
    const imported = await importPrometheusConfig(path.join(dir, 'prometheus.yml'));
    expect(imported.jobs.map((j) => j.job_name)).toEqual(['main', 'a', 'b']);
    expect(imported.jobs[2]?.bearer_token_file).toBe(path.join(dir, 'jobs.d', 'token'));
    expect(imported.files).toEqual([path.join(dir, 'prometheus.yml'), path.join(dir, 'jobs.d', 'a.yml'), path.join(dir, 'jobs.d', 'b.yml')]);
    expect(imported.scrapeConfigFiles).toEqual([path.join(dir, 'jobs.d', '*.yml')]);
    expect(await importDigest(imported.file, imported.scrapeConfigFiles)).toBe(imported.digest);
  });

  it('changes its digest when a matching file appears or changes, and only then', async () => {
    await writeFile(path.join(dir, 'prometheus.yml'), 'scrape_config_files: [jobs.d/*.yml]\n');
    const first = await importPrometheusConfig(path.join(dir, 'prometheus.yml'));
    await writeFile(path.join(dir, 'jobs.d', 'notes.md'), 'unrelated');
    expect(await importDigest(first.file, first.scrapeConfigFiles)).toBe(first.digest);
    await writeFile(path.join(dir, 'jobs.d', 'new.yml'), job('new'));
    const second = await importDigest(first.file, first.scrapeConfigFiles);
    expect(second).not.toBe(first.digest);
    await writeFile(path.join(dir, 'jobs.d', 'new.yml'), job('renamed'));
    expect(await importDigest(first.file, first.scrapeConfigFiles)).not.toBe(second);
  });

  it.each([
    ['a job name of prometheus.yml again', job('main'), /jobs\.d\/a\.yml:2:15: scrape_configs\[0\]\.job_name: found multiple scrape configs with job name "main", first found in main config file$/],
    ['a job Prometheus refuses', job('x', '    scrape_interval: 10s\n    scrape_timeout: 20s\n'), /jobs\.d\/a\.yml:5:21: scrape_configs\[0\]\.scrape_timeout: scrape timeout greater than scrape interval/],
    ['a key other than scrape_configs, within two edits', 'scrape_config:\n  - job_name: y\n', /did you mean "scrape_configs"\?$/],
  ])('fails the import on %s, naming the file', async (_name, text, message) => {
    await writeFile(path.join(dir, 'prometheus.yml'), 'scrape_config_files: [jobs.d/*.yml]\n' + job('main'));
    await writeFile(path.join(dir, 'jobs.d', 'a.yml'), text);
    await expect(importPrometheusConfig(path.join(dir, 'prometheus.yml'))).rejects.toThrow(message);
  });

  it('refuses a glob with a * before the last path element, as Prometheus does', async () => {
    await writeFile(path.join(dir, 'prometheus.yml'), 'scrape_config_files: ["*/jobs.yml"]\n');
    await expect(importPrometheusConfig(path.join(dir, 'prometheus.yml'))).rejects.toThrow(/prometheus\.yml:1:23: scrape_config_files\[0\]: invalid scrape config file path "\*\/jobs\.yml"$/);
  });

  it(`refuses a glob matching more than ${MAX_SCRAPE_CONFIG_FILES} files`, async () => {
    await Promise.all(Array.from({ length: MAX_SCRAPE_CONFIG_FILES + 1 }, (_, i) => writeFile(path.join(dir, 'jobs.d', `${i}.yml`), '')));
    await writeFile(path.join(dir, 'prometheus.yml'), 'scrape_config_files: [jobs.d/*.yml]\n');
    await expect(importPrometheusConfig(path.join(dir, 'prometheus.yml'))).rejects.toThrow(`scrape_config_files match more than ${MAX_SCRAPE_CONFIG_FILES} files`);
    expect(await importDigest(path.join(dir, 'prometheus.yml'), [path.join(dir, 'jobs.d', '*.yml')])).toBeUndefined();
  });
});
