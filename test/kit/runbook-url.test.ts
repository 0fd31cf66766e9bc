// runbook_url: one base URL for every alert, set by the generator (--runbook-base-url), in the rules file and the
// PrometheusRule alike. The generator runs on a copy of the files it touches, never on the repository's own.
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
// @ts-expect-error -- a plain .mjs helper of the scripts, without type declarations
import { DEFAULT_RUNBOOK_BASE_URL } from '../../scripts/lib/runbook.mjs';
import { repoFile, ROOT } from './tools.js';

const RULES = 'deploy/alerts/scrape-auth.rules.yml';
const TARGET = 'k8s/components/prometheus-rule/prometheusrule.yaml';
const MINE = 'https://git.example.com/ops/scrape-auth-exporter/-/blob/main/docs/runbook.md';

interface Rule {
  alert: string;
  annotations: Record<string, string>;
}
const rulesOf = (text: string) => (parse(text) as { groups: { rules: Rule[] }[] }).groups.flatMap((g) => g.rules);
const prometheusRuleOf = (text: string) => (parse(text) as { spec: { groups: { rules: Rule[] }[] } }).spec.groups.flatMap((g) => g.rules);

describe('runbook_url', () => {
  it('points every shipped alert at its section of the default runbook', () => {
    for (const rule of rulesOf(repoFile(RULES))) expect(rule.annotations['runbook_url']).toBe(`${DEFAULT_RUNBOOK_BASE_URL as string}#${rule.alert.toLowerCase()}`);
    for (const rule of prometheusRuleOf(repoFile(TARGET))) expect(rule.annotations['runbook_url']).toBe(`${DEFAULT_RUNBOOK_BASE_URL as string}#${rule.alert.toLowerCase()}`);
  });
});

describe('node scripts/gen-prometheusrule.mjs --runbook-base-url', () => {
  let copy: string;
  beforeEach(() => {
    copy = mkdtempSync(path.join(tmpdir(), 'runbook-'));
    cpSync(path.join(ROOT, 'scripts'), path.join(copy, 'scripts'), { recursive: true });
    for (const file of [RULES, TARGET]) {
      mkdirSync(path.dirname(path.join(copy, file)), { recursive: true });
      cpSync(path.join(ROOT, file), path.join(copy, file));
    }
    symlinkSync(path.join(ROOT, 'node_modules'), path.join(copy, 'node_modules'));
  });
  afterEach(() => rmSync(copy, { recursive: true, force: true }));

  const generate = (...args: string[]) => spawnSync(process.execPath, ['scripts/gen-prometheusrule.mjs', ...args], { cwd: copy, encoding: 'utf8', timeout: 30_000 });
  const read = (file: string) => readFileSync(path.join(copy, file), 'utf8');

  it('points every alert of the rules file and of the PrometheusRule at your copy, changing nothing else', () => {
    const before = read(RULES);
    const result = generate(`--runbook-base-url=${MINE}`);
    expect(result.status, result.stderr).toBe(0);
    const after = read(RULES);
    const changed = before.split('\n').filter((line, i) => line !== after.split('\n')[i]);
    expect(changed.length).toBe(rulesOf(before).length);
    for (const line of changed) expect(line).toMatch(/^\s*runbook_url: /);
    for (const rule of [...rulesOf(after), ...prometheusRuleOf(read(TARGET))]) expect(rule.annotations['runbook_url']).toBe(`${MINE}#${rule.alert.toLowerCase()}`);
    expect(generate('--check').status).toBe(0);
  });

  it('keeps your base on a later run without the flag', () => {
    expect(generate('--runbook-base-url', MINE).status).toBe(0);
    expect(generate().status).toBe(0);
    for (const rule of prometheusRuleOf(read(TARGET))) expect(rule.annotations['runbook_url']).toBe(`${MINE}#${rule.alert.toLowerCase()}`);
  });

  it('refuses a base with an anchor or a query, and a rules file whose alerts point at different runbooks', () => {
    const bad = generate(`--runbook-base-url=${MINE}#top`);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain('without "?" or "#"');
    const text = read(RULES);
    const first = /runbook_url: (\S+)#/.exec(text)!;
    writeFileSync(path.join(copy, RULES), text.replace(first[0], `runbook_url: ${MINE}#`));
    const mixed = generate('--check');
    expect(mixed.status).toBe(1);
    expect(mixed.stderr).toContain('runbook_url uses 2 base URLs');
  });
});
