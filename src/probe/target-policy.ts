// Where a job's credentials may go: the /probe target policy and the rule for following redirects.
//
// /probe takes a target from whoever can reach the port. Without this check, `?module=kubelet&target=http://attacker/`
// hands the attacker Prometheus's service-account token. Every /probe request passes `checkProbeTarget` before a
// byte leaves, and every hop of every probe passes `credentialsAllowedOnHop`: one place for each rule.

/** A URL reduced to what the policy compares: scheme, host (lowercase, IPv6 in brackets, compressed) and port. */
export type Origin = string;

const DEFAULT_PORTS: Record<string, string> = { 'http:': '80', 'https:': '443' };

/** "https://host:443" for any http(s) URL; undefined for anything else. */
export function originOf(url: string | URL): Origin | undefined {
  let u: URL;
  try {
    u = typeof url === 'string' ? new URL(url) : url;
  } catch {
    return undefined;
  }
  const port = DEFAULT_PORTS[u.protocol];
  if (port === undefined) return undefined;
  // WHATWG URL already lowercases the host, brackets and compresses IPv6 and drops a default port; only the
  // port is added back, so "https://h" and "https://h:443" meet.
  return `${u.protocol}//${u.hostname}:${u.port || port}`;
}

export interface TargetPolicyInput {
  /** The job's name, for the reason text. */
  job: string;
  /** The job's scheme (`scheme:` in the config). */
  jobScheme: 'http' | 'https';
  /** The URL the caller asked to probe. */
  url: string;
  /** Origins of the job's own targets: static, file SD and, in sidecar mode, what Prometheus reported. */
  ownOrigins: ReadonlySet<Origin>;
  /** `probe: { allow_any_target: true }` on the job or `--probe.allow-any-target`. */
  allowAnyTarget: boolean;
}

export type PolicyDecision = { ok: true } | { ok: false; reason: string };

/**
 * May /probe send this job's credentials to this URL? Only to one of the job's own targets (same scheme, host and
 * port), unless the operator opted in; and never over plain HTTP for an https job, opted in or not.
 */
export function checkProbeTarget(input: TargetPolicyInput): PolicyDecision {
  const origin = originOf(input.url);
  if (origin === undefined) return { ok: false, reason: 'target is not an http(s) URL' };
  if (input.ownOrigins.has(origin)) return { ok: true };
  if (!input.allowAnyTarget) {
    return {
      ok: false,
      reason: `target ${origin} is not one of the targets of job "${input.job}" (same scheme, host and port); set probe.allow_any_target on the job or run with --probe.allow-any-target to probe any target`,
    };
  }
  if (input.jobScheme === 'https' && origin.startsWith('http:')) {
    return { ok: false, reason: `job "${input.job}" uses https: its credentials are never sent over plain http` };
  }
  return { ok: true };
}

/**
 * May a request of a redirect chain that started at `first` carry credentials to `hop`? Only to the same host and
 * port, and never from https down to http (Go keeps them on a same-host downgrade; SPEC does not).
 */
export function credentialsAllowedOnHop(first: URL, hop: URL): boolean {
  if (hop.host !== first.host) return false;
  return !(first.protocol === 'https:' && hop.protocol === 'http:');
}
