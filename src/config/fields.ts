// Walks a YAML value along its zod schema before validation: strings as Go reads them, and the unknown fields.
import type { z } from 'zod';
import { alsoKnownOf, nearestKnownKey } from './schema.js';

export type PathSegment = string | number;

export interface UnknownField {
  /** Key path of the mapping that holds the field. */
  at: PathSegment[];
  key: string;
  /** The keys known at that place, modelled or accepted-and-ignored. */
  known: readonly string[];
  /** The nearest known key and its edit distance. */
  nearest: { key: string; edits: number } | undefined;
}

/** What to do with an unknown field: keep it (the strict schema refuses it, with "did you mean") or drop it. */
export type UnknownFieldAction = 'keep' | 'drop';

interface Def {
  type: string;
  innerType?: Schema;
  in?: Schema;
  out?: Schema;
  shape?: Record<string, Schema>;
  element?: Schema;
  valueType?: Schema;
}
type Schema = { _zod: { def: Def } };

/** Peels optional/default/pipe layers off a schema, collecting what every layer knows besides its shape. */
function unwrap(schema: Schema): { schema: Schema; alsoKnown: readonly string[] } {
  let current = schema;
  let alsoKnown: readonly string[] = alsoKnownOf(current);
  for (let i = 0; i < 32; i++) {
    const def = current._zod.def;
    let next: Schema | undefined;
    if (['optional', 'nullable', 'default', 'prefault', 'catch', 'readonly', 'nonoptional'].includes(def.type)) next = def.innerType;
    // A transform's input is what the YAML must look like; a preprocess (transform first) validates its output.
    else if (def.type === 'pipe') next = def.in?._zod.def.type === 'transform' ? def.out : def.in;
    if (!next) break;
    current = next;
    alsoKnown = [...alsoKnown, ...alsoKnownOf(current)];
  }
  return { schema: current, alsoKnown };
}

function expectsString(schema: Schema): boolean {
  const type = unwrap(schema).schema._zod.def.type;
  return type === 'string' || type === 'enum' || type === 'literal' || type === 'template_literal';
}

const isMapping = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v) && !(v instanceof Date);

/**
 * Prepares `value` (from goYamlValue) for `schema`, in place:
 * - where the schema wants a string and YAML 1.1 read a number, boolean or date, the text as written goes in
 *   (yaml.v2 decodes `password: 0123` into a Go string as "0123");
 * - every key the schema does not know at its place is passed to `onUnknown`, which keeps or drops it;
 * - a known field (or a map entry) whose value is null or an empty string is removed: unset, as in Go
 *   (`tls_config:` left empty is no TLS config; `password: ""` beside `password_file` is not "both");
 * - with `dropAlsoKnown`, keys a schema knows without modelling them (withAlsoKnown) are removed.
 */
export function prepareFields(
  value: unknown,
  texts: WeakMap<object, Map<string | number, string>>,
  schema: z.ZodType,
  onUnknown: (field: UnknownField) => UnknownFieldAction = () => 'keep',
  /** Drop the keys a schema accepts without modelling them (they change nothing here), instead of keeping them. */
  dropAlsoKnown = false,
): void {
  const visit = (node: unknown, s: Schema, at: PathSegment[]): void => {
    const { schema: inner, alsoKnown } = unwrap(s);
    const def = inner._zod.def;
    const child = (holder: Record<string, unknown> | unknown[], key: string | number, childSchema: Schema) => {
      const v = (holder as Record<string | number, unknown>)[key];
      const scalar = v !== null && typeof v !== 'string' && (typeof v !== 'object' || v instanceof Date);
      if (scalar && expectsString(childSchema)) {
        const text = texts.get(holder)?.get(key);
        if (text !== undefined) (holder as Record<string | number, unknown>)[key] = text;
      } else if (v !== null && typeof v === 'object') {
        visit(v, childSchema, [...at, key]);
      }
    };
    if (def.type === 'object' && def.shape && isMapping(node)) {
      const shape = def.shape;
      for (const key of Object.keys(node)) {
        if (Object.hasOwn(shape, key)) {
          // A known field with no value (`tls_config:`) or an empty string is unset, as Go leaves it;
          // an unknown key stays an unknown key whatever its value (yaml.v2's strict mode refuses it).
          if (node[key] === null || node[key] === '') delete node[key];
          else child(node, key, shape[key]!);
          continue;
        }
        if (alsoKnown.includes(key)) {
          if (dropAlsoKnown) delete node[key];
          continue;
        }
        const known = [...Object.keys(shape), ...alsoKnown];
        if (onUnknown({ at, key, known, nearest: nearestKnownKey(key, known) }) === 'drop') delete node[key];
      }
    } else if (def.type === 'record' && def.valueType && isMapping(node)) {
      for (const key of Object.keys(node)) {
        if (node[key] === null || node[key] === '') delete node[key];
        else child(node, key, def.valueType);
      }
    } else if (def.type === 'array' && def.element && Array.isArray(node)) {
      node.forEach((_, i) => child(node, i, def.element!));
    }
  };
  visit(value, schema as unknown as Schema, []);
}
