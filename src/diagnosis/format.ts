// Small, pure text helpers for diagnoses: spans of time, instants, RBAC rules and commands.

/** "3h12m", "2d4h", "45s": the two largest units, as a person says how long ago something was. */
export function span(ms: number): string {
  const total = Math.max(0, Math.round(Math.abs(ms) / 1000));
  const units: [string, number][] = [
    ['d', 86400],
    ['h', 3600],
    ['m', 60],
    ['s', 1],
  ];
  const parts: string[] = [];
  let rest = total;
  for (const [name, size] of units) {
    const n = Math.floor(rest / size);
    rest -= n * size;
    if (n > 0 || parts.length > 0) parts.push(`${n}${name}`);
    if (parts.length === 2) break;
  }
  const text = parts.filter((p, i) => i === 0 || !p.startsWith('0')).join('');
  return text === '' ? '0s' : text;
}

/** RFC 3339 to the second, as Go prints times in x509 errors: 2026-11-30T07:19:00Z. */
export function instant(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

/** "expired 3h12m ago, at 2026-…Z" / "expires in 5m, at …" */
export function expiredAgo(expiresMs: number, nowMs: number): string {
  return `expired ${span(nowMs - expiresMs)} ago, at ${instant(expiresMs)}`;
}

export function validFrom(notBeforeMs: number, nowMs: number): string {
  return `is not valid until ${instant(notBeforeMs)}, ${span(notBeforeMs - nowMs)} from now`;
}

export interface Permission {
  verb: string;
  /** A resource ("nodes"), or a non-resource URL ("/metrics"), as kube-rbac-proxy reports it. */
  resource: string;
  subresource: string;
  group?: string;
}

function resourceName(p: Permission): string {
  return p.subresource ? `${p.resource}/${p.subresource}` : p.resource;
}

/** The kubectl command that shows whether `user` may do it. */
export function canICommand(p: Permission, user: string): string {
  return `kubectl auth can-i ${p.verb} ${resourceName(p)} --as=${user}`;
}

/** The ClusterRole rule that grants it, on one line of YAML. */
export function clusterRoleRule(p: Permission): string {
  if (p.resource.startsWith('/')) return `{nonResourceURLs: ["${p.resource}"], verbs: ["${p.verb}"]}`;
  return `{apiGroups: ["${p.group ?? ''}"], resources: ["${resourceName(p)}"], verbs: ["${p.verb}"]}`;
}

/** "get nodes/metrics" */
export function permissionText(p: Permission): string {
  return `${p.verb} ${resourceName(p)}`;
}
