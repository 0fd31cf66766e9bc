// Reads the missing permission out of a 403 body as the kubelet and kube-rbac-proxy write it.

/** How much of a 403 body is searched for the `Forbidden (…)` line. */
export const MAX_FORBIDDEN_SCAN_CHARS = 4096;
/** `user, verb, resource, subresource` or `url`, plus room for a field or two a newer proxy may add. */
const MAX_FORBIDDEN_FIELDS = 16;

/** A Kubernetes name (DNS subdomain) is at most 253 characters; a label value longer than that is not one. */
export const MAX_FORBIDDEN_FIELD_LENGTH = 253;

/**
 * What a user name (system:serviceaccount:ns:name, an e-mail), a verb, a resource or a non-resource URL
 * (kube-rbac-proxy's url=/metrics) looks like. A base64 blob with "+" or "=", a "Bearer …" with a space, a
 * 60 KB string: not a Kubernetes name, so not a label value Prometheus should store.
 */
const KUBERNETES_NAME = /^[A-Za-z0-9:._@/-]*$/;

export interface ForbiddenInfo {
  user: string;
  verb: string;
  resource: string;
  subresource: string;
}

/**
 * `Forbidden (user=system:serviceaccount:monitoring:prometheus, verb=get, resource=nodes, subresource=metrics)`
 * (kubelet, kube-rbac-proxy for resource attributes) or `Forbidden (user=…, verb=get, url=/metrics)`
 * (kube-rbac-proxy for a non-resource URL: the URL is reported as the resource).
 */
export function parseForbidden(body: string): ForbiddenInfo | undefined {
  // The kubelet's line is ~150 bytes at the top of the body; only a bounded head is searched.
  const match = /Forbidden \(([^()\n]{0,1024})\)/.exec(body.slice(0, MAX_FORBIDDEN_SCAN_CHARS));
  if (!match) return undefined;
  const fields = new Map<string, string>();
  for (const part of match[1]!.split(',', MAX_FORBIDDEN_FIELDS)) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    fields.set(part.slice(0, eq).trim(), part.slice(eq + 1).trim());
  }
  const user = fields.get('user');
  const verb = fields.get('verb');
  const resource = fields.get('resource') ?? fields.get('url');
  if (user === undefined || verb === undefined || resource === undefined) return undefined;
  const info = { user, verb, resource, subresource: fields.get('subresource') ?? '' };
  return validForbidden(info) ? info : undefined;
}

/** Every field looks like a Kubernetes name (bounded length, a name's characters) and user, verb, resource are set. */
export function validForbidden(info: ForbiddenInfo): boolean {
  const fields = [info.user, info.verb, info.resource, info.subresource];
  if (info.user === '' || info.verb === '' || info.resource === '') return false;
  return fields.every((f) => f.length <= MAX_FORBIDDEN_FIELD_LENGTH && KUBERNETES_NAME.test(f));
}
