#!/usr/bin/env node
// Generates k8s/components/prometheus-rule/prometheusrule.yaml from the plain rules file; --check fails when stale.
//   node scripts/gen-prometheusrule.mjs                                   # regenerate, runbook_url base kept
//   node scripts/gen-prometheusrule.mjs --runbook-base-url=https://git.example.com/ops/scrape-auth-exporter/-/blob/main/docs/runbook.md
//                                                                          # point every runbook_url at your copy
//   node scripts/gen-prometheusrule.mjs --check
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse, stringify } from 'yaml';
import { writeOrCheck } from './lib/generated-file.mjs';
import { checkBaseUrl, runbookBaseOf, setRunbookUrls } from './lib/runbook.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const SOURCE = 'deploy/alerts/scrape-auth.rules.yml';
const TARGET = 'k8s/components/prometheus-rule/prometheusrule.yaml';

const flag = process.argv.find((a) => a.startsWith('--runbook-base-url'));
const wantedBase = flag === undefined ? process.env.RUNBOOK_BASE_URL || undefined : flag.includes('=') ? flag.slice(flag.indexOf('=') + 1) : process.argv[process.argv.indexOf(flag) + 1];

let source = readFileSync(`${root}${SOURCE}`, 'utf8');
if (wantedBase !== undefined && !process.argv.includes('--check')) {
  try {
    source = setRunbookUrls(source, checkBaseUrl(wantedBase));
  } catch (err) {
    process.stderr.write(`${err.message}\n`);
    process.exit(2);
  }
  writeFileSync(`${root}${SOURCE}`, source);
  process.stdout.write(`set every runbook_url in ${SOURCE} to ${wantedBase}#<alert>\n`);
}

const rules = parse(source);
const { problems } = runbookBaseOf(rules.groups);
if (problems.length > 0) {
  process.stderr.write(`${SOURCE}: ${problems.join('; ')}\nrun node scripts/gen-prometheusrule.mjs --runbook-base-url=URL\n`);
  process.exit(1);
}
const resource = {
  apiVersion: 'monitoring.coreos.com/v1',
  kind: 'PrometheusRule',
  metadata: { name: 'scrape-auth-exporter' },
  spec: { groups: rules.groups },
};
const text = `# Generated from ${SOURCE} by scripts/gen-prometheusrule.mjs: edit that file, then run the script.\n${stringify(resource, { lineWidth: 0 })}`;

writeOrCheck({ root, source: SOURCE, target: TARGET, script: 'scripts/gen-prometheusrule.mjs', text });
