// The status as the JSON API answers it and the page renders it: plain data, times as RFC 3339, no secrets.
import { CAUSES, type Cause } from '../diagnosis/causes.js';
import { PROBE_RESULTS, type CredentialFileStatus, type ProbeResultKind, type StatusSources, type TargetStatus } from '../status/types.js';

/** A target's result, or "pending" until its first probe has finished. */
export type ResultFilterValue = ProbeResultKind | 'pending';
export const RESULT_FILTER_VALUES: readonly ResultFilterValue[] = [...PROBE_RESULTS, 'pending'];

/** A target's cause, or "pending" until its first probe has been diagnosed. */
export type CauseFilterValue = Cause | 'pending';
export const CAUSE_FILTER_VALUES: readonly CauseFilterValue[] = [...CAUSES, 'pending'];

/** The config's reload state, as scrape_auth_config_last_reload_* say it. */
export interface ConfigStatus {
  file: string;
  lastReloadSuccessful: boolean;
  /** Unix milliseconds of the last successful load; undefined before the first. */
  lastReloadSuccessMs: number | undefined;
}

export interface TargetView {
  job: string;
  instance: string;
  url: string;
  labels: Record<string, string>;
  result: ResultFilterValue;
  statusCode: number | null;
  lastError: string | null;
  lastProbe: string | null;
  lastProbeAgeSeconds: number | null;
  durationSeconds: number | null;
  authEnforced: boolean | null;
  unauthenticatedStatusCode: number | null;
  forbidden: { user: string; verb: string; resource: string; subresource: string } | null;
  tlsCertExpiry: string | null;
  tlsCertExpiresInSeconds: number | null;
  /** The cause of the result and what to do about it; null until the first probe was diagnosed. */
  diagnosis: { cause: string; summary: string; fix: string } | null;
}

export interface CredentialFileView {
  path: string;
  labels: Record<string, string>;
  exists: boolean;
  readable: boolean;
  problem: string | null;
  sizeBytes: number | null;
  modified: string | null;
  ageSeconds: number | null;
  empty: boolean | null;
  worldReadable: boolean | null;
  type: string | null;
  subject: string | null;
  issuer: string | null;
  expires: string | null;
  expiresInSeconds: number | null;
  issued: string | null;
  refreshDue: string | null;
  rotations: number;
  lastChange: string | null;
  lastChangeAgeSeconds: number | null;
  usedBy: { job: string; usage: string }[];
}

export interface StatusData {
  generatedAt: string;
  config: { file: string; lastReloadSuccessful: boolean; lastReloadSuccessTimestamp: string | null };
  /** Targets per result before filtering, every result present (0 when none). */
  resultCounts: Record<ResultFilterValue, number>;
  /** The results asked for with ?result=; empty means all. */
  filter: ResultFilterValue[];
  /** Targets per cause before filtering, every cause present (0 when none). */
  causeCounts: Record<CauseFilterValue, number>;
  /** The causes asked for with ?cause=; empty means all. */
  causeFilter: CauseFilterValue[];
  targets: TargetView[];
  credentialFiles: CredentialFileView[];
}

export type FilterParse<T = ResultFilterValue> = { ok: true; filter: T[] } | { ok: false; error: string };

/** `?result=unauthorized&result=forbidden` or `?result=unauthorized,forbidden`. */
export function parseResultFilter(query: unknown): FilterParse {
  return parseFilter(query, 'result', RESULT_FILTER_VALUES);
}

/** `?cause=token_expired&cause=permission_denied` or `?cause=token_expired,permission_denied`. */
export function parseCauseFilter(query: unknown): FilterParse<CauseFilterValue> {
  return parseFilter(query, 'cause', CAUSE_FILTER_VALUES);
}

function parseFilter<T extends string>(query: unknown, name: string, allowed: readonly T[]): FilterParse<T> {
  const raw = query === undefined ? [] : Array.isArray(query) ? query : [query];
  const values: T[] = [];
  for (const item of raw) {
    if (typeof item !== 'string') return { ok: false, error: `${name} must be a ${name} name` };
    for (const part of item.split(',')) {
      const value = part.trim();
      if (value === '') continue;
      if (!(allowed as readonly string[]).includes(value)) {
        return { ok: false, error: `unknown ${name} ${JSON.stringify(value.slice(0, 64))}: expected one of ${allowed.join(', ')}` };
      }
      if (!values.includes(value as T)) values.push(value as T);
    }
  }
  return { ok: true, filter: values };
}

