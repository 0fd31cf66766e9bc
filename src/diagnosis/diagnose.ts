// The diagnosis: from a probe's result and the evidence the exporter holds, the one cause and the fix (pure).
import type { ProbeResultKind } from '../status/types.js';
import type { Cause, Diagnosis } from './causes.js';
import type { DiagnosisEvidence, FileFacts, InlineFacts } from './evidence.js';
import { canICommand, clusterRoleRule, expiredAgo, instant, permissionText, span, validFrom, type Permission } from './format.js';

/** What the probe found: the parts of a ProbeResult a diagnosis reads. */
export interface ProbeFacts {
  result: ProbeResultKind;
  statusCode: number;
  /** As Prometheus writes it (already scrubbed of anything the probe sent). Only matched, never copied whole. */
  error: string | undefined;
  /** The missing permission a 403 body named (kubelet, kube-rbac-proxy). */
  forbidden?: { user: string; verb: string; resource: string; subresource: string } | undefined;
  tlsCertExpiryMs?: number | undefined;
  unauthenticated?: { statusCode: number; authEnforced: boolean | undefined } | undefined;
  /** What the body or the redirect chain looked like, when it says more than the status. */
  hint?: ResponseHint | undefined;
}

/** HTML instead of metrics, or a redirect to a login path: an SSO or authentication proxy, most often. */
export interface ResponseHint {
  kind: 'login_page';
  /** Where the page is: scheme, host and path only. */
  url: string | undefined;
  /** It looks like a sign-in form (a password field, sign-in wording, a login path); else just HTML. */
  form?: boolean;
}

interface Context {
  probe: ProbeFacts;
  e: DiagnosisEvidence;
  job: string;
  instance: string;
  failed: boolean;
}

type Rule = (c: Context) => Omit<Diagnosis, 'cause'> | undefined;

// Remote TLS alerts (Go's names, as classify.ts writes them) a server sends when it does not get a client certificate.
const NO_CLIENT_CERT_ALERTS = new Set(['certificate required', 'handshake failure', 'bad certificate']);
// …and those it sends about a certificate it got and refused.
const CLIENT_CERT_REFUSED_ALERTS = new Set([
  'certificate required',
  'handshake failure',
  'bad certificate',
  'unsupported certificate',
  'revoked certificate',
  'expired certificate',
  'unknown certificate',
  'unknown certificate authority',
  'access denied',
  'error decrypting message',
]);

const TOKEN_USAGES = new Set(['bearer_token', 'password', 'username', 'header', 'oauth2_client_secret']);
const USAGE_WORDS: Record<string, string> = {
  bearer_token: 'bearer token',
  username: 'basic auth username',
  password: 'basic auth password',
  client_cert: 'client certificate',
  client_key: 'client key',
  ca: 'CA bundle',
  header: 'header',
  oauth2_client_secret: 'oauth2 client secret',
};

/**
 * SPEC's cause table, in its order: the first rule that applies names the cause. Each rule returns the summary and
 * fix, or undefined when it does not apply.
 */
const RULES: [Cause, Rule][] = [
  ['ok', okRule],
  ['credential_file_missing', (c) => fileProblemRule(c, true)],
  ['credential_file_unreadable', (c) => fileProblemRule(c, false)],
  ['client_cert_key_mismatch', certKeyMismatchRule],
  ['client_cert_expired', clientCertExpiredRule],
  ['credential_file_empty', emptyFileRule],
  ['token_expired', (c) => tokenTimeRule(c, 'expired')],
  ['token_not_yet_valid', (c) => tokenTimeRule(c, 'not_yet_valid')],
  ['no_credentials_configured', noCredentialsRule],
  ['credentials_rejected', credentialsRejectedRule],
  ['permission_denied', permissionDeniedRule],
  ['client_cert_required', clientCertRequiredRule],
  ['client_cert_rejected', clientCertRejectedRule],
  ['server_cert_untrusted', serverCertUntrustedRule],
  ['server_cert_expired', serverCertExpiredRule],
  ['server_name_mismatch', serverNameRule],
  ['wrong_scheme', wrongSchemeRule],
  ['proxy_auth_required', proxyAuthRule],
  ['oauth2_token_error', oauth2Rule],
  ['login_page', loginPageRule],
  ['connection_refused', (c) => resultRule(c, 'connection_refused')],
  ['timeout', (c) => resultRule(c, 'timeout')],
  ['dns_error', (c) => resultRule(c, 'dns_error')],
  ['network_error', (c) => resultRule(c, 'network_error')],
  ['http_error', (c) => resultRule(c, 'http_error')],
  ['invalid_response', (c) => resultRule(c, 'invalid_response')],
  ['tls_error', (c) => resultRule(c, 'tls_error')],
];

