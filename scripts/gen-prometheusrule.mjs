#!/usr/bin/env node
// Generates k8s/components/prometheus-rule/prometheusrule.yaml from the plain rules file; --check fails when stale.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { writeOrCheck } from './lib/generated-file.mjs';
import { parse, stringify } from 'yaml';

const root = fileURLToPath(new URL('..', import.meta.url));
const SOURCE = 'deploy/alerts/scrape-auth.rules.yml';
const TARGET = 'k8s/components/prometheus-rule/prometheusrule.yaml';

const rules = parse(readFileSync(`${root}${SOURCE}`, 'utf8'));
const resource = {
  apiVersion: 'monitoring.coreos.com/v1',
  kind: 'PrometheusRule',
  metadata: { name: 'scrape-auth-exporter' },
  spec: { groups: rules.groups },
};
const text = `# Generated from ${SOURCE} by scripts/gen-prometheusrule.mjs: edit that file, then run the script.\n${stringify(resource, { lineWidth: 0 })}`;

writeOrCheck({ root, source: SOURCE, target: TARGET, script: 'scripts/gen-prometheusrule.mjs', text });
