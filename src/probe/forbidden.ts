// Reads the missing permission out of a 403 body as the kubelet and kube-rbac-proxy write it.

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
  const match = /Forbidden \(([^()\n]*)\)/.exec(body);
  if (!match) return undefined;
  const fields = new Map<string, string>();
  for (const part of match[1]!.split(',')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    fields.set(part.slice(0, eq).trim(), part.slice(eq + 1).trim());
  }
  const user = fields.get('user');
  const verb = fields.get('verb');
  const resource = fields.get('resource') ?? fields.get('url');
  if (user === undefined || verb === undefined || resource === undefined) return undefined;
  return { user, verb, resource, subresource: fields.get('subresource') ?? '' };
}
