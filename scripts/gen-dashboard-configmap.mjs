#!/usr/bin/env node
// Generates the Grafana dashboard ConfigMap (label grafana_dashboard: "1") from deploy/grafana; --check fails when stale.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { writeOrCheck } from './lib/generated-file.mjs';
import { stringify } from 'yaml';

const root = fileURLToPath(new URL('..', import.meta.url));
const SOURCE = 'deploy/grafana/scrape-auth.json';
const TARGET = 'k8s/components/grafana-dashboard/dashboard-configmap.yaml';

const dashboard = JSON.parse(readFileSync(`${root}${SOURCE}`, 'utf8'));
const resource = {
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name: 'scrape-auth-dashboard', labels: { grafana_dashboard: '1' } },
  // Compact JSON: the ConfigMap stays far below kubectl apply's 256 KiB annotation limit.
  data: { 'scrape-auth.json': JSON.stringify(dashboard) },
};
const text = `# Generated from ${SOURCE} by scripts/gen-dashboard-configmap.mjs: edit that file, then run the script.\n${stringify(resource, { lineWidth: 0 })}`;

writeOrCheck({ root, source: SOURCE, target: TARGET, script: 'scripts/gen-dashboard-configmap.mjs', text });
