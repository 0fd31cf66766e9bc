// Turns a config into the set of credential files to watch, their labels and uses, and the cert/key pairs to match.
import path from 'node:path';
import { filesNamedBy, type CredentialUsage, type NamedFilesContext } from '../config/check.js';
import type { Config } from '../config/schema.js';
import { inspectCredential, type Inspection } from './inspect.js';

export interface FileUse {
  job: string;
  usage: CredentialUsage;
}

export interface PlannedFile {
  path: string;
  /** The credential_files entry's labels (the first entry naming the path wins). */
  labels: Record<string, string>;
  uses: FileUse[];
}

/** A certificate or key either in a watched file or inline in the config. */
export type KeyMaterial = { file: string } | { inline: Inspection };

export interface CertKeyPair {
  job: string;
  cert: KeyMaterial;
  key: KeyMaterial;
}

export interface CredentialPlan {
  files: Map<string, PlannedFile>;
  pairs: CertKeyPair[];
}

export function planCredentials(config: Config, context: NamedFilesContext = {}): CredentialPlan {
  const files = new Map<string, PlannedFile>();
  for (const named of filesNamedBy(config, context)) {
    // prometheus.config_file is watched by the sidecar importer; it is no credential.
    if (named.usedBy === 'prometheus.config_file') continue;
    const key = path.resolve(named.path);
    let planned = files.get(key);
    if (!planned) {
      planned = { path: key, labels: {}, uses: [] };
      files.set(key, planned);
    }
    if (named.labels && Object.keys(planned.labels).length === 0) planned.labels = { ...named.labels };
    if (named.job !== undefined && named.usage !== undefined) {
      const { job, usage } = named;
      if (!planned.uses.some((u) => u.job === job && u.usage === usage)) planned.uses.push({ job, usage });
    }
  }
  const pairs: CertKeyPair[] = [];
  for (const job of config.scrape_configs) {
    const tls = job.tls_config;
    if (!tls) continue;
    const cert = material(tls.cert_file, tls.cert);
    const key = material(tls.key_file, tls.key?.reveal());
    if (cert && key) pairs.push({ job: job.job_name, cert, key });
  }
  return { files, pairs };
}

function material(file: string | undefined, inline: string | undefined): KeyMaterial | undefined {
  if (file !== undefined) return { file: path.resolve(file) };
  if (inline !== undefined) return { inline: inspectCredential(Buffer.from(inline)) };
  return undefined;
}
