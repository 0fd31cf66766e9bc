import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { createComponents } from '../../src/components.js';
import { filesNamedBy } from '../../src/config/check.js';
import { parseConfig } from '../../src/config/load.js';
import { accessReviewBody } from '../../src/kubernetes/access-review.js';
import { DEFAULT_RBAC_CHECKS, inClusterApi, kubernetesTokenFile, rbacChecksEnabled } from '../../src/kubernetes/in-cluster.js';
import { silentLogger } from '../../src/log.js';

const IN_CLUSTER = { KUBERNETES_SERVICE_HOST: '10.96.0.1', KUBERNETES_SERVICE_PORT: '443' };

describe('finding the in-cluster API server', () => {
  it.each([
    [IN_CLUSTER, 'https://10.96.0.1:443'],
    [{ KUBERNETES_SERVICE_HOST: 'fd00:10:96::1', KUBERNETES_SERVICE_PORT: '443' }, 'https://[fd00:10:96::1]:443'],
    [{ KUBERNETES_SERVICE_HOST: '10.96.0.1' }, undefined],
    [{ KUBERNETES_SERVICE_PORT: '443' }, undefined],
    [{ KUBERNETES_SERVICE_HOST: '', KUBERNETES_SERVICE_PORT: '443' }, undefined],
  ])('reads %j as %s', (env, url) => {
    expect(inClusterApi(env)?.url).toBe(url);
  });

  it('uses the service-account token and CA the kubelet mounts', () => {
    expect(inClusterApi(IN_CLUSTER)).toEqual({
      url: 'https://10.96.0.1:443',
      tokenFile: '/var/run/secrets/kubernetes.io/serviceaccount/token',
      caFile: '/var/run/secrets/kubernetes.io/serviceaccount/ca.crt',
    });
  });

  it.each([
    [undefined, IN_CLUSTER, true],
    [undefined, {}, false],
    [{ enabled: false }, IN_CLUSTER, false],
    [{ enabled: true }, {}, true],
  ])('kubernetes %j with env %j: checks enabled = %s', (config, env, enabled) => {
    expect(rbacChecksEnabled(config, env)).toBe(enabled);
  });
});

describe('the service-account token as a watched credential', () => {
  it('is named by the config when the checks run, beside the files scrape configs name', () => {
    const { config } = parseConfig('credential_files: [ { path: /etc/other } ]', '/etc/scrape-auth/scrape-auth.yml');
    const named = filesNamedBy(config, { kubernetesTokenFile: kubernetesTokenFile(config.kubernetes, IN_CLUSTER) });
    expect(named).toEqual([
      { path: '/etc/other', usedBy: 'credential_files[0]' },
      { path: '/var/run/secrets/kubernetes.io/serviceaccount/token', usedBy: 'kubernetes.rbac_checks (service-account token)' },
    ]);
  });

  it('is not named outside a cluster or when the checks are off', () => {
    const { config } = parseConfig('kubernetes: { enabled: false }', '/x.yml');
    expect(kubernetesTokenFile(config.kubernetes, IN_CLUSTER)).toBeUndefined();
    expect(kubernetesTokenFile(undefined, {})).toBeUndefined();
    expect(filesNamedBy(config, { kubernetesTokenFile: undefined })).toEqual([]);
  });
});

describe('the review request', () => {
  it("has SPEC's default checks: get on nodes/metrics and nodes/proxy, get/list/watch on nodes, services, endpoints, pods", () => {
    expect(DEFAULT_RBAC_CHECKS.map((c) => `${c.verb} ${c.resource}${c.subresource ? `/${c.subresource}` : ''}`)).toEqual([
      'get nodes/metrics',
      'get nodes/proxy',
      'get nodes', 'list nodes', 'watch nodes',
      'get services', 'list services', 'watch services',
      'get endpoints', 'list endpoints', 'watch endpoints',
      'get pods', 'list pods', 'watch pods',
    ]);
  });

  it('is a SelfSubjectAccessReview with resourceAttributes, empty fields left out', () => {
    expect(accessReviewBody({ verb: 'get', resource: 'nodes', subresource: 'metrics' })).toEqual({
      apiVersion: 'authorization.k8s.io/v1',
      kind: 'SelfSubjectAccessReview',
      spec: { resourceAttributes: { verb: 'get', resource: 'nodes', subresource: 'metrics' } },
    });
  });
});

describe('wiring', () => {
  it('createComponents includes the RBAC checker', async () => {
    const registry = new Registry();
    const wiring = createComponents({ registry, logger: silentLogger(), env: {} });
    expect(wiring.components.map((c) => c.name)).toContain('kubernetes-rbac');
    const names = (await registry.getMetricsAsJSON()).map((m) => m.name);
    expect(names).toEqual(expect.arrayContaining(['scrape_auth_rbac_allowed', 'scrape_auth_rbac_check_success']));
  });
});
