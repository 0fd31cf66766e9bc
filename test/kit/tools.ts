// Shared by the kit tests: the repository root, external tools (promtool, kubectl) and PromQL metric names.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { parseAllDocuments } from 'yaml';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));

export function repoFile(relative: string): string {
  return readFileSync(path.join(ROOT, relative), 'utf8');
}

/** A tool's path when it runs here; undefined otherwise. */
export function findTool(name: string, candidates: string[]): string | undefined {
  for (const candidate of candidates) {
    if (existsSync(candidate) && spawnSync(candidate, ['--help'], { stdio: 'ignore' }).status !== null) return candidate;
  }
  const which = spawnSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' });
  return which.status === 0 ? which.stdout.trim() : undefined;
}

export const PROMTOOL = findTool('promtool', ['/usr/bin/promtool']);
export const KUBECTL = findTool('kubectl', ['/usr/bin/kubectl']);

/**
 * CI installs promtool (Debian's prometheus package), so there a missing one is a failure; elsewhere the
 * test is skipped with a message that cannot be missed.
 */
export function requirePromtool(): boolean {
  if (PROMTOOL) return true;
  if (process.env['CI']) throw new Error('promtool is not installed: apt-get install -y prometheus');
  console.warn('\n!!! SKIPPED: promtool not found (apt-get install -y prometheus); alert rules and dashboard queries NOT checked !!!\n');
  return false;
}

export function run(command: string, args: string[], cwd = ROOT): { status: number; output: string } {
  const result = spawnSync(command, args, { cwd, encoding: 'utf8', timeout: 60_000 });
  return { status: result.status ?? -1, output: `${result.stdout ?? ''}${result.stderr ?? ''}` };
}

export function runOk(command: string, args: string[], cwd = ROOT): string {
  return execFileSync(command, args, { cwd, encoding: 'utf8', timeout: 60_000 });
}

/** The metric names SPEC's tables define, exactly as the exporter exposes them (labels stripped). */
export const SPEC_METRICS = [
  'scrape_auth_probe_success',
  'scrape_auth_probe_status_code',
  'scrape_auth_probe_result',
  'scrape_auth_probes_total',
  'scrape_auth_probe_duration_seconds',
  'scrape_auth_probe_timestamp_seconds',
  'scrape_auth_probe_unauthenticated_status_code',
  'scrape_auth_probe_auth_enforced',
  'scrape_auth_probe_tls_cert_expiry_timestamp_seconds',
  'scrape_auth_probe_forbidden_info',
  'scrape_auth_probe_diagnosis',
  'scrape_auth_credential_file_exists',
  'scrape_auth_credential_file_readable',
  'scrape_auth_credential_file_size_bytes',
  'scrape_auth_credential_file_modified_timestamp_seconds',
  'scrape_auth_credential_file_age_seconds',
  'scrape_auth_credential_file_world_readable',
  'scrape_auth_credential_file_changes_total',
  'scrape_auth_credential_file_last_change_timestamp_seconds',
  'scrape_auth_credential_expiry_timestamp_seconds',
  'scrape_auth_credential_issued_timestamp_seconds',
  'scrape_auth_credential_refresh_due_timestamp_seconds',
  'scrape_auth_credential_file_empty',
  'scrape_auth_credential_info',
  'scrape_auth_credential_usage_info',
  'scrape_auth_client_cert_key_match',
  'scrape_auth_rbac_allowed',
  'scrape_auth_rbac_check_success',
  'scrape_auth_config_last_reload_successful',
  'scrape_auth_config_last_reload_success_timestamp_seconds',
  'scrape_auth_build_info',
];

/** SPEC.md where it is laid beside the clone (CI) or in the shared folder (a developer's machine). */
export function findSpec(): string | undefined {
  for (const candidate of [path.join(ROOT, '../shared/SPEC.md'), '/work/shared/SPEC.md']) {
    if (existsSync(candidate)) return readFileSync(candidate, 'utf8');
  }
  return undefined;
}

