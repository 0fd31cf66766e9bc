import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { tempDirSync } from '../helpers/tmp.js';
import { isKnownMetric, metricNamesIn, PROMTOOL, repoFile, requirePromtool, run } from './tools.js';

interface Target {
  expr: string;
  datasource?: { uid?: string };
}
interface Panel {
  type: string;
  title: string;
  datasource?: { uid?: string };
  targets?: Target[];
  panels?: Panel[];
}
interface Variable {
  name: string;
  type: string;
  query: string | { query: string };
}
const dashboard = JSON.parse(repoFile('deploy/grafana/scrape-auth.json')) as {
  schemaVersion: number;
  uid: string;
  panels: Panel[];
  templating: { list: Variable[] };
};

const panels = dashboard.panels.flatMap((p) => [p, ...(p.panels ?? [])]).filter((p) => p.type !== 'row');
const exprs = panels.flatMap((p) => (p.targets ?? []).map((t) => ({ panel: p.title, expr: t.expr })));
const variableQueries = dashboard.templating.list
  .filter((v) => v.type === 'query')
  .map((v) => ({ variable: v.name, query: typeof v.query === 'string' ? v.query : v.query.query }));

/** Grafana's variables replaced by values PromQL accepts, as Grafana would interpolate them. */
function substitute(expr: string): string {
  return expr
    .replace(/\$__rate_interval|\$__interval|\$__range/g, '5m')
    .replace(/\$\{?job\}?|\$\{?scrape_job\}?/g, '.+');
}

/** label_values(SELECTOR, label) is Grafana's, not PromQL: its selector is what Prometheus runs. */
function labelValuesSelector(query: string): string {
  const match = /^label_values\((.*),\s*[a-zA-Z_]\w*\)$/.exec(query.trim());
  if (!match) throw new Error(`not a label_values() query: ${query}`);
  return match[1]!;
}

describe('the Grafana dashboard', () => {
  it('uses a current schema, a datasource variable and job variables', () => {
    expect(dashboard.schemaVersion).toBeGreaterThanOrEqual(39);
    expect(dashboard.uid).toBe('scrape-auth-exporter');
    const vars = Object.fromEntries(dashboard.templating.list.map((v) => [v.name, v]));
    expect(vars['datasource']).toMatchObject({ type: 'datasource', query: 'prometheus' });
    expect(vars['job']?.type).toBe('query');
    expect(vars['scrape_job']?.type).toBe('query');
  });

  it('queries through the datasource variable in every panel and target', () => {
    for (const panel of panels) {
      expect(panel.datasource?.uid, panel.title).toBe('${datasource}');
      for (const target of panel.targets ?? []) expect(target.datasource?.uid, panel.title).toBe('${datasource}');
    }
  });

  it.each([
    ['targets by result over time', /sum by \(result\) \(scrape_auth_probe_result\{/],
    ['status codes', /scrape_auth_probe_status_code\{/],
    ['time to credential expiry, soonest first', /^sort\(scrape_auth_credential_expiry_timestamp_seconds\{.*\} - time\(\)\)$/],
    ['file age', /scrape_auth_credential_file_age_seconds\{/],
    ['rotations', /^increase\(scrape_auth_credential_file_changes_total\{.*\}\[1h\]\)$/],
    ['auth enforced', /scrape_auth_probe_auth_enforced\{/],
    ['reload state', /scrape_auth_config_last_reload_successful\{/],
    ['RBAC answers', /scrape_auth_rbac_allowed\{/],
  ])('shows %s', (_what, pattern) => {
    expect(exprs.some((e) => pattern.test(e.expr))).toBe(true);
  });

  it('filters every query by the job variable', () => {
    for (const { panel, expr } of exprs) expect(expr, panel).toContain('job=~"$job"');
  });

  it.each([...exprs.map((e) => [e.panel, e.expr]), ...variableQueries.map((v) => [`variable ${v.variable}`, labelValuesSelector(v.query)])])(
    '%s names only metrics the exporter exposes: %s',
    (_where, expr) => {
      const names = metricNamesIn(substitute(expr));
      expect(names.length).toBeGreaterThan(0);
      expect(names.filter((n) => !isKnownMetric(n))).toEqual([]);
    },
  );

  it('has only valid PromQL (each query checked by promtool as a recording rule)', () => {
    if (!requirePromtool()) return;
    const all = [...exprs.map((e) => substitute(e.expr)), ...variableQueries.map((v) => substitute(labelValuesSelector(v.query)))];
    const dir = tempDirSync('dashboard-promql-');
    const file = path.join(dir, 'dashboard.rules.yml');
    writeFileSync(file, stringify({ groups: [{ name: 'dashboard', rules: all.map((expr, i) => ({ record: `dashboard:query_${i}`, expr })) }] }));
    const check = run(PROMTOOL!, ['check', 'rules', file]);
    expect(check.output).toContain(`SUCCESS: ${all.length} rules found`);
    expect(check.status).toBe(0);
    // The same check rejects a broken query, so it cannot pass by accident.
    writeFileSync(file, stringify({ groups: [{ name: 'dashboard', rules: [{ record: 'dashboard:broken', expr: 'sum by (result (x)' }] }] }));
    expect(run(PROMTOOL!, ['check', 'rules', file]).status).not.toBe(0);
  });

  it('is shipped as a ConfigMap with the grafana_dashboard label, generated from the JSON', () => {
    const check = run('node', ['scripts/gen-dashboard-configmap.mjs', '--check']);
    expect(check.output).toContain('up to date');
    expect(check.status).toBe(0);
    const configMap = parse(repoFile('k8s/components/grafana-dashboard/dashboard-configmap.yaml')) as {
      kind: string;
      metadata: { labels: Record<string, string> };
      data: Record<string, string>;
    };
    expect(configMap.kind).toBe('ConfigMap');
    expect(configMap.metadata.labels['grafana_dashboard']).toBe('1');
    expect(JSON.parse(configMap.data['scrape-auth.json']!)).toEqual(dashboard);
  });
});
