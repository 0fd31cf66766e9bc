// The prometheus-operator deploy path: the component that adds the sidecar to an existing Prometheus, its example
// overlay, and the kube-prometheus-stack values that must give the same container.
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { parseConfig } from '../../src/config/load.js';
import { loadCrdValidator } from './crd-schema.js';
import { buildKustomization, buildWithComponents, KUSTOMIZE_AVAILABLE as available, repoFile, type Resource } from './tools.js';

const CRD = 'test/testdata/prometheus-operator/monitoring.coreos.com_prometheuses.yaml';
const OTHER_CRDS = ['podmonitors', 'prometheusrules'].map((name) => loadCrdValidator(`test/testdata/prometheus-operator/monitoring.coreos.com_${name}.yaml`));
const COMPONENT = 'k8s/components/prometheus-operator-sidecar';
const OVERLAY = 'k8s/overlays/prometheus-operator';
const VALUES = 'deploy/kube-prometheus-stack/values.yaml';
const SIDECAR = 'scrape-auth-exporter';

interface VolumeMount {
  name: string;
  mountPath: string;
  readOnly?: boolean;
  subPath?: string;
}
interface Container {
  name: string;
  image: string;
  args?: string[];
  ports?: { name: string; containerPort: number }[];
  securityContext?: Record<string, unknown>;
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  livenessProbe?: Record<string, unknown>;
  readinessProbe?: Record<string, unknown>;
  volumeMounts?: VolumeMount[];
}
interface Volume {
  name: string;
  configMap?: { name: string };
  emptyDir?: Record<string, unknown>;
}
interface PrometheusSpec {
  serviceAccountName?: string;
  secrets?: string[];
  configMaps?: string[];
  containers?: Container[];
  volumes?: Volume[];
}
type Prometheus = Resource & { spec: PrometheusSpec };

const crd = loadCrdValidator(CRD);
const values = parse(repoFile(VALUES)) as { prometheus: { prometheusSpec: PrometheusSpec }; extraManifests: Resource[] };

/** The volume name prometheus-operator gives a spec.secrets / spec.configMaps entry (k8s.ResourceNamer, short names). */
const operatorVolume = (prefix: 'secret' | 'configmap', name: string) => `${prefix}-${name}`.toLowerCase().replace(/[^a-z0-9-]/g, '-');

const prometheusOf = (resources: Resource[]) => resources.find((r) => r.kind === 'Prometheus') as Prometheus;
const sidecarOf = (p: { spec: PrometheusSpec }) => p.spec.containers!.find((c) => c.name === SIDECAR)!;

describe('the operator\'s Prometheus CRD schema, as this suite applies it', () => {
  it('is the operator\'s CRD for monitoring.coreos.com/v1 Prometheus', () => {
    expect([crd.group, crd.version, crd.kind]).toEqual(['monitoring.coreos.com', 'v1', 'Prometheus']);
  });

  it('refuses what the API server would: an unknown field, a wrong type', () => {
    const broken = {
      apiVersion: 'monitoring.coreos.com/v1',
      kind: 'Prometheus',
      metadata: { name: 'x' },
      spec: { containers: [{ name: 'c', volumeMount: [] }], replicas: 'two' },
    };
    const errors = crd.validate(broken);
    expect(errors).toContainEqual(expect.stringContaining('/spec/containers/0 must NOT have additional properties: volumeMount'));
    expect(errors).toContainEqual(expect.stringMatching(/^\/spec\/replicas must be integer/));
  });
});