/** The cause of a target's last probe, with one sentence of summary and one of fix. Pure: same input, same text. */
export function diagnose(probe: ProbeFacts, evidence: DiagnosisEvidence): Diagnosis {
  const c: Context = { probe, e: evidence, job: evidence.target.job, instance: evidence.target.instance, failed: probe.result !== 'ok' };
  for (const [cause, rule] of RULES) {
    const found = rule(c);
    if (found) return { cause, ...found };
  }
  // Only a credentials_error no file explains is left: the probe could not read what it needed.
  return {
    cause: 'credential_file_unreadable',
    summary: `The probe of ${c.instance} was not sent: a credential of job "${c.job}" could not be read.`,
    fix: `Check that every file job "${c.job}" names exists and is readable by the user Prometheus runs as (see the credential files on the status page).`,
  };
}

function okRule({ probe, job }: Context): Omit<Diagnosis, 'cause'> | undefined {
  if (probe.result !== 'ok') return undefined;
  if (probe.unauthenticated?.authEnforced === false) {
    return {
      summary: `The probe got a 200 with metrics, but so does a request without credentials (status ${probe.unauthenticated.statusCode}).`,
      fix: `Nothing to fix for the scrape; but anyone who can reach the target reads its metrics: turn on authentication on the target (or its proxy), or drop the credentials from job "${job}" if it is meant to be public.`,
    };
  }
  return { summary: 'The probe got a 200 with a metrics exposition.', fix: 'Nothing to fix.' };
}

/** The file a credentials_error names, with the reason the read gave, else the first file the watcher saw fail. */
function unreadableFile(c: Context, missing: boolean): { file: FileFacts; problem: string } | undefined {
  if (c.probe.result !== 'credentials_error') return undefined;
  const error = c.probe.error ?? '';
  for (const file of c.e.files) {
    const at = error.indexOf(`open ${file.path}: `);
    if (at < 0) continue;
    const problem = error.slice(at + `open ${file.path}: `.length);
    const isMissing = problem === 'no such file or directory' || problem === 'not a directory';
    return isMissing === missing ? { file, problem } : undefined;
  }
  const file = c.e.files.find((f) => f.observed && (missing ? !f.exists : f.exists && !f.readable));
  return file ? { file, problem: file.problem ?? (missing ? 'no such file or directory' : 'unreadable') } : undefined;
}

function fileProblemRule(c: Context, missing: boolean): Omit<Diagnosis, 'cause'> | undefined {
  const found = unreadableFile(c, missing);
  if (!found) return undefined;
  const { file, problem } = found;
  const what = USAGE_WORDS[file.usage] ?? 'credential';
  if (missing) {
    return {
      summary: `The ${what} file ${file.path} does not exist, so the probe was not sent (Prometheus's scrapes fail the same way).`,
      fix: `Create ${file.path} or correct ${file.field} of job "${c.job}"; in Kubernetes, check that the Secret or projected volume is mounted at ${dirname(file.path)} in the Prometheus container too.`,
    };
  }
  let fix: string;
  if (problem === 'permission denied') {
    fix = `Let the user Prometheus runs as read ${file.path}: mode 0640 with the group of that user (fsGroup or defaultMode in Kubernetes).`;
  } else if (/not a regular file|is a directory/.test(problem)) {
    fix = `Point ${file.field} of job "${c.job}" at the regular file holding the ${what}, not at ${file.path}.`;
  } else if (/limit/.test(problem)) {
    fix = `${file.path} is far too large to be a ${what}: point ${file.field} of job "${c.job}" at the right file.`;
  } else {
    fix = `Make ${file.path} a readable regular file for the user Prometheus runs as.`;
  }
  return { summary: `The ${what} file ${file.path} cannot be read (${problem}), so the probe was not sent.`, fix };
}

