// Attack: file SD globs that match too much (the whole file system), and a broken SD file holding a secret.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/log.js';
import { FileSd, matchPattern, MAX_SD_WALK_DEPTH, MAX_SD_WALK_ENTRIES } from '../../src/probe/file-sd.js';
import { longTimers } from '../../src/timers.js';
import { startExporter, waitFor, type RunningExporter } from '../helpers/exporter.js';

const CANARY = 'canary-sd-5ecret-7731';
let dir: string;
beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'abuse-sd-'));
  for (let d = 0; d < 6; d++) {
    mkdirSync(path.join(dir, 'tree', `d${d}`), { recursive: true });
    for (let f = 0; f < 10; f++) writeFileSync(path.join(dir, 'tree', `d${d}`, `t${f}.json`), '[]');
  }
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('bounded glob walks', () => {
  it('matches what it should within the limits', async () => {
    expect((await matchPattern(path.join(dir, 'tree/**/*.json'))).files).toHaveLength(60);
  });

  it('is an error naming the glob past the entry limit, and past the file limit', async () => {
    const glob = path.join(dir, 'tree/**/*.json');
    expect(await matchPattern(glob, { entries: 20, files: 1000 })).toEqual({ files: [], error: `glob "${glob}" walks more than 20 directory entries: use a narrower pattern` });
    expect(await matchPattern(glob, { entries: 1000, files: 10 })).toEqual({ files: [], error: `glob "${glob}" matches 60 files, more than the limit of 10: use a narrower pattern` });
  });

  it(`does not descend more than ${MAX_SD_WALK_DEPTH} levels`, async () => {
    const levels = Array.from({ length: MAX_SD_WALK_DEPTH + 4 }, (_, i) => `l${i}`);
    mkdirSync(path.join(dir, 'deep', ...levels), { recursive: true });
    writeFileSync(path.join(dir, 'deep', 'top.json'), '[]');
    writeFileSync(path.join(dir, 'deep', ...levels, 'bottom.json'), '[]');
    const { files } = await matchPattern(path.join(dir, 'deep/**/*.json'));
    expect(files.map((f) => path.basename(f))).toEqual(['top.json']);
  });

  it('never walks /proc, /sys or /dev', async () => {
    for (const root of ['/proc', '/sys', '/dev']) expect(await matchPattern(`${root}/**/*`)).toEqual({ files: [] });
  });

  it(`stops a glob over the whole file system after ${MAX_SD_WALK_ENTRIES} entries, naming it`, async () => {
    // Before: never finished (RSS 3.9 GB and growing). On a small root file system it may simply finish.
    const result = await matchPattern('/**/*.json');
    if (result.error !== undefined) expect(result.error).toContain('glob "/**/*.json"');
    else expect(result.files.length).toBeGreaterThan(0);
  }, 60_000);
});

describe('a broken SD file', () => {
  it('is logged once per change, never with its content', async () => {
    const logs: string[] = [];
    const logger = createLogger('debug', 'logfmt', { write: (line) => void logs.push(line) });
    const file = path.join(dir, 'broken.json');
    writeFileSync(file, `[{"targets": ["a:1"], "labels": {"token": "${CANARY}"} ,,]`);
    const sd = new FileSd({ patterns: [file], refreshIntervalMs: 3600_000, onChange: () => undefined, logger, timers: longTimers, watch: false });
    await sd.start();
    await sd.refresh();
    await sd.refresh();
    const errors = () => logs.filter((l) => l.includes('Error reading file_sd file'));
    expect(errors()).toHaveLength(1);
    expect(errors()[0]).toContain('cannot parse JSON at position');
    writeFileSync(file, `{"still broken": "${CANARY}"`);
    await sd.refresh();
    await sd.refresh();
    expect(errors()).toHaveLength(2);
    expect(logs.join('\n')).not.toContain(CANARY);
    await sd.stop();
  });
});

describe('the built exporter with files: ["/**/*.json"]', () => {
  let exporter: RunningExporter | undefined;
  afterAll(async () => void (await exporter?.stop()));

  it('listens and is ready while discovery runs beside start-up, and names the glob when it gives up', async () => {
    writeFileSync(path.join(dir, 'broad.yml'), `scrape_configs:\n  - job_name: broad\n    file_sd_configs: [ { files: ['/**/*.json'] } ]\n`);
    // startExporter resolves on "Listening on": before, it never got there (89 s and counting).
    exporter = await startExporter([`--config.file=${path.join(dir, 'broad.yml')}`]);
    expect((await fetch(`${exporter.baseUrl}/-/ready`)).status).toBe(200);
    expect((await fetch(`${exporter.baseUrl}/-/healthy`)).status).toBe(200);
    // The walk of / is bounded: it ends with an error naming the glob (logfmt escapes the quotes).
    await waitFor(() => exporter!.stderr().includes('Error in file_sd glob'), 'the bounded walk to give up', 60_000);
    expect(exporter.stderr()).toContain('/**/*.json');
    expect((await fetch(`${exporter.baseUrl}/metrics`)).status).toBe(200);
  }, 90_000);
});