describe.skipIf(!available)('the prometheus-operator overlay (an example Prometheus with the sidecar component)', () => {
  const rendered = available ? buildKustomization(OVERLAY) : [];
  const prometheus = available ? prometheusOf(rendered) : ({} as Prometheus);
  const sidecar = available ? sidecarOf(prometheus) : ({} as Container);
  const mount = (path: string) => sidecar.volumeMounts!.find((m) => m.mountPath === path);

  it('renders a patched Prometheus, RBAC, the sidecar ConfigMap, a PodMonitor, the PrometheusRule and the dashboard, and no Prometheus of its own', () => {
    const kinds = rendered.map((r) => `${r.kind}/${r.metadata.name}`);
    expect(kinds).toEqual(
      expect.arrayContaining([
        'Prometheus/k8s',
        'ConfigMap/scrape-auth-config',
        'ClusterRole/scrape-auth-exporter-self-review',
        'ClusterRoleBinding/scrape-auth-exporter-self-review',
        'PodMonitor/scrape-auth-exporter',
        'PrometheusRule/scrape-auth-exporter',
        'ConfigMap/scrape-auth-dashboard',
      ]),
    );
    // The operator runs Prometheus: no Deployment or StatefulSet of ours beside it.
    expect(rendered.filter((r) => ['Deployment', 'StatefulSet', 'Service'].includes(r.kind))).toEqual([]);
    for (const r of rendered.filter((r) => !r.kind.startsWith('Cluster'))) expect(r.metadata.namespace, `${r.kind}/${r.metadata.name}`).toBe('monitoring');
  });

  it('validates against the operator\'s Prometheus CRD schema', () => {
    expect(crd.validate(prometheus)).toEqual([]);
  });

  it('has a PodMonitor and a PrometheusRule that validate against their CRDs too', () => {
    for (const validator of OTHER_CRDS) {
      const resources = rendered.filter((r) => r.kind === validator.kind);
      expect(resources, validator.kind).toHaveLength(1);
      for (const r of resources) expect(validator.validate(r), `${r.kind}/${r.metadata.name}`).toEqual([]);
    }
  });

  it('reads the operator\'s generated config from config-out and the TLS assets where Prometheus sees them, read-only', () => {
    expect(mount('/etc/prometheus/config_out')).toEqual({ name: 'config-out', mountPath: '/etc/prometheus/config_out', readOnly: true });
    expect(mount('/etc/prometheus/certs')).toEqual({ name: 'tls-assets', mountPath: '/etc/prometheus/certs', readOnly: true });
    for (const m of sidecar.volumeMounts!) expect(m.subPath, m.name).toBeUndefined();
  });

  it('mounts every spec.secrets and spec.configMaps entry where the operator mounts it for Prometheus', () => {
    expect(prometheus.spec.secrets?.length).toBeGreaterThan(0);
    for (const name of prometheus.spec.secrets ?? []) {
      expect(mount(`/etc/prometheus/secrets/${name}`)).toEqual({ name: operatorVolume('secret', name), mountPath: `/etc/prometheus/secrets/${name}`, readOnly: true });
    }
    for (const name of prometheus.spec.configMaps ?? []) {
      expect(mount(`/etc/prometheus/configmaps/${name}`)).toEqual({ name: operatorVolume('configmap', name), mountPath: `/etc/prometheus/configmaps/${name}`, readOnly: true });
    }
  });

  it('takes its own config from the ConfigMap the patch mounts: sidecar mode on prometheus.env.yaml and the Prometheus beside it', () => {
    expect(sidecar.args).toEqual(['--config.file=/etc/scrape-auth/scrape-auth.yml']);
    const configMount = mount('/etc/scrape-auth')!;
    expect(configMount.readOnly).toBe(true);
    const volume = prometheus.spec.volumes!.find((v) => v.name === configMount.name)!;
    const configMap = rendered.find((r) => r.kind === 'ConfigMap' && r.metadata.name === volume.configMap?.name) as unknown as { data: Record<string, string> };
    const loaded = parseConfig(configMap.data['scrape-auth.yml']!, '/etc/scrape-auth/scrape-auth.yml');
    expect(loaded.config.prometheus).toMatchObject({ config_file: '/etc/prometheus/config_out/prometheus.env.yaml', url: 'http://localhost:9090' });
  });

  it('runs restricted, with requests and limits, on a named port probed over TCP', () => {
    expect(sidecar.securityContext).toMatchObject({
      runAsNonRoot: true,
      readOnlyRootFilesystem: true,
      allowPrivilegeEscalation: false,
      capabilities: { drop: ['ALL'] },
      seccompProfile: { type: 'RuntimeDefault' },
    });
    expect(sidecar.securityContext!['privileged']).toBeUndefined();
    expect(sidecar.resources?.requests).toEqual(expect.objectContaining({ cpu: expect.any(String), memory: expect.any(String) }));
    expect(sidecar.resources?.limits).toEqual(expect.objectContaining({ memory: expect.any(String) }));
    expect(sidecar.ports).toEqual([{ name: 'scrape-auth', containerPort: 9863 }]);
    // With --web.config.file, /-/healthy and /-/ready need credentials (test/web/health-probes.test.ts): TCP works either way.
    expect(sidecar.livenessProbe).toMatchObject({ tcpSocket: { port: 'scrape-auth' } });
    expect(sidecar.readinessProbe).toMatchObject({ tcpSocket: { port: 'scrape-auth' } });
  });

  it('has kustomize images: as the one place that names the image', () => {
    const pkg = JSON.parse(repoFile('package.json')) as { version: string };
    expect(sidecar.image).toBe(`scrape-auth-exporter:${pkg.version}`);
    expect(repoFile(`${COMPONENT}/sidecar-patch.yaml`)).toMatch(/^\s+image: scrape-auth-exporter$/m);
  });

  it('binds create on selfsubjectaccessreviews to the Prometheus\'s own service account', () => {
    const role = rendered.find((r) => r.kind === 'ClusterRole' && r.metadata.name === 'scrape-auth-exporter-self-review') as unknown as { rules: unknown[] };
    expect(role.rules).toEqual([{ apiGroups: ['authorization.k8s.io'], resources: ['selfsubjectaccessreviews'], verbs: ['create'] }]);
    const binding = rendered.find((r) => r.kind === 'ClusterRoleBinding' && r.metadata.name === 'scrape-auth-exporter-self-review') as unknown as {
      roleRef: { name: string };
      subjects: { kind: string; name: string; namespace: string }[];
    };
    expect(binding.roleRef.name).toBe('scrape-auth-exporter-self-review');
    expect(binding.subjects).toEqual([{ kind: 'ServiceAccount', name: prometheus.spec.serviceAccountName, namespace: prometheus.metadata.namespace }]);
    expect(rendered.find((r) => r.kind === 'ServiceAccount')?.metadata.name).toBe(prometheus.spec.serviceAccountName);
  });

  it('has a PodMonitor that selects the pods the operator labels, on the sidecar\'s port', () => {
    const monitor = rendered.find((r) => r.kind === 'PodMonitor') as unknown as { spec: { selector: { matchLabels: Record<string, string> }; podMetricsEndpoints: { port: string }[] } };
    // The labels prometheus-operator puts on every pod of a Prometheus (pkg/prometheus/server makeSelectorLabels).
    const podLabels = {
      'app.kubernetes.io/name': 'prometheus',
      'app.kubernetes.io/managed-by': 'prometheus-operator',
      'app.kubernetes.io/instance': prometheus.metadata.name,
      'operator.prometheus.io/name': prometheus.metadata.name,
      prometheus: prometheus.metadata.name,
      'operator.prometheus.io/shard': '0',
    };
    expect(podLabels).toMatchObject(monitor.spec.selector.matchLabels);
    expect(sidecar.ports!.map((p) => p.name)).toContain(monitor.spec.podMetricsEndpoints[0]!.port);
  });
});