function clientCertFiles(c: Context): { cert: FileFacts | undefined; key: FileFacts | undefined } {
  return { cert: c.e.files.find((f) => f.usage === 'client_cert'), key: c.e.files.find((f) => f.usage === 'client_key') };
}

function certKeyMismatchRule(c: Context): Omit<Diagnosis, 'cause'> | undefined {
  if (!c.failed || c.e.clientCertKeyMatch !== false) return undefined;
  const { cert, key } = clientCertFiles(c);
  const certName = cert ? cert.path : 'the inline tls_config.cert';
  const keyName = key ? key.path : 'the inline tls_config.key';
  return {
    summary: `The client certificate ${certName} and the key ${keyName} of job "${c.job}" are not a pair, so no client certificate can be presented.`,
    fix: `Write a certificate and key from the same issuance to ${certName} and ${keyName}: one of them was rotated without the other.`,
  };
}

function clientCertExpiredRule(c: Context): Omit<Diagnosis, 'cause'> | undefined {
  if (!c.failed) return undefined;
  const now = c.e.nowMs;
  const candidates: { name: string; facts: FileFacts | InlineFacts }[] = [
    ...c.e.files.filter((f) => f.usage === 'client_cert' && f.type === 'x509').map((f) => ({ name: f.path, facts: f })),
    ...c.e.inline.filter((f) => f.usage === 'client_cert' && f.type === 'x509').map((f) => ({ name: 'the inline tls_config.cert', facts: f })),
  ];
  for (const { name, facts } of candidates) {
    const subject = facts.subject ? ` (${facts.subject})` : '';
    if (facts.expiresMs !== undefined && facts.expiresMs <= now) {
      return {
        summary: `The client certificate ${name}${subject} of job "${c.job}" ${expiredAgo(facts.expiresMs, now)}.`,
        fix: `Renew the client certificate and write it with its key to ${name}; then check why its rotation (cert-manager, your PKI agent) did not happen.`,
      };
    }
    if (facts.notBeforeMs !== undefined && facts.notBeforeMs > now) {
      return {
        summary: `The client certificate ${name}${subject} of job "${c.job}" ${validFrom(facts.notBeforeMs, now)}.`,
        fix: `Check the clocks of this host and of the issuer (NTP), or wait until ${instant(facts.notBeforeMs)}.`,
      };
    }
  }
  return undefined;
}

function emptyFileRule(c: Context): Omit<Diagnosis, 'cause'> | undefined {
  if (!c.failed) return undefined;
  const file = c.e.files.find((f) => TOKEN_USAGES.has(f.usage) && f.readable && f.empty === true);
  if (!file) return undefined;
  const what = USAGE_WORDS[file.usage] ?? 'credential';
  const answered = c.probe.statusCode > 0 ? ` and the target answered ${c.probe.statusCode}` : '';
  return {
    summary: `The ${what} file ${file.path} is empty, so an empty ${what} was sent${answered}.`,
    fix: `Put the ${what} back into ${file.path}: check what writes it (the Secret's key, the agent or job that rotates it).`,
  };
}

/** The bearer token the request sent, when it is a JWT: from its file, or inline in the config. */
function sentJwt(c: Context): { name: string; facts: FileFacts | InlineFacts } | undefined {
  const file = c.e.files.find((f) => f.usage === 'bearer_token' && f.readable && f.type === 'jwt');
  if (file) return { name: `in ${file.path}`, facts: file };
  const inline = c.e.inline.find((f) => f.usage === 'bearer_token' && f.type === 'jwt');
  return inline ? { name: `in the config of job "${c.job}"`, facts: inline } : undefined;
}

function tokenTimeRule(c: Context, which: 'expired' | 'not_yet_valid'): Omit<Diagnosis, 'cause'> | undefined {
  if (c.probe.result !== 'unauthorized') return undefined;
  const jwt = sentJwt(c);
  if (!jwt) return undefined;
  const now = c.e.nowMs;
  const { facts, name } = jwt;
  const subject = facts.subject ? ` (subject ${facts.subject})` : '';
  const isFile = 'path' in facts;
  if (which === 'expired') {
    if (facts.expiresMs === undefined || facts.expiresMs > now) return undefined;
    return {
      summary: `The bearer token ${name}${subject} ${expiredAgo(facts.expiresMs, now)}; the target answered 401.`,
      fix: isFile
        ? `Write a fresh token to ${facts.path} (Prometheus re-reads it at every scrape); for a Kubernetes projected token, check that the kubelet refreshes it (no subPath mount, a healthy kubelet).`
        : `Replace the expired token in job "${c.job}", better with authorization.credentials_file pointing at a file that is rotated.`,
    };
  }
  if (facts.notBeforeMs === undefined || facts.notBeforeMs <= now) return undefined;
  return {
    summary: `The bearer token ${name}${subject} ${validFrom(facts.notBeforeMs, now)}; the target answered 401.`,
    fix: `Check the clocks of this host, the token issuer and the target (NTP): a token is not accepted before its nbf (${instant(facts.notBeforeMs)}).`,
  };
}

