// Resolves a job's authentication into request headers and TLS material, re-reading every file as Prometheus does.
import type { HttpClientConfig } from '../config/schema.js';
import { readSecretFile } from '../credentials/read.js';
import type { SentSecrets } from './scrub.js';
import type { TlsMaterial } from './tls-context.js';

export type SecretReader = typeof readSecretFile;

export interface HeaderEntry {
  name: string;
  value: string;
  /** Never printed: the debug trace shows "<secret>". */
  secret: boolean;
  /** Dropped on a redirect to another host and in the unauthenticated check. */
  credential: boolean;
}

export type Resolved<T> = { ok: true; value: T } | { ok: false; message: string };

type Job = Partial<HttpClientConfig>;

async function fromFile(read: SecretReader, path: string, what: string): Promise<Resolved<string>> {
  const outcome = await read(path);
  if (outcome.ok) return { ok: true, value: outcome.value };
  // prometheus/common's FileSecret wording; the path is config, not a secret.
  return { ok: false, message: `unable to read ${what}: unable to read file ${path}: open ${path}: ${outcome.problem}` };
}

/**
 * The headers a job adds to every request: http_headers, then the one configured authentication. Every secret
 * value is also recorded in `sent`, so whatever a target echoes of it is scrubbed (scrub.ts).
 */
export async function resolveHeaders(job: Job, read: SecretReader = readSecretFile, sent?: SentSecrets): Promise<Resolved<HeaderEntry[]>> {
  const headers: HeaderEntry[] = [];
  const secretHeader = (name: string, value: string) => headers.push({ name, value, secret: true, credential: true });
  for (const [name, spec] of Object.entries(job.http_headers ?? {})) {
    for (const value of spec.values ?? []) headers.push({ name, value, secret: false, credential: false });
    for (const value of spec.secrets ?? []) {
      sent?.add(value.reveal());
      secretHeader(name, value.reveal());
    }
    for (const file of spec.files ?? []) {
      const content = await fromFile(read, file, `headers file for ${name}`);
      if (!content.ok) return content;
      sent?.add(content.value);
      secretHeader(name, content.value);
    }
  }

  const basic = job.basic_auth;
  if (basic) {
    let username = basic.username ?? '';
    if (basic.username_file !== undefined) {
      const content = await fromFile(read, basic.username_file, 'basic auth username');
      if (!content.ok) return content;
      username = content.value;
    }
    let password = basic.password?.reveal() ?? '';
    if (basic.password_file !== undefined) {
      const content = await fromFile(read, basic.password_file, 'basic auth password');
      if (!content.ok) return content;
      password = content.value;
    }
    // The header is base64 of user:pass: scrubbing user:pass covers it, raw and encoded.
    sent?.addBasic(username, password);
    secretHeader('Authorization', `Basic ${Buffer.from(`${username}:${password}`, 'utf8').toString('base64')}`);
  }

  const auth = job.authorization ?? (job.bearer_token !== undefined || job.bearer_token_file !== undefined ? { type: 'Bearer', credentials: job.bearer_token, credentials_file: job.bearer_token_file } : undefined);
  if (auth) {
    let credentials = auth.credentials?.reveal() ?? '';
    if (auth.credentials_file !== undefined) {
      const content = await fromFile(read, auth.credentials_file, 'authorization credentials');
      if (!content.ok) return content;
      credentials = content.value;
    }
    // An empty file sends "Bearer " as Prometheus does, and the target answers 401.
    // Every form of the credentials, also inside "Bearer …" or its base64, is covered by the credentials alone.
    sent?.add(credentials);
    secretHeader('Authorization', `${auth.type} ${credentials}`);
  }
  return { ok: true, value: headers };
}

const TLS_VERSIONS = { TLS10: 'TLSv1', TLS11: 'TLSv1.1', TLS12: 'TLSv1.2', TLS13: 'TLSv1.3' } as const;

/** CA, client certificate and key from the job's tls_config, inline or re-read from files. */
export async function resolveTlsMaterial(job: Job, withClientCert: boolean, read: SecretReader = readSecretFile): Promise<Resolved<TlsMaterial>> {
  const tls = job.tls_config;
  const material: TlsMaterial = {};
  if (!tls) return { ok: true, value: material };
  if (tls.min_version) material.minVersion = TLS_VERSIONS[tls.min_version];
  if (tls.max_version) material.maxVersion = TLS_VERSIONS[tls.max_version];
  if (tls.ca !== undefined) material.ca = tls.ca;
  if (tls.ca_file !== undefined) {
    const content = await fromFile(read, tls.ca_file, 'CA cert');
    if (!content.ok) return content;
    material.ca = content.value;
  }
  if (!withClientCert) return { ok: true, value: material };
  if (tls.cert !== undefined) material.cert = tls.cert;
  if (tls.cert_file !== undefined) {
    const content = await fromFile(read, tls.cert_file, 'client cert');
    if (!content.ok) return content;
    material.cert = content.value;
  }
  if (tls.key !== undefined) material.key = tls.key.reveal();
  if (tls.key_file !== undefined) {
    const content = await fromFile(read, tls.key_file, 'client key');
    if (!content.ok) return content;
    material.key = content.value;
  }
  return { ok: true, value: material };
}