/** Every `scrape_auth_*` name in SPEC's metric tables. */
export function metricsInSpec(spec: string): string[] {
  const names = new Set<string>();
  for (const line of spec.split('\n')) {
    if (!line.startsWith('| `scrape_auth_')) continue;
    const firstCell = line.split('|')[1] ?? '';
    for (const match of firstCell.matchAll(/`(scrape_auth_[a-z_]+)/g)) names.add(match[1]!);
  }
  return [...names].sort();
}

/** May appear in a query besides SPEC's: prom-client's default process and Node.js metrics. */
export function isKnownMetric(name: string): boolean {
  return SPEC_METRICS.includes(name) || /^(process|nodejs)_[a-z_]+$/.test(name);
}

const KEYWORDS = new Set(['and', 'or', 'unless', 'bool', 'offset', 'by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'inf', 'nan', 'atan2']);

/** The metric names a PromQL expression selects: identifiers that are not functions, keywords, labels or durations. */
export function metricNamesIn(expr: string): string[] {
  const stripped = expr
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'/g, '""')
    .replace(/\{[^}]*\}/g, '{}')
    .replace(/\[[^\]]*\]/g, '[]')
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ');
  const names = new Set<string>();
  for (const match of stripped.matchAll(/(?<![\w:.])([a-zA-Z_:][\w:]*)(\s*\()?/g)) {
    const [, name, call] = match;
    if (call || KEYWORDS.has(name!.toLowerCase())) continue;
    names.add(name!);
  }
  return [...names];
}

export interface Resource {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  [key: string]: unknown;
}

/** The kustomize built into kubectl, e.g. 5.5; undefined when kubectl is missing or does not say. */
function kustomizeVersion(): number | undefined {
  if (!KUBECTL) return undefined;
  const output = run(KUBECTL, ['version', '--client']).output;
  const match = /Kustomize Version: v(\d+)\.(\d+)/.exec(output);
  return match ? Number(match[1]) + Number(match[2]) / 100 : undefined;
}

// kubectl comes with this machine's image. Debian's kubernetes-client (1.20) bundles kustomize 2, which knows
// neither `components`, `labels` nor `openapi`: with it the kustomizations cannot be built, so the tests say so and skip.
const version = kustomizeVersion();
export const KUSTOMIZE_AVAILABLE = version !== undefined && version >= 4.5;
if (!KUSTOMIZE_AVAILABLE) {
  console.warn(
    `\n!!! SKIPPED: ${KUBECTL ? `kubectl at ${KUBECTL} bundles no kustomize >= 4.5` : 'kubectl not found'}; the k8s/ kustomizations were NOT rendered or checked !!!\n`,
  );
}

/** `kubectl kustomize DIR`, as parsed documents. */
export function buildKustomization(dir: string, cwd = ROOT): Resource[] {
  return parseAllDocuments(runOk(KUBECTL!, ['kustomize', dir], cwd))
    .map((d) => d.toJS() as Resource)
    .filter(Boolean);
}

/**
 * Renders `resources` (kustomizations of this repository, or files beside `dir`) with `components` added, from a
 * temporary kustomization with `extra` lines appended.
 */
export function buildWithComponents(resources: string[], components: string[], extra = '', dir?: string): Resource[] {
  const own = dir === undefined;
  const root = dir ?? mkdtempSync(path.join(tmpdir(), 'kustomize-'));
  try {
    const list = (items: string[]) => items.map((i) => `  - ${path.isAbsolute(i) ? path.relative(root, i) : path.relative(root, path.join(ROOT, i))}`).join('\n');
    writeFileSync(
      path.join(root, 'kustomization.yaml'),
      `apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n${list(resources)}\ncomponents:\n${list(components)}\n${extra}`,
    );
    return buildKustomization(root);
  } finally {
    if (own) rmSync(root, { recursive: true, force: true });
  }
}
