// Commands in the docs must work as copied: from the raw Markdown (no table escapes inside code) and against the
// objects the shipped manifests really create.
import { describe, expect, it } from 'vitest';
import { buildKustomization, KUSTOMIZE_AVAILABLE as available, repoFile } from './tools.js';

/** Every code span and fenced code line of a Markdown text. */
function codeIn(markdown: string): string[] {
  const code: string[] = [];
  let fenced = false;
  for (const line of markdown.split('\n')) {
    if (/^\s*```/.test(line)) {
      fenced = !fenced;
      continue;
    }
    if (fenced) code.push(line);
    else for (const span of line.matchAll(/`([^`]+)`/g)) code.push(span[1]!);
  }
  return code;
}

describe('the docs\' commands', () => {
  it.each(['README.md', 'docs/kubernetes.md', 'docs/web.md'])('%s has no \\| escape inside code, which copies literally from the raw file', (file) => {
    expect(codeIn(repoFile(file)).filter((c) => c.includes('\\|'))).toEqual([]);
  });

  it.skipIf(!available)('port-forward to pods and Deployments the shipped manifests create', () => {
    const base = buildKustomization('k8s/base');
    const operator = buildKustomization('k8s/overlays/prometheus-operator');
    const deployments = base.filter((r) => r.kind === 'Deployment').map((r) => `${r.metadata.namespace}/${r.metadata.name}`);
    // prometheus-operator names the pods of Prometheus NAME prometheus-NAME-<ordinal> (StatefulSet prometheus-NAME).
    const operatorPods = operator.filter((r) => r.kind === 'Prometheus').map((r) => new RegExp(`^${r.metadata.namespace}/prometheus-${r.metadata.name}-\\d+$`));
    const commands = ['README.md', 'docs/kubernetes.md', 'docs/web.md'].flatMap((f) => codeIn(repoFile(f))).filter((c) => c.includes('port-forward'));
    expect(commands.length).toBeGreaterThan(0);
    for (const command of commands) {
      const match = /kubectl -n (\S+) port-forward (pod|deploy)\/(\S+)/.exec(command);
      expect(match, command).not.toBeNull();
      const [, namespace, kind, name] = match!;
      if (kind === 'deploy') expect(deployments, command).toContain(`${namespace}/${name}`);
      else expect(operatorPods.some((p) => p.test(`${namespace}/${name}`)), command).toBe(true);
    }
  });
});
