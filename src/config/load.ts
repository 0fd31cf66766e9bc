// Reads a config file into a validated Config, with errors that name the file, line, column and key path.
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { checkYamlDepth } from './yaml-depth.js';
import { isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node } from 'yaml';
import type { z } from 'zod';
import { keyPathSegment, NOT_SHOWN, quoteValue, redactQuoted } from './quote.js';
import { configSchema, isIgnoredScrapeField, type Config, type HttpClientConfig, type ScrapeConfig } from './schema.js';

/** Config files larger than this are refused before they are read. */
export const MAX_CONFIG_BYTES = 10 * 1024 * 1024;

export type PathSegment = string | number;

/** A user error in a config file: one line, no stack trace. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(
    readonly file: string,
    readonly detail: string,
    readonly line?: number,
    readonly column?: number,
    readonly keyPath?: string,
  ) {
    const where = line !== undefined ? `${file}:${line}:${column ?? 1}` : file;
    super(keyPath ? `${where}: ${keyPath}: ${detail}` : `${where}: ${detail}`);
  }
}

export interface LoadedConfig {
  config: Config;
  file: string;
  /** Prometheus-only fields that were accepted and ignored, as key paths, for one debug line. */
  ignoredFields: string[];
  /** Sidecar mode: what came from Prometheus's own prometheus.yml (absent without `prometheus.config_file`). */
  imported?: ImportedPrometheusConfig;
}

/** Why a job of prometheus.yml is not probed: auth we cannot reproduce, or fields we do not model. */
export type SkipReason = 'oauth2' | 'sigv4' | 'azuread' | 'google_iam' | 'unsupported_config';

export interface ImportedPrometheusConfig {
  /** Absolute path of prometheus.yml. */
  file: string;
  /** sha256 of its text: the watcher tells a real change from a touch or a re-created symlink. */
  digest: string;
  /** Jobs of the final config that came from prometheus.yml (a job of our own file with the same name wins). */
  jobs: string[];
  /** Jobs of prometheus.yml that are not probed, with the reason. */
  skipped: { job: string; reason: SkipReason; detail: string }[];
  /** Jobs of prometheus.yml deliberately left out: not in `prometheus.jobs`, or replaced by a job of our own file. */
  excluded: string[];
}

/** Reads a YAML file with the checks every config file deserves: exists, regular, not huge. */
export async function readConfigText(file: string): Promise<string> {
  let info;
  try {
    info = await stat(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const reason = code === 'ENOENT' ? 'no such file or directory' : code === 'EACCES' ? 'permission denied' : String(code ?? err);
    throw new ConfigError(file, `cannot read config file: ${reason}`);
  }
  if (info.isDirectory()) throw new ConfigError(file, 'cannot read config file: is a directory');
  if (!info.isFile()) throw new ConfigError(file, 'cannot read config file: not a regular file');
  if (info.size > MAX_CONFIG_BYTES) {
    throw new ConfigError(file, `config file is ${info.size} bytes, more than the ${MAX_CONFIG_BYTES / 1024 / 1024} MiB limit`);
  }
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new ConfigError(file, `cannot read config file: ${code === 'EACCES' ? 'permission denied' : String(code ?? err)}`);
  }
}

export async function loadConfigFile(file: string): Promise<LoadedConfig> {
  const text = await readConfigText(file);
  return parseConfig(text, file);
}

/** A parsed YAML document that can point at any key path. */
export class YamlSource {
  readonly lines = new LineCounter();
  readonly doc: Document;

  constructor(
    readonly text: string,
    readonly file: string,
  ) {
    // Before parsing: the parser itself is what a deeply nested file makes slow and big.
    const tooDeep = checkYamlDepth(text);
    if (tooDeep) {
      throw new ConfigError(file, `YAML error: ${tooDeep.message}`, tooDeep.line, tooDeep.col);
    }
    this.doc = parseDocument(text, { lineCounter: this.lines, uniqueKeys: true, prettyErrors: false });
    const first = this.doc.errors[0];
    if (first) {
      const pos = this.lines.linePos(first.pos[0]);
      const message = first.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
      throw new ConfigError(file, `YAML error: ${message}`, pos.line, pos.col);
    }
  }