export function causeOf(t: TargetView): CauseFilterValue {
  return (t.diagnosis?.cause as Cause | undefined) ?? 'pending';
}

export function buildStatus(sources: StatusSources, config: ConfigStatus, filter: ResultFilterValue[], nowMs: number, causeFilter: CauseFilterValue[] = []): StatusData {
  const all = sources.targets().map((t) => targetView(t, nowMs));
  const resultCounts = Object.fromEntries(RESULT_FILTER_VALUES.map((r) => [r, 0])) as Record<ResultFilterValue, number>;
  const causeCounts = Object.fromEntries(CAUSE_FILTER_VALUES.map((c) => [c, 0])) as Record<CauseFilterValue, number>;
  for (const t of all) {
    resultCounts[t.result]++;
    causeCounts[causeOf(t)]++;
  }
  const targets = all.filter((t) => (filter.length === 0 || filter.includes(t.result)) && (causeFilter.length === 0 || causeFilter.includes(causeOf(t))));
  return {
    generatedAt: new Date(nowMs).toISOString(),
    config: {
      file: config.file,
      lastReloadSuccessful: config.lastReloadSuccessful,
      lastReloadSuccessTimestamp: iso(config.lastReloadSuccessMs),
    },
    resultCounts,
    filter,
    causeCounts,
    causeFilter,
    targets,
    credentialFiles: sources.credentials().map((c) => credentialView(c, nowMs)),
  };
}

function targetView(t: TargetStatus, nowMs: number): TargetView {
  return {
    job: t.job,
    instance: t.instance,
    url: redactUserinfo(t.url),
    labels: { ...t.labels },
    result: t.result ?? 'pending',
    statusCode: t.statusCode ?? null,
    lastError: t.lastError === undefined ? null : redactUserinfo(t.lastError),
    lastProbe: iso(t.lastProbeMs),
    lastProbeAgeSeconds: secondsBetween(t.lastProbeMs, nowMs),
    durationSeconds: t.durationSeconds ?? null,
    authEnforced: t.authEnforced ?? null,
    unauthenticatedStatusCode: t.unauthenticatedStatusCode ?? null,
    forbidden: t.forbidden ? { ...t.forbidden } : null,
    tlsCertExpiry: iso(t.tlsCertExpiryMs),
    tlsCertExpiresInSeconds: secondsBetween(nowMs, t.tlsCertExpiryMs),
    // Built only from facts that are not secret (src/diagnosis); the userinfo lock applies here too.
    diagnosis: t.diagnosis
      ? { cause: t.diagnosis.cause, summary: redactUserinfo(t.diagnosis.summary), fix: redactUserinfo(t.diagnosis.fix) }
      : null,
  };
}

function credentialView(c: CredentialFileStatus, nowMs: number): CredentialFileView {
  return {
    path: c.path,
    labels: { ...c.labels },
    exists: c.exists,
    readable: c.readable,
    problem: c.problem ?? null,
    sizeBytes: c.sizeBytes ?? null,
    modified: iso(c.modifiedMs),
    ageSeconds: secondsBetween(c.modifiedMs, nowMs),
    empty: c.empty ?? null,
    worldReadable: c.worldReadable ?? null,
    type: c.type ?? null,
    subject: c.subject ?? null,
    issuer: c.issuer ?? null,
    expires: iso(c.expiresMs),
    expiresInSeconds: secondsBetween(nowMs, c.expiresMs),
    issued: iso(c.issuedMs),
    refreshDue: iso(c.refreshDueMs),
    rotations: c.changes,
    lastChange: iso(c.lastChangeMs),
    lastChangeAgeSeconds: secondsBetween(c.lastChangeMs, nowMs),
    usedBy: c.usedBy.map((u) => ({ ...u })),
  };
}

/**
 * Removes `user:password@` from any URL in the text. The producers already strip it; this is the second lock,
 * because the page and the API are the places a leaked credential would be seen by the most people.
 */
export function redactUserinfo(text: string): string {
  return text.replace(/([a-zA-Z][a-zA-Z0-9+.-]*:\/\/)[^/?#@\s]*@/g, '$1');
}

function iso(ms: number | undefined): string | null {
  return ms === undefined || !Number.isFinite(ms) ? null : new Date(ms).toISOString();
}

function secondsBetween(fromMs: number | undefined, toMs: number | undefined): number | null {
  if (fromMs === undefined || toMs === undefined || !Number.isFinite(fromMs) || !Number.isFinite(toMs)) return null;
  return Math.round((toMs - fromMs) / 100) / 10;
}