/** Whether the request carried any credential: SPEC's list, plus http_headers secrets and files (an API key header). */
function sendsCredentials(c: Context): boolean {
  const j = c.e.job;
  const https = c.e.target.url.startsWith('https:');
  return j.basicAuth || j.authorizationType !== undefined || j.oauth2 || (j.clientCert && https) || j.headerCredentials;
}

function noCredentialsRule(c: Context): Omit<Diagnosis, 'cause'> | undefined {
  if ((c.probe.result !== 'unauthorized' && c.probe.result !== 'forbidden') || sendsCredentials(c)) return undefined;
  return {
    summary: `The target requires authentication (${c.probe.statusCode}) and job "${c.job}" sends no credentials.`,
    fix: `Add the authentication the target expects to job "${c.job}": basic_auth with password_file, authorization with credentials_file (a bearer token), or tls_config cert_file and key_file (mTLS).`,
  };
}

function credentialsKind(c: Context): { what: string; file: FileFacts | undefined } {
  const j = c.e.job;
  if (j.authorizationType !== undefined) {
    return { what: j.authorizationType === 'Bearer' ? 'bearer token' : `${j.authorizationType} credentials`, file: c.e.files.find((f) => f.usage === 'bearer_token') };
  }
  if (j.basicAuth) return { what: 'basic auth password', file: c.e.files.find((f) => f.usage === 'password') };
  if (j.oauth2) return { what: 'oauth2 token', file: undefined };
  if (j.headerCredentials) return { what: 'header credentials', file: c.e.files.find((f) => f.usage === 'header') };
  return { what: 'client certificate', file: c.e.files.find((f) => f.usage === 'client_cert') };
}

function credentialsRejectedRule(c: Context): Omit<Diagnosis, 'cause'> | undefined {
  if (c.probe.result !== 'unauthorized') return undefined;
  const { what, file } = credentialsKind(c);
  const from = file ? ` from ${file.path}` : '';
  const jwt = sentJwt(c)?.facts;
  const who = jwt?.subject ? ` The token is for ${jwt.subject}${jwt.issuer ? `, issued by ${jwt.issuer}` : ''}.` : '';
  return {
    summary: `The target answered 401: it does not accept the ${what} job "${c.job}" sends${from}.${who}`,
    fix: file
      ? `Put a valid ${what} into ${file.path} (it may be stale after a rotation on the target's side, or meant for another target); Prometheus re-reads it at every scrape.`
      : `Set a valid ${what} in job "${c.job}" (better in a file: authorization.credentials_file or basic_auth.password_file).`,
  };
}

function permissionDeniedRule(c: Context): Omit<Diagnosis, 'cause'> | undefined {
  if (c.probe.result !== 'forbidden') return undefined;
  const f = c.probe.forbidden;
  if (f) {
    const p: Permission = { verb: f.verb, resource: f.resource, subresource: f.subresource, group: '' };
    return {
      summary: `The target answered 403: ${f.user} may not ${permissionText(p)}.`,
      fix: `Grant it: add ${clusterRoleRule(p)} to the ClusterRole bound to ${f.user}, then check with ${canICommand(p, f.user)}.`,
    };
  }
  const user = identity(c);
  const denied = c.e.rbac?.denied ?? [];
  if (denied.length > 0) {
    const first = denied[0]!;
    const as = user ?? 'system:serviceaccount:NAMESPACE:SERVICEACCOUNT';
    return {
      summary: `The target answered 403 and the Kubernetes API server says ${user ?? "this pod's service account"} may not ${denied.map(permissionText).join(', ')}.`,
      fix: `Grant it: add ${denied.map(clusterRoleRule).join(' and ')} to the ClusterRole bound to ${as}, then check with ${canICommand(first, as)}.`,
    };
  }
  const as = user ?? 'system:serviceaccount:NAMESPACE:SERVICEACCOUNT';
  return {
    summary: `The target answered 403: the credentials of job "${c.job}" are valid, but ${user ?? 'their identity'} may not read the metrics.`,
    fix: `Grant ${as} read access on the target (or the proxy in front of it); for a kubelet, check ${canICommand({ verb: 'get', resource: 'nodes', subresource: 'metrics' }, as)} and add ${clusterRoleRule({ verb: 'get', resource: 'nodes', subresource: 'metrics', group: '' })} to its ClusterRole.`,
  };
}

