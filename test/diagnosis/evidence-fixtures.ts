// Builders for diagnosis inputs: a probe's facts and the evidence, with defaults a test overrides field by field.
import type { ProbeFacts } from '../../src/diagnosis/diagnose.js';
import type { DiagnosisEvidence, FileFacts, JobFacts } from '../../src/diagnosis/evidence.js';

export const NOW = Date.parse('2026-11-30T10:00:00Z');

export function file(fields: Partial<FileFacts> & Pick<FileFacts, 'path' | 'usage'>): FileFacts {
  return {
    field: fields.usage === 'bearer_token' ? 'authorization.credentials_file' : fields.usage === 'password' ? 'basic_auth.password_file' : `tls_config.${fields.usage}_file`,
    observed: true,
    exists: true,
    readable: true,
    problem: undefined,
    empty: false,
    type: 'opaque',
    subject: undefined,
    issuer: undefined,
    expiresMs: undefined,
    notBeforeMs: undefined,
    ...fields,
  };
}

export function jobFacts(fields: Partial<JobFacts> = {}): JobFacts {
  return {
    name: 'app',
    metricsPath: '/metrics',
    basicAuth: false,
    authorizationType: 'Bearer',
    oauth2: false,
    oauth2TokenUrl: undefined,
    clientCert: false,
    headerCredentials: false,
    caFile: undefined,
    caInline: false,
    serverName: undefined,
    proxy: undefined,
    timeoutMs: 10_000,
    ...fields,
  };
}

export function evidence(fields: Partial<DiagnosisEvidence> = {}, url = 'https://10.0.0.8:9000/metrics'): DiagnosisEvidence {
  return {
    target: { job: 'app', instance: new URL(url).host, url },
    job: jobFacts(),
    files: [file({ path: '/etc/prometheus/secrets/token', usage: 'bearer_token' })],
    inline: [],
    clientCertKeyMatch: undefined,
    rbac: undefined,
    speaksTls: undefined,
    nowMs: NOW,
    ...fields,
  };
}

export function probe(fields: Partial<ProbeFacts> = {}): ProbeFacts {
  return { result: 'ok', statusCode: 200, error: undefined, ...fields };
}

export const STATUS = {
  unauthorized: probe({ result: 'unauthorized', statusCode: 401, error: 'server returned HTTP status 401 Unauthorized' }),
  forbidden: probe({ result: 'forbidden', statusCode: 403, error: 'server returned HTTP status 403 Forbidden' }),
};