  toJS(): unknown {
    return this.doc.toJS({ maxAliasCount: 100 });
  }

  /** A ConfigError located at a key path (at the key itself when `atKey`, else at its value). */
  errorAt(keyPath: PathSegment[], detail: string, atKey = false): ConfigError {
    const node = this.locate(keyPath, atKey);
    const pos = node?.range ? this.lines.linePos(node.range[0]) : { line: 1, col: 1 };
    return new ConfigError(this.file, detail, pos.line, pos.col, formatKeyPath(keyPath));
  }

  private locate(keyPath: PathSegment[], atKey: boolean): Node | undefined {
    let node: unknown = this.doc.contents;
    let found: Node | undefined = (node as Node | null) ?? undefined;
    for (let i = 0; i < keyPath.length; i++) {
      const segment = keyPath[i]!;
      const last = i === keyPath.length - 1;
      if (isMap(node)) {
        const pair = node.items.find((p) => isPair(p) && isScalar(p.key) && String(p.key.value) === String(segment));
        if (!pair) return found;
        if (last && atKey) return pair.key as Node;
        node = pair.value;
        found = (pair.value as Node | null) ?? (pair.key as Node);
      } else if (isSeq(node) && typeof segment === 'number') {
        node = node.items[segment];
        if (!node) return found;
        found = node as Node;
      } else {
        return found;
      }
    }
    return found;
  }
}

/** A key path as errors print it; a key that could be a secret (a value typed into its key) is not shown. */
export function formatKeyPath(keyPath: PathSegment[]): string {
  let out = '';
  for (const segment of keyPath) out += keyPathSegment(segment, out === '');
  return out;
}

export function parseConfig(text: string, file: string): LoadedConfig {
  const source = new YamlSource(text, file);
  const raw = source.toJS();
  if (raw === null || raw === undefined) {
    throw new ConfigError(file, 'config file is empty: expected a mapping with scrape_configs, credential_files or prometheus', 1, 1);
  }
  if (typeof raw !== 'object' || Array.isArray(raw)) {
    throw source.errorAt([], 'the config must be a mapping of keys (global, scrape_configs, credential_files, prometheus, kubernetes)');
  }
  const ignoredFields = stripIgnoredScrapeFields(raw as Record<string, unknown>);
  const result = configSchema.safeParse(raw, { error: describeIssue });
  if (!result.success) throw issueToError(source, result.error.issues);
  const config = resolveConfigPaths(result.data, path.dirname(path.resolve(file)));
  return { config, file, ignoredFields };
}

/** Turns the first validation issue (in file order) into a located ConfigError. */
export function issueToError(source: YamlSource, issues: z.core.$ZodIssue[]): ConfigError {
  const issue = issues[0]!;
  const keyPath = issue.path.filter((s): s is PathSegment => typeof s !== 'symbol');
  // Whatever a message quotes passes quote.ts's net: no text of the user's that could be a secret is repeated.
  const message = redactQuoted(issue.message);
  if (issue.code === 'unrecognized_keys') {
    const key = issue.keys[0]!;
    const error = source.errorAt([...keyPath, key], message, true);
    // The message decided whether the key may be quoted (quote.ts); the key path follows it.
    if (message.includes(JSON.stringify(key))) return error;
    return new ConfigError(error.file, error.detail, error.line, error.column, `${formatKeyPath(keyPath)}[${NOT_SHOWN}]`);
  }
  return source.errorAt(keyPath, message);
}

/** Plain-language messages for the issue kinds zod describes in its own terms (also used for the web config). */
export function describeIssue(issue: z.core.$ZodRawIssue): string | undefined {
  if (issue.code === 'invalid_type') {
    const got = issue.input === undefined ? 'nothing' : describeValue(issue.input);
    if (issue.input === undefined) return `missing required field (expected ${article(issue.expected)})`;
    return `expected ${article(issue.expected)}, got ${got}`;
  }
  if (issue.code === 'invalid_key') {
    return issue.issues[0]?.message ?? 'invalid key';
  }
  if (issue.code === 'invalid_value' && 'values' in issue) {
    const got = quoteValue(issue.input, issue.values.map(String));
    return `must be one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}, got ${got === NOT_SHOWN ? 'another value (not shown)' : got}`;
  }
  return undefined;
}