/** The Kubernetes identity the job authenticates as: the sent token's `sub`, else the pod's service account. */
function identity(c: Context): string | undefined {
  const sub = sentJwt(c)?.facts.subject;
  if (sub?.startsWith('system:serviceaccount:')) return sub;
  return c.e.rbac?.serviceAccount;
}

function remoteAlert(c: Context): string | undefined {
  if (c.probe.result !== 'tls_error' && c.probe.result !== 'network_error') return undefined;
  return /remote error: tls: ([a-z A-Z]+)$/.exec(c.probe.error ?? '')?.[1];
}

function clientCertRequiredRule(c: Context): Omit<Diagnosis, 'cause'> | undefined {
  const alert = remoteAlert(c);
  if (alert === undefined || !NO_CLIENT_CERT_ALERTS.has(alert) || c.e.job.clientCert) return undefined;
  return {
    summary: `${c.instance} refused the TLS handshake (alert "${alert}"): it wants a client certificate and job "${c.job}" sends none.`,
    fix: `Set tls_config.cert_file and key_file of job "${c.job}" to a client certificate issued by the CA the target trusts for clients.`,
  };
}

function clientCertRejectedRule(c: Context): Omit<Diagnosis, 'cause'> | undefined {
  if (!c.e.job.clientCert) return undefined;
  const alert = remoteAlert(c);
  // Without an alert (a Node.js server drops the connection): the server refuses clients without a certificate,
  // and closed the connection right after the handshake with ours.
  const dropped = alert === undefined && c.probe.result === 'network_error' && c.e.demandsClientCert === true;
  if (!dropped && (alert === undefined || !CLIENT_CERT_REFUSED_ALERTS.has(alert))) return undefined;
  const { cert } = clientCertFiles(c);
  const name = cert?.path ?? 'the inline tls_config.cert';
  const about = cert?.subject ? ` (${cert.subject}${cert.issuer ? `, issued by ${cert.issuer}` : ''})` : '';
  const how = dropped ? 'it closed the connection right after the handshake, and refuses clients without a certificate' : `TLS alert "${alert}"`;
  return {
    summary: `${c.instance} refused the client certificate ${name}${about} of job "${c.job}" (${how}).`,
    fix: `Use a client certificate the target accepts: issued by the CA it trusts for clients, valid now and for client authentication; write it with its key to ${name}.`,
  };
}

function caHint(c: Context): string {
  const j = c.e.job;
  if (j.caFile) return `put the CA that signed the target's certificate into ${j.caFile} (tls_config.ca_file of job "${c.job}")`;
  if (j.caInline) return `put the CA that signed the target's certificate into tls_config.ca of job "${c.job}"`;
  return `set tls_config.ca_file of job "${c.job}" to the CA that signed the target's certificate (the system CAs do not trust it)`;
}

function serverCertUntrustedRule(c: Context): Omit<Diagnosis, 'cause'> | undefined {
  const error = c.probe.error ?? '';
  if (c.probe.result !== 'tls_error' || !/x509: certificate signed by unknown authority|x509: certificate signature is invalid/.test(error)) return undefined;
  return {
    summary: `The certificate ${c.instance} presents is not signed by a CA job "${c.job}" trusts (x509: certificate signed by unknown authority).`,
    fix: `${capitalise(caHint(c))}; do not turn on insecure_skip_verify.`,
  };
}

