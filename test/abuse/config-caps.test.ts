// Attack: configs and SD files nested 200,000 deep, or past the size cap. Each is refused, quickly and clearly,
// before the YAML parser builds (and recurses over) its tree: it took 2-3 s and left ~300 MB behind.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfigFile, MAX_CONFIG_BYTES } from '../../src/config/load.js';
import { checkYamlDepth, MAX_YAML_DEPTH } from '../../src/config/yaml-depth.js';
import { parseTargetGroups } from '../../src/probe/file-sd.js';
import { runExporter } from '../helpers/exporter.js';

const DEEP = 200_000;
const TIMEOUT = 15_000;
const TESTDATA = path.resolve(import.meta.dirname, '../testdata');

let dir: string;
beforeAll(() => void (dir = mkdtempSync(path.join(os.tmpdir(), 'abuse-config-'))));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const deep: [string, string, string][] = [
  ['flow sequences', `scrape_configs: ${'['.repeat(DEEP)}${']'.repeat(DEEP)}\n`, '1:116'],
  ['flow mappings', `scrape_configs: ${'{a: '.repeat(DEEP)}1${'}'.repeat(DEEP)}\n`, '1:413'],
  ['block sequences on one line', `scrape_configs:\n  ${'- '.repeat(DEEP)}x\n`, '2:199'],
  ['indentation', `${Array.from({ length: 300 }, (_, i) => `${' '.repeat(i)}k${i}:`).join('\n')} 1\n`, '101:101'],
];

describe('YAML nesting depth', () => {
  it.each(deep)('refuses a config nested 200,000 deep (%s) with the line and column', async (_name, text, where) => {
    const file = path.join(dir, 'deep.yml');
    writeFileSync(file, text);
    const err = await loadConfigFile(file).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as Error).message).toBe(`${file}:${where}: YAML error: YAML nested ${MAX_YAML_DEPTH + 1} levels deep, more than the limit of ${MAX_YAML_DEPTH}`);
  }, TIMEOUT);

  it('refuses a file SD YAML nested 200,000 deep without quoting it', () => {
    const parsed = parseTargetGroups('/x/targets.yml', `- targets: ${'['.repeat(DEEP)}${']'.repeat(DEEP)}\n`);
    expect(parsed).toEqual({ ok: false, error: `cannot parse: YAML nested ${MAX_YAML_DEPTH + 1} levels deep, more than the limit of ${MAX_YAML_DEPTH}` });
  }, TIMEOUT);

  it('accepts every real config in the test data, the deepest far under the limit', () => {
    for (const file of ['config/valid-full.yml', 'config/valid-pasted-from-prometheus.yml', 'sidecar/prometheus-full.yml']) {
      expect(checkYamlDepth(readFileSync(path.join(TESTDATA, file), 'utf8')), file).toBeUndefined();
      expect(checkYamlDepth(readFileSync(path.join(TESTDATA, file), 'utf8'), 12), file).toBeUndefined();
    }
  });

  it('--config.check refuses it with one line and exit 1', async () => {
    const file = path.join(dir, 'deep-check.yml');
    writeFileSync(file, deep[0]![1]);
    const run = await runExporter([`--config.file=${file}`, '--config.check']);
    expect(run.code).toBe(1);
    expect(run.stderr).toBe(`error: ${file}:1:116: YAML error: YAML nested ${MAX_YAML_DEPTH + 1} levels deep, more than the limit of ${MAX_YAML_DEPTH}\n`);
  }, TIMEOUT);
});

describe('config size', () => {
  it(`refuses a config over ${MAX_CONFIG_BYTES} bytes before reading it`, async () => {
    const file = path.join(dir, 'big.yml');
    writeFileSync(file, `# ${'x'.repeat(MAX_CONFIG_BYTES)}\n`);
    await expect(loadConfigFile(file)).rejects.toThrow(`more than the 10 MiB limit`);
    const run = await runExporter([`--config.file=${file}`, '--config.check']);
    expect(run.code).toBe(1);
  });
});
