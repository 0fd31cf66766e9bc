// The status as the JSON API answers it and the page renders it: plain data, times as RFC 3339, no secrets.
import { PROBE_RESULTS, type CredentialFileStatus, type ProbeResultKind, type StatusSources, type TargetStatus } from '../status/types.js';

/** A target's result, or "pending" until its first probe has finished. */
export type ResultFilterValue = ProbeResultKind | 'pending';
export const RESULT_FILTER_VALUES: readonly ResultFilterValue[] = [...PROBE_RESULTS, 'pending'];

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
  targets: TargetView[];
  credentialFiles: CredentialFileView[];
}

export type FilterParse = { ok: true; filter: ResultFilterValue[] } | { ok: false; error: string };

/** `?result=unauthorized&result=forbidden` or `?result=unauthorized,forbidden`. */
export function parseResultFilter(query: unknown): FilterParse {
  const raw = query === undefined ? [] : Array.isArray(query) ? query : [query];
  const values: ResultFilterValue[] = [];
  for (const item of raw) {
    if (typeof item !== 'string') return { ok: false, error: 'result must be a result name' };
    for (const part of item.split(',')) {
      const value = part.trim();
      if (value === '') continue;
      if (!(RESULT_FILTER_VALUES as readonly string[]).includes(value)) {
        return { ok: false, error: `unknown result ${JSON.stringify(value.slice(0, 64))}: expected one of ${RESULT_FILTER_VALUES.join(', ')}` };
      }
      if (!values.includes(value as ResultFilterValue)) values.push(value as ResultFilterValue);
    }
  }
  return { ok: true, filter: values };
}

export function buildStatus(sources: StatusSources, config: ConfigStatus, filter: ResultFilterValue[], nowMs: number): StatusData {
  const all = sources.targets().map((t) => targetView(t, nowMs));
  const resultCounts = Object.fromEntries(RESULT_FILTER_VALUES.map((r) => [r, 0])) as Record<ResultFilterValue, number>;
  for (const t of all) resultCounts[t.result]++;
  const targets = filter.length === 0 ? all : all.filter((t) => filter.includes(t.result));
  return {
    generatedAt: new Date(nowMs).toISOString(),
    config: {
      file: config.file,
      lastReloadSuccessful: config.lastReloadSuccessful,
      lastReloadSuccessTimestamp: iso(config.lastReloadSuccessMs),
    },
    resultCounts,
    filter,
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