function serverCertExpiredRule(c: Context): Omit<Diagnosis, 'cause'> | undefined {
  const error = c.probe.error ?? '';
  if (c.probe.result !== 'tls_error' || !error.includes('x509: certificate has expired or is not yet valid')) return undefined;
  const now = c.e.nowMs;
  const expiry = c.probe.tlsCertExpiryMs;
  const notYet = / is before /.test(error);
  const when = notYet ? 'is not valid yet' : expiry !== undefined && expiry <= now ? expiredAgo(expiry, now) : 'has expired';
  return {
    summary: `The certificate ${c.instance} presents ${when}.`,
    fix: notYet
      ? `Check the clocks of the target and of this host (NTP), or the notBefore of the certificate the target was given.`
      : `Renew the target's certificate (check why cert-manager or whoever issues it did not); insecure_skip_verify would only hide it.`,
  };
}

function serverNameRule(c: Context): Omit<Diagnosis, 'cause'> | undefined {
  const error = c.probe.error ?? '';
  if (c.probe.result !== 'tls_error') return undefined;
  const match = /x509: (certificate is valid for .*|cannot validate certificate for .*|certificate is not valid for any names.*|certificate relies on legacy Common Name field.*)$/.exec(error);
  if (!match) return undefined;
  const names = /certificate is valid for (.*), not (\S+)$/.exec(error);
  const host = c.e.job.serverName ?? hostOf(c.e.target.url);
  return {
    summary: names
      ? `The certificate ${c.instance} presents is valid for ${names[1]}, not for ${names[2]}.`
      : `The certificate ${c.instance} presents does not name ${host} (x509: ${shorten(match[1]!)}).`,
    fix: names
      ? `Set tls_config.server_name of job "${c.job}" to one of ${names[1]}, or scrape the target by that name.`
      : `Set tls_config.server_name of job "${c.job}" to a name the target's certificate holds, or have it re-issued with ${host} in its subjectAltName.`,
  };
}

function wrongSchemeRule(c: Context): Omit<Diagnosis, 'cause'> | undefined {
  const error = c.probe.error ?? '';
  const https = c.e.target.url.startsWith('https:');
  if (https && error.includes('http: server gave HTTP response to HTTPS client')) {
    return {
      summary: `${c.instance} answers plain HTTP, but job "${c.job}" uses https.`,
      fix: `Set scheme: http on job "${c.job}" (use http), or turn on TLS on the target.`,
    };
  }
  const tlsReply = /malformed HTTP response "\\x1[56]\\x03/.test(error);
  if (!https && (tlsReply || (c.e.speaksTls === true && (c.probe.result === 'network_error' || c.probe.result === 'http_error')))) {
    return {
      summary: `${c.instance} speaks TLS, but job "${c.job}" uses http.`,
      fix: `Set scheme: https on job "${c.job}" (use https), with tls_config.ca_file naming the CA of the target's certificate.`,
    };
  }
  return undefined;
}

function proxyAuthRule(c: Context): Omit<Diagnosis, 'cause'> | undefined {
  const error = c.probe.error ?? '';
  if (c.probe.result === 'ok' || !(c.probe.statusCode === 407 || /Proxy Authentication Required/i.test(error))) return undefined;
  const proxy = c.e.job.proxy ?? 'the proxy';
  return {
    summary: `The proxy ${proxy} answered 407 Proxy Authentication Required to the probe of ${c.instance}.`,
    fix: `Give job "${c.job}" the proxy's credentials: user and password in proxy_url (http://USER:PASSWORD@${proxy}), or a Proxy-Authorization header in proxy_connect_header.`,
  };
}

function oauth2Rule(c: Context): Omit<Diagnosis, 'cause'> | undefined {
  const error = c.probe.error ?? '';
  if (c.probe.result === 'ok' || !error.includes('oauth2: cannot fetch token')) return undefined;
  const url = c.e.job.oauth2TokenUrl ? ` from ${c.e.job.oauth2TokenUrl}` : '';
  const status = /oauth2: cannot fetch token: (\d{3}(?: [A-Za-z][A-Za-z ]*[a-z])?)/.exec(error)?.[1];
  return {
    summary: `Job "${c.job}" could not get an oauth2 token${url}${status ? ` (${status})` : ''}, so the scrape was not authenticated.`,
    fix: `Check oauth2.client_id, client_secret_file, scopes and token_url of job "${c.job}" with the identity provider; the token endpoint must answer them with an access token.`,
  };
}

