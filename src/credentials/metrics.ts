// The credential metrics of SPEC, built from the watcher's current state at every scrape, so removed files vanish.
import { Counter, Gauge, type MetricObjectWithValues, type MetricValue, type Registry } from 'prom-client';
import type { FileUse } from './plan.js';
import type { FileState } from './state.js';

export interface WatchedFileView {
  path: string;
  labels: Record<string, string>;
  uses: readonly FileUse[];
  state: FileState;
}

export interface CredentialMetricsSource {
  files(): Iterable<WatchedFileView>;
  keyMatches(): Iterable<{ job: string; match: boolean }>;
  /** Unix ms; age is computed against it at scrape time. */
  now(): number;
}

type Labels = Record<string, string>;
interface Sample {
  labels: Labels;
  value: number;
}

/** One family per name; values come from `samples` when scraped, never from stored children. */
function family(kind: 'gauge' | 'counter', registry: Registry, name: string, help: string, samples: () => Sample[]): void {
  const metric = kind === 'gauge' ? new Gauge({ name, help, registers: [] }) : new Counter({ name, help, registers: [] });
  metric.get = async () => ({ name: (metric as unknown as { name: string }).name, help, type: kind, aggregator: 'sum', collect: () => undefined, values: samples() }) as unknown as MetricObjectWithValues<MetricValue<string>>;
  registry.registerMetric(metric);
}

const seconds = (ms: number) => ms / 1000;

export function registerCredentialMetrics(registry: Registry, source: CredentialMetricsSource): void {
  /** One sample per file for which `value` is defined, labelled `path` plus the entry's labels. */
  const perFile = (value: (s: FileState) => number | undefined, extra?: (f: WatchedFileView) => Labels | undefined) => (): Sample[] => {
    const out: Sample[] = [];
    for (const f of source.files()) {
      if (!f.state.observed) continue;
      const v = value(f.state);
      if (v === undefined) continue;
      const more = extra ? extra(f) : {};
      if (more === undefined) continue;
      out.push({ labels: { path: f.path, ...f.labels, ...more }, value: v });
    }
    return out;
  };
  const bool = (b: boolean | undefined) => (b === undefined ? undefined : b ? 1 : 0);
  // What the content says is shown only while it can be read now: a stale expiry would mislead.
  const inspected = (read: (i: NonNullable<FileState['inspection']>) => number | undefined) => (s: FileState) =>
    s.readable && s.inspection ? read(s.inspection) : undefined;
  const typeLabel = (f: WatchedFileView): Labels => ({ type: f.state.inspection?.type ?? 'opaque' });

  const p = 'scrape_auth_credential';
  family('gauge', registry, `${p}_file_exists`, 'Whether the credential file exists (a dangling symlink does not).', perFile((s) => bool(s.exists)));
  family('gauge', registry, `${p}_file_readable`, 'Whether this process could open and read the credential file.', perFile((s) => bool(s.readable)));
  family('gauge', registry, `${p}_file_size_bytes`, 'Size of the credential file in bytes.', perFile((s) => s.sizeBytes));
  family('gauge', registry, `${p}_file_modified_timestamp_seconds`, 'Modification time (mtime) of the credential file.', perFile((s) => opt(s.modifiedMs, seconds)));
  family(
    'gauge',
    registry,
    `${p}_file_age_seconds`,
    'Seconds since the credential file was last modified, computed at scrape time.',
    perFile((s) => opt(s.modifiedMs, (m) => Math.max(0, seconds(source.now() - m)))),
  );
  family(
    'gauge',
    registry,
    `${p}_file_world_readable`,
    'Whether users other than the owner and group may read the credential file (0640 or stricter is 0).',
    perFile((s) => opt(s.mode, (m) => (m & 0o004 ? 1 : 0))),
  );
  family('gauge', registry, `${p}_file_empty`, 'Whether the credential file is empty after trimming white space.', perFile((s) => bool(s.empty)));
  family('counter', registry, `${p}_file_changes_total`, 'Content changes (rotations) seen in the credential file; a touch is not counted.', perFile((s) => s.changes));
  family(
    'gauge',
    registry,
    `${p}_file_last_change_timestamp_seconds`,
    'When the content of the credential file last changed (its mtime when first seen).',
    perFile((s) => opt(s.lastChangeMs, seconds)),
  );
  family(
    'gauge',
    registry,
    `${p}_expiry_timestamp_seconds`,
    'When the credential expires: JWT exp or the earliest X.509 notAfter in the file.',
    perFile(inspected((i) => opt(i.expiresMs, seconds)), typeLabel),
  );
  family(
    'gauge',
    registry,
    `${p}_issued_timestamp_seconds`,
    'When the credential was issued: JWT iat or X.509 notBefore.',
    perFile(inspected((i) => opt(i.issuedMs, seconds)), typeLabel),
  );
  family(
    'gauge',
    registry,
    `${p}_refresh_due_timestamp_seconds`,
    'Kubernetes projected service-account token: when the kubelet should have replaced it (kubernetes.io warnafter).',
    perFile(inspected((i) => opt(i.refreshDueMs, seconds)), typeLabel),
  );
  family(
    'gauge',
    registry,
    `${p}_info`,
    'What the credential file holds: type jwt, x509, private_key or opaque; subject and issuer where they are not secret.',
    perFile(inspected(() => 1), (f) => ({ type: f.state.inspection?.type ?? 'opaque', subject: f.state.inspection?.subject ?? '', issuer: f.state.inspection?.issuer ?? '' })),
  );
  family('gauge', registry, `${p}_usage_info`, 'A scrape job uses this credential file, for usage bearer_token, username, password, client_cert, client_key, ca or header.', () => {
    const out: Sample[] = [];
    for (const f of source.files()) {
      for (const use of f.uses) out.push({ labels: { path: f.path, ...f.labels, scrape_job: use.job, usage: use.usage }, value: 1 });
    }
    return out;
  });
  family('gauge', registry, 'scrape_auth_client_cert_key_match', "Whether the job's client certificate and private key belong together.", () =>
    [...source.keyMatches()].map(({ job, match }) => ({ labels: { scrape_job: job }, value: match ? 1 : 0 })),
  );
}

function opt(value: number | undefined, f: (v: number) => number): number | undefined {
  return value === undefined ? undefined : f(value);
}