describe.skipIf(!available)('the sidecar component on a Prometheus that already has containers and volumes', () => {
  it('adds to spec.containers and spec.volumes instead of replacing them', async () => {
    const { mkdtempSync, writeFileSync, rmSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const path = await import('node:path');
    const dir = mkdtempSync(path.join(tmpdir(), 'prom-'));
    try {
      const file = path.join(dir, 'prometheus.yaml');
      writeFileSync(
        file,
        `apiVersion: monitoring.coreos.com/v1
kind: Prometheus
metadata: { name: main, namespace: observability }
spec:
  serviceAccountName: prometheus-main
  containers:
    - name: thanos-sidecar
      image: quay.io/thanos/thanos:v0.36.1
  volumes:
    - name: objstore
      secret: { secretName: thanos-objstore }
`,
      );
      const rendered = buildWithComponents([file], [COMPONENT], 'namespace: observability\n', dir);
      const prometheus = prometheusOf(rendered);
      expect(prometheus.spec.containers!.map((c) => c.name).sort()).toEqual([SIDECAR, 'thanos-sidecar']);
      expect(prometheus.spec.volumes!.map((v) => v.name).sort()).toEqual(['objstore', 'scrape-auth-config', 'scrape-auth-tmp']);
      expect(crd.validate(prometheus)).toEqual([]);
      const binding = rendered.find((r) => r.kind === 'ClusterRoleBinding') as unknown as { subjects: { name: string; namespace: string }[] };
      expect(binding.subjects[0]).toMatchObject({ name: 'prometheus-main', namespace: 'observability' });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe.skipIf(!available)('the kube-prometheus-stack values', () => {
  const prometheus = available ? prometheusOf(buildKustomization(OVERLAY)) : ({} as Prometheus);
  const spec = values.prometheus.prometheusSpec;

  it('give Prometheus the same container as the kustomize patch', () => {
    expect(spec.containers).toHaveLength(1);
    expect(spec.containers![0]).toEqual(sidecarOf(prometheus));
  });

  it('give it the same volumes and secrets', () => {
    expect(spec.volumes).toEqual(prometheus.spec.volumes);
    expect(spec.secrets).toEqual(prometheus.spec.secrets);
  });

  it('validate against the operator\'s Prometheus CRD schema', () => {
    const resource = { apiVersion: 'monitoring.coreos.com/v1', kind: 'Prometheus', metadata: { name: 'kube-prometheus-stack-prometheus' }, spec };
    expect(crd.validate(resource)).toEqual([]);
  });

  it('add the same ConfigMap, RBAC and PodMonitor as the kustomize component, named after the release', () => {
    const component = buildKustomization(OVERLAY);
    const byKind = (list: Resource[], kind: string) =>
      list.find((r) => r.kind === kind && ['scrape-auth-config', 'scrape-auth-exporter-self-review', 'scrape-auth-exporter'].includes(r.metadata.name)) as Record<string, unknown> & Resource;
    const extra = values.extraManifests;
    expect(extra.map((r) => r.kind).sort()).toEqual(['ClusterRole', 'ClusterRoleBinding', 'ConfigMap', 'PodMonitor']);
    expect(byKind(extra, 'ConfigMap')['data']).toEqual(byKind(component, 'ConfigMap')['data']);
    expect(byKind(extra, 'ClusterRole')['rules']).toEqual(byKind(component, 'ClusterRole')['rules']);
    expect(byKind(extra, 'ClusterRoleBinding')['roleRef']).toEqual(byKind(component, 'ClusterRoleBinding')['roleRef']);
    expect(byKind(extra, 'ClusterRoleBinding')['subjects']).toEqual([
      { kind: 'ServiceAccount', name: '{{ include "kube-prometheus-stack.prometheus.serviceAccountName" . }}', namespace: '{{ include "kube-prometheus-stack.namespace" . }}' },
    ]);
    expect(byKind(extra, 'PodMonitor')['spec']).toEqual(byKind(component, 'PodMonitor')['spec']);
    expect(byKind(extra, 'PodMonitor').metadata.labels).toEqual({ release: '{{ .Release.Name }}' });
    expect(OTHER_CRDS[0]!.validate(byKind(extra, 'PodMonitor'))).toEqual([]);
  });

  it('come with a kustomization that labels the PrometheusRule and the dashboard for the chart\'s selectors', () => {
    const rendered = buildKustomization('deploy/kube-prometheus-stack');
    expect(rendered.map((r) => `${r.kind}/${r.metadata.name}`).sort()).toEqual(['ConfigMap/scrape-auth-dashboard', 'PrometheusRule/scrape-auth-exporter']);
    for (const r of rendered) expect(r.metadata.labels?.['release']).toBe('kube-prometheus-stack');
    expect(OTHER_CRDS[1]!.validate(rendered.find((r) => r.kind === 'PrometheusRule'))).toEqual([]);
  });
});
