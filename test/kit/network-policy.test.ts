// The NetworkPolicy component: the pod's sidecar port only for Prometheus, Prometheus's web port as before.
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { KUBECTL, run, runOk } from './tools.js';

interface Peer {
  podSelector?: { matchLabels: Record<string, string> };
  namespaceSelector?: unknown;
  ipBlock?: unknown;
}
interface Policy {
  kind: string;
  metadata: { name: string; namespace?: string };
  spec: { podSelector: { matchLabels: Record<string, string> }; policyTypes: string[]; ingress: { from?: Peer[]; ports: { port: string | number }[] }[] };
}
interface Pod {
  kind: string;
  spec: { template: { metadata: { labels: Record<string, string> }; spec: { containers: { name: string; ports?: { name: string; containerPort: number }[] }[] } } };
}

const match = /Kustomize Version: v(\d+)\.(\d+)/.exec(KUBECTL ? run(KUBECTL, ['version', '--client']).output : '');
const available = match !== null && Number(match[1]) + Number(match[2]) / 100 >= 4.1;
if (!available) console.warn('\n!!! SKIPPED: no kubectl with kustomize >= 4.1; k8s/components/network-policy was NOT rendered !!!\n');

describe.skipIf(!available)('k8s/components/network-policy', () => {
  const docs = available ? parseAllDocuments(runOk(KUBECTL!, ['kustomize', 'k8s/overlays/network-policy'])).map((d) => d.toJS() as { kind: string }) : [];
  const policy = docs.find((d) => d.kind === 'NetworkPolicy') as unknown as Policy;
  const deployment = docs.find((d) => d.kind === 'Deployment') as unknown as Pod;

  it('selects the Prometheus + sidecar pod and restricts its ingress', () => {
    expect(policy.metadata.namespace).toBe('monitoring');
    expect(deployment.spec.template.metadata.labels).toMatchObject(policy.spec.podSelector.matchLabels);
    expect(policy.spec.policyTypes).toEqual(['Ingress']);
  });

  it('lets only the pod itself and Prometheus pods reach the sidecar port, and names only ports the pod declares', () => {
    const ports = deployment.spec.template.spec.containers.flatMap((c) => (c.ports ?? []).map((p) => p.name));
    for (const rule of policy.spec.ingress) for (const p of rule.ports) expect(ports).toContain(p.port);
    const sidecarRules = policy.spec.ingress.filter((r) => r.ports.some((p) => p.port === 'http-metrics'));
    expect(sidecarRules.length).toBe(1);
    const from = sidecarRules[0]!.from!;
    expect(from.length).toBeGreaterThan(0);
    // Every peer is a pod selector in this namespace: no open rule, no ipBlock, no other namespace.
    for (const peer of from) {
      expect(peer.podSelector?.matchLabels).toBeDefined();
      expect(peer.namespaceSelector).toBeUndefined();
      expect(peer.ipBlock).toBeUndefined();
    }
    expect(from.map((p) => p.podSelector!.matchLabels['app.kubernetes.io/name']).sort()).toEqual(['prometheus', 'scrape-auth-exporter']);
  });
});
