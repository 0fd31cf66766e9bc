// --config.check: validate the config and every file it names, as `promtool check config` does.
import { access, constants, stat } from 'node:fs/promises';
import { readCredentialFile } from '../credentials/read.js';
import type { Config, HttpClientConfig } from './schema.js';

/** How a job uses a credential file, as `scrape_auth_credential_usage_info{usage}` names it. */
export type CredentialUsage = 'bearer_token' | 'username' | 'password' | 'client_cert' | 'client_key' | 'ca' | 'header' | 'oauth2_client_secret';

export interface NamedFile {
  path: string;
  /** Where the config names it, e.g. "job \"secured-app\" basic_auth.password_file". */
  usedBy: string;
  /** The scrape job that uses it; undefined for credential_files and the prometheus block. */
  job?: string;
  /** What the file holds for the request; undefined for files that are not credentials (prometheus.config_file). */
  usage?: CredentialUsage;
  /** credential_files entries only: their labels. */
  labels?: Record<string, string>;
}

export interface NamedFilesContext {
  /** The service-account token the RBAC checks use, when they run (see kubernetesTokenFile in src/kubernetes). */
  kubernetesTokenFile?: string | undefined;
}

/** Every credential, TLS and header file a config names, with the field that names it. */
export function filesNamedBy(config: Config, context: NamedFilesContext = {}): NamedFile[] {
  const files: NamedFile[] = [];
  const fromClient = (http: Partial<HttpClientConfig>, at: (field: string) => string, job: string | undefined) => {
    const add = (path: string | undefined, field: string, usage: CredentialUsage) => {
      if (path !== undefined) files.push({ path, usedBy: at(field), usage, ...(job !== undefined ? { job } : {}) });
    };
    add(http.basic_auth?.username_file, 'basic_auth.username_file', 'username');
    add(http.basic_auth?.password_file, 'basic_auth.password_file', 'password');
    add(http.authorization?.credentials_file, 'authorization.credentials_file', 'bearer_token');
    add(http.bearer_token_file, 'bearer_token_file', 'bearer_token');
    add(http.tls_config?.ca_file, 'tls_config.ca_file', 'ca');
    add(http.tls_config?.cert_file, 'tls_config.cert_file', 'client_cert');
    add(http.tls_config?.key_file, 'tls_config.key_file', 'client_key');
    for (const [name, header] of Object.entries(http.http_headers ?? {})) {
      for (const file of header.files ?? []) add(file, `http_headers.${name}.files`, 'header');
    }
    // The token request's credentials: re-read per token request, so watched like the job's own files.
    add(http.oauth2?.client_secret_file, 'oauth2.client_secret_file', 'oauth2_client_secret');
    // The JWT bearer grant's signing key is that grant's client credential.
    add(http.oauth2?.client_certificate_key_file, 'oauth2.client_certificate_key_file', 'oauth2_client_secret');
    add(http.oauth2?.tls_config?.ca_file, 'oauth2.tls_config.ca_file', 'ca');
    add(http.oauth2?.tls_config?.cert_file, 'oauth2.tls_config.cert_file', 'client_cert');
    add(http.oauth2?.tls_config?.key_file, 'oauth2.tls_config.key_file', 'client_key');
  };
  for (const job of config.scrape_configs) {
    fromClient(job, (field) => `job "${job.job_name}" ${field}`, job.job_name);
  }
  config.credential_files.forEach((entry, i) => {
    files.push({ path: entry.path, usedBy: `credential_files[${i}]`, ...(entry.labels ? { labels: entry.labels } : {}) });
  });
  if (config.prometheus) {
    // The credentials this exporter itself uses to ask Prometheus for its targets.
    fromClient(config.prometheus, (field) => `prometheus.${field}`, undefined);
    if (config.prometheus.config_file) files.push({ path: config.prometheus.config_file, usedBy: 'prometheus.config_file' });
  }
  if (context.kubernetesTokenFile !== undefined) {
    files.push({ path: context.kubernetesTokenFile, usedBy: 'kubernetes.rbac_checks (service-account token)' });
  }
  return files;
}

export interface CheckReport {
  ok: boolean;
  lines: string[];
}

/** The summary --config.check prints, and whether every named file is a readable regular file. */
export async function checkConfigFiles(file: string, config: Config): Promise<CheckReport> {
  const problems: string[] = [];
  const named = filesNamedBy(config);
  for (const { path, usedBy } of named) {
    // Credential files are checked by the very reader the probes use (size cap, regular files only), so the check
    // can never say SUCCESS for a file the runtime then reports unreadable.
    const problem = usedBy === 'prometheus.config_file' ? await fileProblem(path) : await credentialProblem(path);
    if (problem) problems.push(`  FAILED: ${usedBy}: ${path}: ${problem}`);
  }
  const targets = config.scrape_configs.reduce((n, job) => n + job.static_configs.reduce((m, sc) => m + sc.targets.length, 0), 0);
  const fileSd = config.scrape_configs.reduce((n, job) => n + job.file_sd_configs.length, 0);
  const lines = [
    `Checking ${file}`,
    `  jobs: ${config.scrape_configs.length}, static targets: ${targets}, file_sd blocks: ${fileSd}, credential files: ${new Set(named.map((f) => f.path)).size}`,
    ...problems,
    problems.length === 0 ? '  SUCCESS: config and every file it names are valid' : `  FAILED: ${problems.length} file problem(s)`,
  ];
  return { ok: problems.length === 0, lines };
}

async function credentialProblem(path: string): Promise<string | undefined> {
  const outcome = await readCredentialFile(path);
  return outcome.ok ? undefined : outcome.problem;
}

async function fileProblem(path: string): Promise<string | undefined> {
  try {
    const info = await stat(path);
    if (info.isDirectory()) return 'is a directory';
    if (!info.isFile()) return 'not a regular file';
    await access(path, constants.R_OK);
    return undefined;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return 'no such file or directory';
    if (code === 'EACCES') return 'permission denied';
    return String(code ?? err);
  }
}
