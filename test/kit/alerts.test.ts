import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { tempDirSync } from '../helpers/tmp.js';
import { findSpec, isKnownMetric, metricNamesIn, metricsInSpec, PROMTOOL, repoFile, requirePromtool, run, SPEC_METRICS } from './tools.js';

const RULES = 'deploy/alerts/scrape-auth.rules.yml';

interface Rule {
  alert: string;
  expr: string;
  for?: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

const rules = (parse(repoFile(RULES)) as { groups: { name: string; rules: Rule[] }[] }).groups.flatMap((g) => g.rules);

/** SPEC's list of alerts, each with the alert that answers it. */
const SPEC_ALERTS: [string, string][] = [
  ['401', 'ScrapeAuthTargetUnauthorized'],
  ['403/RBAC', 'ScrapeAuthTargetForbidden'],
  ['unreadable credential file', 'ScrapeAuthCredentialFileUnreadable'],
  ['empty credential file', 'ScrapeAuthCredentialFileEmpty'],
  ['expiring credential', 'ScrapeAuthCredentialExpiringSoon'],
  ['expiring credential (critical)', 'ScrapeAuthCredentialExpiresWithin24h'],
  ['expired credential', 'ScrapeAuthCredentialExpired'],
  ['Kubernetes token refresh overdue', 'ScrapeAuthKubernetesTokenRefreshOverdue'],
  ['unprotected endpoint', 'ScrapeAuthEndpointUnprotected'],
  ['TLS error', 'ScrapeAuthTargetTLSError'],
  ['target certificate expiring', 'ScrapeAuthTargetCertificateExpiringSoon'],
  ['probes stale', 'ScrapeAuthProbesStale'],
  ['reload failed', 'ScrapeAuthConfigReloadFailed'],
  ['RBAC check denied', 'ScrapeAuthRBACCheckDenied'],
];

describe('the alert rules', () => {
  it.each(SPEC_ALERTS)("cover SPEC's %s with %s", (_what, alert) => {
    expect(rules.map((r) => r.alert)).toContain(alert);
  });

  it.each(rules.map((r) => [r.alert, r] as const))('%s has a severity, a summary, a runbook-style description and a runbook section', (name, rule) => {
    expect(['critical', 'warning', 'info']).toContain(rule.labels.severity);
    expect(rule.annotations.summary).toMatch(/\S/);
    expect(rule.annotations.description!.length).toBeGreaterThan(120);
    expect(rule.annotations.description).toMatch(/\b(check|rotate|renew|write|turn on|grant|add)\b/i);
    const anchor = name.toLowerCase();
    expect(rule.annotations.runbook_url).toMatch(new RegExp(`/docs/runbook\\.md#${anchor}$`));
    expect(repoFile('docs/runbook.md')).toMatch(new RegExp(`^## ${name}$`, 'm'));
  });

  it('tell 401 (credentials) from 403 (authorization), and 403 names the missing permission', () => {
    const byName = new Map(rules.map((r) => [r.alert, r]));
    expect(byName.get('ScrapeAuthTargetUnauthorized')!.annotations.description).toContain('credentials problem (401)');
    const forbidden = byName.get('ScrapeAuthTargetForbidden')!;
    expect(forbidden.annotations.description).toContain('authorization (RBAC) problem (403)');
    expect(forbidden.expr).toContain('scrape_auth_probe_forbidden_info');
    expect(forbidden.annotations.description).toContain('{{ $labels.verb }}');
  });

  it.each(rules.map((r) => [r.alert, r.expr] as const))('%s selects only metrics SPEC defines', (_name, expr) => {
    const names = metricNamesIn(expr);
    expect(names.length).toBeGreaterThan(0);
    expect(names.filter((n) => !isKnownMetric(n))).toEqual([]);
  });

  it('pass promtool check rules and every promtool unit test (each alert firing and not firing)', () => {
    if (!requirePromtool()) return;
    const check = run(PROMTOOL!, ['check', 'rules', RULES]);
    expect(check.output).toContain(`SUCCESS: ${rules.length} rules found`);
    expect(check.status).toBe(0);
    const test = run(PROMTOOL!, ['test', 'rules', 'deploy/alerts/tests.yml']);
    expect(test.output).toContain('SUCCESS');
    expect(test.status).toBe(0);
  });

  it('have a unit test for every alert, firing and quiet', () => {
    const tests = parse(repoFile('deploy/alerts/tests.yml')) as {
      tests: { alert_rule_test: { alertname: string; exp_alerts?: unknown[] }[] }[];
    };
    const cases = tests.tests.flatMap((t) => t.alert_rule_test);
    for (const rule of rules) {
      const mine = cases.filter((c) => c.alertname === rule.alert);
      expect(mine.some((c) => (c.exp_alerts ?? []).length > 0), `${rule.alert} fires in a test`).toBe(true);
      expect(mine.some((c) => (c.exp_alerts ?? []).length === 0), `${rule.alert} stays quiet in a test`).toBe(true);
    }
  });

  it('fail promtool test rules when an expected annotation is wrong (the unit tests can fail)', () => {
    if (!requirePromtool()) return;
    const dir = tempDirSync('rules-');
    writeFileSync(path.join(dir, 'scrape-auth.rules.yml'), repoFile(RULES));
    writeFileSync(path.join(dir, 'tests.yml'), repoFile('deploy/alerts/tests.yml').replace('may not get nodes/metrics. Add', 'may not list nodes/metrics. Add'));
    const test = run(PROMTOOL!, ['test', 'rules', 'tests.yml'], dir);
    expect(test.status).not.toBe(0);
    expect(test.output).toContain('ScrapeAuthTargetForbidden');
  });

  it('are shipped as the PrometheusRule generated from the plain rules file', () => {
    const check = run('node', ['scripts/gen-prometheusrule.mjs', '--check']);
    expect(check.output).toContain('up to date');
    expect(check.status).toBe(0);
    const resource = parse(repoFile('k8s/components/prometheus-rule/prometheusrule.yaml')) as { kind: string; spec: unknown };
    expect(resource.kind).toBe('PrometheusRule');
    expect(resource.spec).toEqual({ groups: (parse(repoFile(RULES)) as { groups: unknown }).groups });
  });
});

describe('the metric-name check itself', () => {
  it('finds metric names and skips functions, keywords, labels and durations', () => {
    expect(metricNamesIn('sum by (result) (rate(foo_total{a="b", c=~"x|y"}[5m] offset 1h)) / on (job) group_left (x) bar > 7 * 86400 and baz')).toEqual([
      'foo_total',
      'bar',
      'baz',
    ]);
    expect(isKnownMetric('scrape_auth_probe_sucess')).toBe(false);
    expect(isKnownMetric('nodejs_heap_size_used_bytes')).toBe(true);
  });

  it("matches SPEC's metric tables, when SPEC.md is at hand", () => {
    const spec = findSpec();
    if (!spec) {
      console.warn('SPEC.md not found beside the repository: the metric list is not compared with it');
      return;
    }
    expect(metricsInSpec(spec)).toEqual([...SPEC_METRICS].sort());
  });
});
