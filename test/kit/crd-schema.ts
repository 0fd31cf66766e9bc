// Validates a custom resource against the openAPIV3Schema of its CRD, strictly: an unknown field is an error, as
// `kubectl apply` (server-side field validation "Strict", kubectl's default) makes it.
import { Ajv, type ErrorObject } from 'ajv';
import { readFileSync } from 'node:fs';
import { parseAllDocuments } from 'yaml';

interface CrdVersion {
  name: string;
  served: boolean;
  schema: { openAPIV3Schema: Schema };
}
type Schema = { [key: string]: unknown };

/**
 * Kubernetes prunes or refuses fields a structural schema does not list; JSON Schema allows them. Closing every object
 * that lists its properties (and does not opt out with x-kubernetes-preserve-unknown-fields) gives Kubernetes's rule.
 */
export function closeObjects(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(closeObjects);
  if (schema === null || typeof schema !== 'object') return schema;
  const out: Schema = {};
  for (const [key, value] of Object.entries(schema as Schema)) {
    // The values of `properties` are schemas by name, not a schema: close each one, keep the names.
    out[key] = key === 'properties' ? Object.fromEntries(Object.entries(value as Schema).map(([k, v]) => [k, closeObjects(v)])) : closeObjects(value);
  }
  if (out['properties'] !== undefined && out['additionalProperties'] === undefined && out['x-kubernetes-preserve-unknown-fields'] !== true) {
    out['additionalProperties'] = false;
  }
  return out;
}

/**
 * Kubernetes checks `pattern` with Go's regexp, whose `(?i)` (case-insensitive from there on) JavaScript does not
 * accept; the CRDs put it at the start (`^(?i)(abort|warn)?$`), so it becomes the `i` flag. They use no other
 * Go-only syntax.
 */
function goRegExp(pattern: string, flags: string): RegExp {
  const insensitive = pattern.includes('(?i)');
  return new RegExp(pattern.replaceAll('(?i)', ''), insensitive ? `${flags}i` : flags);
}
goRegExp.code = 'goRegExp';

export interface CrdValidator {
  kind: string;
  group: string;
  version: string;
  /** Empty when valid; otherwise one line per problem, with its JSON pointer. */
  validate(resource: unknown): string[];
}

export function loadCrdValidator(file: string, version = 'v1'): CrdValidator {
  const crd = parseAllDocuments(readFileSync(file, 'utf8'))
    .map((d) => d.toJS() as { kind?: string; spec?: { group: string; names: { kind: string }; versions: CrdVersion[] } } | null)
    .find((d) => d?.kind === 'CustomResourceDefinition');
  if (!crd?.spec) throw new Error(`${file} holds no CustomResourceDefinition`);
  const served = crd.spec.versions.find((v) => v.name === version);
  if (!served) throw new Error(`${file} has no version ${version}`);
  // strict: false — the schema carries Kubernetes's own x-kubernetes-* keywords and formats such as int32.
  const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: false, code: { regExp: goRegExp } });
  const check = ajv.compile(closeObjects(served.schema.openAPIV3Schema) as Schema);
  const describe = (e: ErrorObject) =>
    `${e.instancePath || '/'} ${e.message ?? 'is invalid'}${e.keyword === 'additionalProperties' ? `: ${String((e.params as { additionalProperty: string }).additionalProperty)}` : ''}`;
  return {
    kind: crd.spec.names.kind,
    group: crd.spec.group,
    version,
    validate: (resource) => (check(resource) ? [] : (check.errors ?? []).map(describe)),
  };
}
