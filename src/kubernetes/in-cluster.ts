// Where the in-cluster Kubernetes API is and which credentials reach it, as client-go's InClusterConfig finds them.
import path from 'node:path';
import type { KubernetesConfig, RbacCheck } from '../config/schema.js';

/** The directory Kubernetes mounts a pod's service-account token, CA and namespace into. */
export const SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

/** The environment the RBAC checks look at; main passes process.env, tests pass their own. */
export type Environment = Readonly<Record<string, string | undefined>>;

export interface InClusterApi {
  /** e.g. https://10.96.0.1:443, without a trailing slash. */
  url: string;
  tokenFile: string;
  caFile: string;
}

/**
 * The API server a pod reaches through the `kubernetes` Service, or undefined outside a cluster.
 * Like client-go, both KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT must be set.
 */
export function inClusterApi(env: Environment, serviceAccountDir = SERVICE_ACCOUNT_DIR): InClusterApi | undefined {
  const host = env['KUBERNETES_SERVICE_HOST'];
  const port = env['KUBERNETES_SERVICE_PORT'];
  if (!host || !port) return undefined;
  // An IPv6 service address needs brackets in a URL, as net.JoinHostPort adds them in client-go.
  const hostPart = host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
  return {
    url: `https://${hostPart}:${port}`,
    tokenFile: path.join(serviceAccountDir, 'token'),
    caFile: path.join(serviceAccountDir, 'ca.crt'),
  };
}

/** `kubernetes.enabled` wins; unset, the checks run exactly when the pod is in a cluster. */
export function rbacChecksEnabled(config: KubernetesConfig | undefined, env: Environment): boolean {
  return config?.enabled ?? inClusterApi(env) !== undefined;
}

/**
 * The service-account token file the RBAC checks authenticate with, when they run: the credential watcher
 * watches it like any file a scrape config names (pass it to filesNamedBy).
 */
export function kubernetesTokenFile(
  config: KubernetesConfig | undefined,
  env: Environment,
  serviceAccountDir = SERVICE_ACCOUNT_DIR,
): string | undefined {
  return rbacChecksEnabled(config, env) ? path.join(serviceAccountDir, 'token') : undefined;
}

/** What Prometheus needs to scrape kubelets and discover targets: the guide's ClusterRole, as reviews. */
export const DEFAULT_RBAC_CHECKS: readonly RbacCheck[] = [
  { verb: 'get', resource: 'nodes', subresource: 'metrics' },
  { verb: 'get', resource: 'nodes', subresource: 'proxy' },
  ...['nodes', 'services', 'endpoints', 'pods'].flatMap((resource) =>
    ['get', 'list', 'watch'].map((verb) => ({ verb, resource })),
  ),
];

/** One minute: RBAC changes rarely, but whoever just fixed a ClusterRole wants to see it soon. */
export const DEFAULT_CHECK_INTERVAL_MS = 60_000;
/** The longest one review may take, as Prometheus's default scrape timeout. */
export const MAX_CHECK_TIMEOUT_MS = 10_000;
