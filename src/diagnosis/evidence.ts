// The facts a diagnosis is made from, gathered from the exporter's state: none of them is a secret.
import { filesNamedBy, type CredentialUsage } from '../config/check.js';
import type { Config, ScrapeConfig } from '../config/schema.js';
import { inspectCredential } from '../credentials/inspect.js';
import type { CredentialFileStatus, CredentialType } from '../status/types.js';

/** A credential file the request used, as the credential watcher last saw it (paths and public facts only). */
export interface FileFacts {
  path: string;
  usage: CredentialUsage;
  /** The config field that names it, e.g. "authorization.credentials_file". */
  field: string;
  /** False until the watcher has looked at the file once. */
  observed: boolean;
  exists: boolean;
  readable: boolean;
  problem: string | undefined;
  empty: boolean | undefined;
  type: CredentialType | undefined;
  /** JWT `sub` or the certificate's subject DN: shown by credential_info, not secret. */
  subject: string | undefined;
  issuer: string | undefined;
  expiresMs: number | undefined;
  /** JWT `nbf` or X.509 `notBefore`. */
  notBeforeMs: number | undefined;
}

/** A credential written into the config itself (bearer token, client certificate): what can be said about it. */
export interface InlineFacts {
  usage: 'bearer_token' | 'client_cert';
  type: CredentialType;
  subject: string | undefined;
  issuer: string | undefined;
  expiresMs: number | undefined;
  notBeforeMs: number | undefined;
}

/** What the job sends and how it talks TLS: the shape of its config, never a value that could be a secret. */
export interface JobFacts {
  name: string;
  metricsPath: string;
  basicAuth: boolean;
  /** The authorization type ("Bearer") when authorization, bearer_token or bearer_token_file is set. */
  authorizationType: string | undefined;
  oauth2: boolean;
  /** oauth2.token_url without userinfo or query. */
  oauth2TokenUrl: string | undefined;
  clientCert: boolean;
  /** http_headers with secrets or files: credentials of their own (an API key header). */
  headerCredentials: boolean;
  caFile: string | undefined;
  caInline: boolean;
  serverName: string | undefined;
  /** host:port of proxy_url (never its userinfo). */
  proxy: string | undefined;
  timeoutMs: number | undefined;
}

/** What the Kubernetes API server said about this pod's service account. */
export interface RbacFacts {
  /** system:serviceaccount:NS:NAME, from the service-account token's `sub`, when known. */
  serviceAccount: string | undefined;
  /** Checks the API server answered "no" to. */
  denied: { verb: string; resource: string; subresource: string; group: string }[];
}

export interface DiagnosisEvidence {
  target: { job: string; instance: string; url: string };
  job: JobFacts;
  /** The credential files the request used (the TLS ones only for an https URL). */
  files: FileFacts[];
  inline: InlineFacts[];
  /** scrape_auth_client_cert_key_match of the job; undefined when it has no certificate and key. */
  clientCertKeyMatch: boolean | undefined;
  rbac: RbacFacts | undefined;
  /** For an http URL that failed oddly: whether the port answered a TLS handshake (undefined: not asked). */
  speaksTls: boolean | undefined;
  /** For an https URL whose connection was dropped after the handshake with a client certificate: whether the
   * server refuses a handshake without one (undefined: not asked). */
  demandsClientCert?: boolean | undefined;
  /** When the probe finished, Unix ms: expiry is judged at that moment. */
  nowMs: number;
}

/** Where the diagnosis reads the exporter's state; the components implement it. */
export interface EvidenceSources {
  /** The watcher's view of one file (absolute path), undefined when it is not watched or not yet seen. */
  credentialFile(path: string): CredentialFileStatus | undefined;
  /** Whether the job's client certificate and key are a pair; undefined when it has not both. */
  clientCertKeyMatch(job: string): boolean | undefined;
  rbac(): RbacFacts | undefined;
}

const TLS_USAGES = new Set<CredentialUsage>(['ca', 'client_cert', 'client_key']);

