// Small, pure text helpers for diagnoses: spans of time, instants, RBAC rules and commands.

/** "3h12m", "2d4h", "45s": the two largest units, as a person says how long ago something was. */
export function span(ms: number): string {
  return twoLargestUnits(Math.round(Math.abs(ms) / 1000)).join('');
}

const UNITS: [string, number][] = [
  ['d', 86400],
  ['h', 3600],
  ['m', 60],
  ['s', 1],
];

/** Whole seconds as the two largest units that are not zero: ["3h", "12m"], ["2d"], ["45s"], ["0s"]. */
export function twoLargestUnits(seconds: number): string[] {
  let rest = Math.max(0, Math.floor(seconds));
  const parts: string[] = [];
  for (const [name, size] of UNITS) {
    const n = Math.floor(rest / size);
    rest -= n * size;
    // The second unit only when the first was shown, and never a zero one ("3h", not "3h0m").
    if (n > 0) parts.push(`${n}${name}`);
    else if (parts.length > 0) break;
    if (parts.length === 2) break;
  }
  return parts.length > 0 ? parts : ['0s'];
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
