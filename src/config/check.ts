// --config.check: validate the config and every file it names, as `promtool check config` does.
import { access, constants, stat } from 'node:fs/promises';
import type { Config } from './schema.js';

export interface NamedFile {
  path: string;
  /** Where the config names it, e.g. "scrape_configs[0] (secured-app) basic_auth.password_file". */
  usedBy: string;
}

export interface NamedFilesContext {
  /** The service-account token the RBAC checks use, when they run (see kubernetesTokenFile in src/kubernetes). */
  kubernetesTokenFile?: string | undefined;
}

/** Every credential, TLS and header file a config names, with the field that names it. */
export function filesNamedBy(config: Config, context: NamedFilesContext = {}): NamedFile[] {
  const files: NamedFile[] = [];
  const add = (path: string | undefined, usedBy: string) => {
    if (path !== undefined) files.push({ path, usedBy });
  };
  config.scrape_configs.forEach((job) => {
    const at = (field: string) => `job "${job.job_name}" ${field}`;
    add(job.basic_auth?.username_file, at('basic_auth.username_file'));
    add(job.basic_auth?.password_file, at('basic_auth.password_file'));
    add(job.authorization?.credentials_file, at('authorization.credentials_file'));
    add(job.bearer_token_file, at('bearer_token_file'));
    add(job.tls_config?.ca_file, at('tls_config.ca_file'));
    add(job.tls_config?.cert_file, at('tls_config.cert_file'));
    add(job.tls_config?.key_file, at('tls_config.key_file'));
    for (const [name, header] of Object.entries(job.http_headers ?? {})) {
      for (const file of header.files ?? []) add(file, at(`http_headers.${name}.files`));
    }
  });
  config.credential_files.forEach((entry, i) => add(entry.path, `credential_files[${i}]`));
  if (config.prometheus?.config_file) add(config.prometheus.config_file, 'prometheus.config_file');
  add(context.kubernetesTokenFile, 'kubernetes.rbac_checks (service-account token)');
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
    const problem = await fileProblem(path);
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