function loginPageRule(c: Context): Omit<Diagnosis, 'cause'> | undefined {
  const hint = c.probe.hint;
  if (c.probe.result === 'ok' || hint?.kind !== 'login_page') return undefined;
  const where = hint.url ? ` (${hint.url})` : '';
  if (hint.form === false) {
    return {
      summary: `${c.instance} answered with an HTML page${where} instead of metrics: the page of an SSO or authentication proxy in front of the target, or a web UI on ${c.e.job.metricsPath}.`,
      fix: `If a proxy is in front, scrape the target behind it or give job "${c.job}" credentials it accepts without a browser; else set metrics_path of job "${c.job}" to where the target serves its metrics.`,
    };
  }
  return {
    summary: `${c.instance} answered with a login page${where} instead of metrics: an SSO or authentication proxy is in front of the target.`,
    fix: `Scrape the target behind the proxy directly, give job "${c.job}" credentials the proxy accepts without a browser (e.g. a bearer token), or exempt ${c.e.job.metricsPath} from the proxy's login.`,
  };
}

function resultRule(c: Context, result: ProbeResultKind): Omit<Diagnosis, 'cause'> | undefined {
  if (c.probe.result !== result) return undefined;
  const host = hostOf(c.e.target.url);
  const timeout = c.e.job.timeoutMs !== undefined ? ` (${span(c.e.job.timeoutMs)})` : '';
  switch (result) {
    case 'connection_refused':
      return {
        summary: `Nothing listens on ${c.instance}: the connection was refused.`,
        fix: `Check that the target runs and listens on that port, and that the address in the target list (or service discovery) is right.`,
      };
    case 'timeout':
      return {
        summary: `${c.instance} did not answer within the probe timeout${timeout}.`,
        fix: `Check firewalls and network policies between Prometheus and ${c.instance}, and whether the target is overloaded; raise scrape_timeout only if it is merely slow.`,
      };
    case 'dns_error':
      return {
        summary: `The host name ${host} does not resolve.`,
        fix: `Check the host name in the target list (or service discovery) of job "${c.job}" and the DNS the Prometheus pod uses.`,
      };
    case 'network_error':
      return {
        summary: `The connection to ${c.instance} failed before a complete HTTP answer (see the last error).`,
        fix: `Check the target and whatever is between (load balancer, proxy, network policy); a connection closed right away can also mean the port speaks another protocol.`,
      };
    case 'http_error':
      return httpError(c);
    case 'invalid_response':
      return {
        summary: `${c.instance} answered 200, but the body is not a metrics exposition.`,
        fix: `Check metrics_path (${c.e.job.metricsPath}) of job "${c.job}" and that the port serves Prometheus metrics, not a web page or an API.`,
      };
    case 'tls_error':
      return {
        summary: `The TLS handshake with ${c.instance} failed (see the last error).`,
        fix: `Check tls_config of job "${c.job}" (min_version, max_version, ca_file, cert_file and key_file) against what the target accepts.`,
      };
    default:
      return undefined;
  }
}

function httpError(c: Context): Omit<Diagnosis, 'cause'> {
  const code = c.probe.statusCode;
  if (code === 404) {
    return {
      summary: `${c.instance} answered 404 Not Found for ${c.e.job.metricsPath}.`,
      fix: `Set metrics_path of job "${c.job}" to the path the target serves its metrics on.`,
    };
  }
  if (code >= 300 && code < 400) {
    return {
      summary: `${c.instance} answered a redirect (${code}) that was not followed.`,
      fix: `Scrape the URL it redirects to directly, or set follow_redirects: true on job "${c.job}".`,
    };
  }
  if (code >= 500) {
    return {
      summary: `${c.instance} answered ${code}: the target (or a proxy in front of it) failed.`,
      fix: `Check the target's own logs and health; the credentials were not the problem.`,
    };
  }
  return {
    summary: `${c.instance} answered ${code || 'an unexpected status'} instead of 200.`,
    fix: `Check metrics_path, params and scheme of job "${c.job}" against what the target serves.`,
  };
}

function hostOf(url: string): string {
  try {
    return new URL(url).hostname;
  } catch {
    return url;
  }
}

function dirname(file: string): string {
  const at = file.lastIndexOf('/');
  return at > 0 ? file.slice(0, at) : '/';
}

function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/** Target-given text (a certificate's names) kept to a readable length. */
function shorten(text: string): string {
  return text.length > 200 ? `${text.slice(0, 200)}…` : text;
}