function article(expected: string): string {
  const names: Record<string, string> = {
    array: 'a list',
    object: 'a mapping',
    string: 'a string',
    number: 'a number',
    boolean: 'a boolean (true or false)',
    record: 'a mapping',
  };
  return names[expected] ?? expected;
}

function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  // Never echo the value itself: it may be a secret typed into the wrong field.
  return typeof value === 'number' ? 'a number' : `a ${typeof value}`;
}

function stripIgnoredScrapeFields(raw: Record<string, unknown>): string[] {
  const ignored: string[] = [];
  const jobs = raw['scrape_configs'];
  if (!Array.isArray(jobs)) return ignored;
  jobs.forEach((job, i) => {
    if (job === null || typeof job !== 'object' || Array.isArray(job)) return;
    for (const key of Object.keys(job)) {
      if (isIgnoredScrapeField(key)) {
        delete (job as Record<string, unknown>)[key];
        ignored.push(formatKeyPath(['scrape_configs', i, key]));
      }
    }
  });
  return ignored;
}

/** Relative file paths are relative to the directory of the file that names them, as in Prometheus. */
export function resolveHttpClientPaths<T extends Partial<HttpClientConfig>>(http: T, baseDir: string): T {
  const abs = (p: string | undefined) => (p === undefined ? undefined : path.resolve(baseDir, p));
  const out: T = { ...http };
  if (http.basic_auth) {
    out.basic_auth = { ...http.basic_auth, username_file: abs(http.basic_auth.username_file), password_file: abs(http.basic_auth.password_file) };
  }
  if (http.authorization) out.authorization = { ...http.authorization, credentials_file: abs(http.authorization.credentials_file) };
  if (http.bearer_token_file !== undefined) out.bearer_token_file = abs(http.bearer_token_file);
  if (http.tls_config) {
    out.tls_config = {
      ...http.tls_config,
      ca_file: abs(http.tls_config.ca_file),
      cert_file: abs(http.tls_config.cert_file),
      key_file: abs(http.tls_config.key_file),
    };
  }
  if (http.oauth2) {
    // prometheus/common's OAuth2.SetDirectory: the secret file and the block's own TLS files.
    const { tls_config: oauthTls, ...oauth2 } = http.oauth2;
    out.oauth2 = {
      ...oauth2,
      client_secret_file: abs(oauth2.client_secret_file),
      client_certificate_key_file: abs(oauth2.client_certificate_key_file),
      ...(oauthTls ? { tls_config: { ...oauthTls, ca_file: abs(oauthTls.ca_file), cert_file: abs(oauthTls.cert_file), key_file: abs(oauthTls.key_file) } } : {}),
    };
  }
  if (http.http_headers) {
    out.http_headers = Object.fromEntries(
      Object.entries(http.http_headers).map(([name, h]) => [name, { ...h, files: h.files?.map((f) => path.resolve(baseDir, f)) }]),
    );
  }
  return dropUndefined(out);
}

function dropUndefined<T>(value: T): T {
  if (value === null || typeof value !== 'object' || Array.isArray(value) || value.constructor !== Object) return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) if (v !== undefined) out[k] = dropUndefined(v);
  return out as T;
}

/** A job's credential, TLS, header and file SD paths, resolved against the directory of the file that names them. */
export function resolveJobPaths(job: ScrapeConfig, baseDir: string): ScrapeConfig {
  return {
    ...resolveHttpClientPaths(job, baseDir),
    file_sd_configs: job.file_sd_configs.map((sd) => ({ ...sd, files: sd.files.map((f) => path.resolve(baseDir, f)) })),
  };
}

export function resolveConfigPaths(config: Config, baseDir: string): Config {
  return {
    ...config,
    scrape_configs: config.scrape_configs.map((job) => resolveJobPaths(job, baseDir)),
    credential_files: config.credential_files.map((c) => ({ ...c, path: path.resolve(baseDir, c.path) })),
    prometheus: config.prometheus && {
      ...resolveHttpClientPaths(config.prometheus, baseDir),
      config_file: config.prometheus.config_file && path.resolve(baseDir, config.prometheus.config_file),
    },
  };
}
