// The file layout prometheus-operator gives a Prometheus pod, rebuilt under a temporary root: the generated config in
// config-out, the tls-assets volume, spec.secrets volumes (Kubernetes `..data` symlinks) and the service-account token.
import { readFileSync } from 'node:fs';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { atomicWriteDir } from '../../src/demo/atomic-writer.js';

export const GOLDEN_DIR = fileURLToPath(new URL('../testdata/prometheus-operator/golden/', import.meta.url));

/** The paths prometheus-operator mounts in the Prometheus container (pkg/prometheus/common.go). */
export const OPERATOR_PATHS = {
  configOut: '/etc/prometheus/config_out/prometheus.env.yaml',
  tlsAssets: '/etc/prometheus/certs',
  secrets: '/etc/prometheus/secrets',
  configMaps: '/etc/prometheus/configmaps',
  serviceAccount: '/var/run/secrets/kubernetes.io/serviceaccount',
} as const;

export function golden(name: string): string {
  return readFileSync(path.join(GOLDEN_DIR, name), 'utf8');
}

/**
 * What the operator's config-reloader does before writing prometheus.env.yaml: every `$(NAME)` becomes the value of
 * the environment variable NAME (POD_NAME, SHARD …). Like the reloader, a variable it does not have is an error.
 */
export function envsubst(text: string, env: Record<string, string>): string {
  return text.replace(/\$\(([a-zA-Z_0-9]+)\)/g, (_m, name: string) => {
    const value = env[name];
    if (value === undefined) throw new Error(`environment variable ${name} is not set`);
    return value;
  });
}

/** The paths of the pod, moved under `root` (the only change made to the generated config). */
export function underRoot(text: string, root: string): string {
  return text.replace(/(?<=[\s:"'])\/(etc|var\/run\/secrets)\//g, `${root}/$1/`);
}

export const POD_ENV = { POD_NAME: 'prometheus-k8s-0', SHARD: '0' };

/**
 * Writes the generated config where the config-reloader writes it, under `root`, replacing any previous one in one
 * rename (a reader never sees half a file); returns its path.
 */
export async function writeGeneratedConfig(root: string, goldenText: string): Promise<string> {
  const file = path.join(root, OPERATOR_PATHS.configOut);
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(`${file}.tmp`, underRoot(envsubst(goldenText, POD_ENV), root));
  await rename(`${file}.tmp`, file);
  return file;
}

/** A spec.secrets entry as the kubelet mounts it: /etc/prometheus/secrets/NAME/KEY → ..data/KEY. */
export async function writeSecretVolume(root: string, secretName: string, files: Record<string, string | Buffer>): Promise<string> {
  const dir = path.join(root, OPERATOR_PATHS.secrets, secretName);
  await atomicWriteDir(dir, files, 0o640);
  return dir;
}
