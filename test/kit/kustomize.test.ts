import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { buildKustomization as build, buildWithComponents, KUSTOMIZE_AVAILABLE as available, type Resource } from './tools.js';

interface Container {
  name: string;
  args?: string[];
  ports?: { name: string; containerPort: number }[];
  securityContext?: Record<string, unknown>;
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  livenessProbe?: { httpGet?: { path: string }; tcpSocket?: { port: string } };
  readinessProbe?: { httpGet?: { path: string }; tcpSocket?: { port: string } };
  volumeMounts?: { name: string; mountPath: string; readOnly?: boolean; subPath?: string }[];
}

function podSpec(resources: Resource[]) {
  const deployment = resources.find((r) => r.kind === 'Deployment')!;
  return (deployment as unknown as { spec: { template: { spec: { securityContext: Record<string, unknown>; containers: Container[]; volumes: { name: string }[]; serviceAccountName: string } } } }).spec.template.spec;
}

describe.skipIf(!available)('the kustomize entry points', () => {
  const base = available ? build('k8s/base') : [];
  // The base's own PodMonitor, for users of the base who also run prometheus-operator.
  const withOperator = available ? buildWithComponents(['k8s/base'], ['k8s/components/prometheus-operator', 'k8s/components/grafana-dashboard'], 'namespace: monitoring\n') : [];

  it('base renders the pod, RBAC, ConfigMaps and Service, and no prometheus-operator CRD', () => {
    expect(base.map((r) => r.kind).sort()).toEqual(['ClusterRole', 'ClusterRoleBinding', 'ConfigMap', 'ConfigMap', 'Deployment', 'Service', 'ServiceAccount']);
    expect(base.filter((r) => r.apiVersion.startsWith('monitoring.coreos.com'))).toEqual([]);
  });

  it('the prometheus-operator component adds the PodMonitor and the PrometheusRule, the dashboard component its ConfigMap', () => {
    const kinds = withOperator.map((r) => `${r.kind}/${r.metadata.name}`);
    expect(kinds).toEqual(expect.arrayContaining(['PodMonitor/scrape-auth-exporter', 'PrometheusRule/scrape-auth-exporter', 'ConfigMap/scrape-auth-dashboard']));
    for (const r of withOperator.filter((r) => !r.kind.startsWith('Cluster'))) expect(r.metadata.namespace, r.kind).toBe('monitoring');
    const dashboard = withOperator.find((r) => r.metadata.name === 'scrape-auth-dashboard')!;
    expect(dashboard.metadata.labels?.['grafana_dashboard']).toBe('1');
  });

  it('the PodMonitor scrapes the sidecar port the pod declares', () => {
    const monitor = withOperator.find((r) => r.kind === 'PodMonitor') as unknown as { spec: { selector: { matchLabels: Record<string, string> }; podMetricsEndpoints: { port: string }[] } };
    expect(monitor.spec.podMetricsEndpoints[0]!.port).toBe('http-metrics');
    const deployment = withOperator.find((r) => r.kind === 'Deployment') as unknown as { spec: { template: { metadata: { labels: Record<string, string> } } } };
    expect(deployment.spec.template.metadata.labels).toMatchObject(monitor.spec.selector.matchLabels);
  });

  it('grants the guide’s rules plus create on selfsubjectaccessreviews, bound to the pod’s service account', () => {
    const role = base.find((r) => r.kind === 'ClusterRole') as unknown as { rules: { apiGroups?: string[]; resources?: string[]; verbs: string[] }[] };
    expect(role.rules).toContainEqual({ apiGroups: [''], resources: ['nodes', 'nodes/metrics', 'nodes/proxy', 'services', 'endpoints', 'pods'], verbs: ['get', 'list', 'watch'] });
    expect(role.rules).toContainEqual({ apiGroups: ['authorization.k8s.io'], resources: ['selfsubjectaccessreviews'], verbs: ['create'] });
    const binding = base.find((r) => r.kind === 'ClusterRoleBinding') as unknown as { roleRef: { name: string }; subjects: { kind: string; name: string; namespace: string }[] };
    expect(binding.roleRef.name).toBe((role as unknown as Resource).metadata.name);
    expect(binding.subjects).toEqual([{ kind: 'ServiceAccount', name: podSpec(base).serviceAccountName, namespace: 'monitoring' }]);
  });

  it.each(['prometheus', 'scrape-auth-exporter'])('container %s runs restricted: non-root numeric user, read-only root, no privilege escalation, no capabilities, RuntimeDefault seccomp', (name) => {
    const spec = podSpec(base);
    expect(spec.securityContext).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } });
    const container = spec.containers.find((c) => c.name === name)!;
    expect(container.securityContext).toMatchObject({
      runAsNonRoot: true,
      readOnlyRootFilesystem: true,
      allowPrivilegeEscalation: false,
      capabilities: { drop: ['ALL'] },
      seccompProfile: { type: 'RuntimeDefault' },
    });
    expect(Number.isInteger(container.securityContext!['runAsUser'])).toBe(true);
    expect(container.securityContext!['runAsUser']).not.toBe(0);
    expect(container.resources?.requests).toEqual(expect.objectContaining({ cpu: expect.any(String), memory: expect.any(String) }));
    expect(container.resources?.limits).toEqual(expect.objectContaining({ memory: expect.any(String) }));
    if (name === 'prometheus') {
      expect(container.livenessProbe?.httpGet?.path).toBe('/-/healthy');
      expect(container.readinessProbe?.httpGet?.path).toBe('/-/ready');
    } else {
      // With --web.config.file, /-/healthy and /-/ready want credentials or TLS (docs/web.md): the port is probed.
      expect(container.livenessProbe).toMatchObject({ tcpSocket: { port: 'http-metrics' } });
      expect(container.readinessProbe).toMatchObject({ tcpSocket: { port: 'http-metrics' } });
    }
  });

  it('runs the sidecar in sidecar mode, sharing prometheus.yml and the secrets read-only, without subPath', () => {
    const spec = podSpec(base);
    const prometheus = spec.containers.find((c) => c.name === 'prometheus')!;
    const sidecar = spec.containers.find((c) => c.name === 'scrape-auth-exporter')!;
    expect(sidecar.args).toEqual(['--config.file=/etc/scrape-auth/scrape-auth.yml']);
    expect(sidecar.ports).toEqual([{ name: 'http-metrics', containerPort: 9863 }]);
    for (const volume of ['prometheus-config', 'scrape-secrets']) {
      const a = prometheus.volumeMounts!.find((m) => m.name === volume)!;
      const b = sidecar.volumeMounts!.find((m) => m.name === volume)!;
      expect(b.mountPath).toBe(a.mountPath);
      expect(a.readOnly && b.readOnly).toBe(true);
    }
    for (const mount of [...prometheus.volumeMounts!, ...sidecar.volumeMounts!]) expect(mount.subPath).toBeUndefined();
    const configMap = base.find((r) => r.metadata.name === 'scrape-auth-config') as unknown as { data: Record<string, string> };
    expect(configMap.data['scrape-auth.yml']).toContain('config_file: /etc/prometheus/prometheus.yml');
    expect(configMap.data['scrape-auth.yml']).toContain('url: http://localhost:9090');
    expect(prometheus.volumeMounts!.find((m) => m.name === 'prometheus-config')!.mountPath).toBe('/etc/prometheus');
    // The shipped config is one the exporter accepts.
    const loaded = parseConfig(configMap.data['scrape-auth.yml']!, '/etc/scrape-auth/scrape-auth.yml');
    expect(loaded.config.prometheus).toMatchObject({ config_file: '/etc/prometheus/prometheus.yml', url: 'http://localhost:9090' });
  });

  it('exposes the sidecar on port 9863 named http-metrics', () => {
    const service = base.find((r) => r.kind === 'Service') as unknown as { spec: { ports: { name: string; port: number; targetPort: string }[] } };
    expect(service.spec.ports).toContainEqual({ name: 'http-metrics', port: 9863, targetPort: 'http-metrics' });
  });
});