/** The shape of a job's authentication, from its config. */
export function jobFacts(job: ScrapeConfig, timeoutMs?: number): JobFacts {
  const headers = Object.values(job.http_headers ?? {});
  return {
    name: job.job_name,
    metricsPath: job.metrics_path,
    basicAuth: job.basic_auth !== undefined,
    authorizationType:
      job.authorization !== undefined ? (job.authorization.type ?? 'Bearer') : job.bearer_token !== undefined || job.bearer_token_file !== undefined ? 'Bearer' : undefined,
    oauth2: job.oauth2 !== undefined,
    oauth2TokenUrl: printableUrl((job.oauth2 as Record<string, unknown> | undefined)?.['token_url']),
    clientCert: job.tls_config?.cert !== undefined || job.tls_config?.cert_file !== undefined,
    headerCredentials: headers.some((h) => (h.secrets?.length ?? 0) > 0 || (h.files?.length ?? 0) > 0),
    caFile: job.tls_config?.ca_file,
    caInline: job.tls_config?.ca !== undefined,
    serverName: job.tls_config?.server_name,
    proxy: proxyHost(job.proxy_url?.reveal()),
    timeoutMs,
  };
}

/** Inline credentials of a job, inspected once per job object (a reload makes new ones). */
const inlineCache = new WeakMap<ScrapeConfig, InlineFacts[]>();

export function inlineFacts(job: ScrapeConfig): InlineFacts[] {
  let facts = inlineCache.get(job);
  if (facts) return facts;
  facts = [];
  const token = job.authorization?.credentials?.reveal() ?? job.bearer_token?.reveal();
  if (token !== undefined) {
    const i = inspectCredential(Buffer.from(token));
    facts.push({ usage: 'bearer_token', type: i.type, subject: i.subject, issuer: i.issuer, expiresMs: i.expiresMs, notBeforeMs: i.notBeforeMs });
  }
  if (job.tls_config?.cert !== undefined) {
    const i = inspectCredential(Buffer.from(job.tls_config.cert));
    facts.push({ usage: 'client_cert', type: i.type, subject: i.subject, issuer: i.issuer, expiresMs: i.expiresMs, notBeforeMs: i.notBeforeMs });
  }
  inlineCache.set(job, facts);
  return facts;
}

/** Gathers the evidence for one target's last probe. */
export function collectEvidence(
  target: { job: string; instance: string; url: string },
  job: ScrapeConfig,
  sources: EvidenceSources,
  extra: { nowMs: number; timeoutMs?: number; speaksTls?: boolean; demandsClientCert?: boolean },
): DiagnosisEvidence {
  const https = target.url.startsWith('https:');
  const files: FileFacts[] = [];
  const seen = new Set<string>();
  // The job alone: filesNamedBy needs a Config, and a one-job config names exactly this job's files.
  for (const named of filesNamedBy({ scrape_configs: [job], credential_files: [] } as unknown as Config)) {
    if (named.usage === undefined || (!https && TLS_USAGES.has(named.usage))) continue;
    const key = `${named.path}\u0000${named.usage}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const status = sources.credentialFile(named.path);
    files.push({
      path: named.path,
      usage: named.usage,
      field: named.usedBy.replace(/^job "[^"]*" /, ''),
      observed: status !== undefined,
      exists: status?.exists ?? true,
      readable: status?.readable ?? true,
      problem: status?.problem,
      empty: status?.empty,
      type: status?.type,
      subject: status?.subject,
      issuer: status?.issuer,
      expiresMs: status?.expiresMs,
      notBeforeMs: status?.notBeforeMs,
    });
  }
  return {
    target: { job: target.job, instance: target.instance, url: target.url },
    job: jobFacts(job, extra.timeoutMs),
    files,
    inline: inlineFacts(job).filter((f) => https || f.usage !== 'client_cert'),
    clientCertKeyMatch: https ? sources.clientCertKeyMatch(job.job_name) : undefined,
    rbac: sources.rbac(),
    speaksTls: extra.speaksTls,
    demandsClientCert: extra.demandsClientCert,
    nowMs: extra.nowMs,
  };
}

/** host:port of a proxy URL; its userinfo never leaves here. */
function proxyHost(raw: string | undefined): string | undefined {
  if (!raw) return undefined;
  try {
    const u = new URL(raw);
    return u.port ? `${u.hostname}:${u.port}` : u.hostname;
  } catch {
    return 'the proxy';
  }
}

/** A URL from the config as it may be printed: scheme, host and path, no userinfo, query or fragment. */
export function printableUrl(raw: unknown): string | undefined {
  if (typeof raw !== 'string') return undefined;
  try {
    const u = new URL(raw);
    return `${u.protocol}//${u.host}${u.pathname}`;
  } catch {
    return undefined;
  }
}
