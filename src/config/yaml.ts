// Turns a parsed YAML document into plain values the way Prometheus's Go YAML reader (gopkg.in/yaml.v2) sees them.
import { isAlias, isMap, isScalar, isSeq, type Document, type Node } from 'yaml';
import { MAX_YAML_DEPTH } from './yaml-depth.js';

/**
 * What yaml.v2 does and the `yaml` package's defaults do not, and how we follow it:
 * - YAML 1.1 scalars: `yes`/`no`/`on`/`off`/`y`/`n` are booleans (the document is parsed with version 1.1);
 * - merge keys (`<<: *base`) are applied in document order, a later key overriding an earlier one, as v2 does;
 * - a mapping key is the text as written (`on:` is the key "on", not `true`);
 * - (a known field whose value is null or an empty string is unset: that needs the schema, see fields.ts);
 * - a plain scalar that YAML 1.1 reads as a number, boolean or date keeps its text (see `texts`), because
 *   v2 decodes a scalar into a Go string field as written: `password: 0123` is the password "0123", not 83.
 */
export interface GoYamlValue {
  value: unknown;
  /** For each mapping or list built: the written text of every non-string scalar in it, by key or index. */
  texts: WeakMap<object, Map<string | number, string>>;
}

/** Values produced by expanding aliases: a "billion laughs" document is refused long before memory runs out. */
export const MAX_ALIAS_EXPANSION = 100_000;

export class YamlLimitError extends Error {
  constructor(
    message: string,
    readonly node: Node | undefined,
  ) {
    super(message);
  }
}

export function goYamlValue(doc: Document): GoYamlValue {
  const texts = new WeakMap<object, Map<string | number, string>>();
  let expanded = 0;

  const textOf = (node: unknown): string | undefined => {
    const target = isAlias(node) ? node.resolve(doc) : node;
    if (!isScalar(target)) return undefined;
    const v = target.value;
    if (v === null || v === undefined || typeof v === 'string') return undefined;
    return typeof target.source === 'string' ? target.source : String(v);
  };

  const set = (out: Record<string, unknown>, key: string, value: unknown, text: string | undefined) => {
    let own = texts.get(out);
    // defineProperty: a key written "__proto__" is a key like any other, not the object's prototype.
    Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true });
    if (text !== undefined) {
      if (!own) texts.set(out, (own = new Map()));
      own.set(key, text);
    } else {
      own?.delete(key);
    }
  };

  const convert = (node: unknown, depth: number, viaAlias: boolean): unknown => {
    // The text was checked before parsing (yaml-depth.ts); aliases can still nest deeper, or into themselves.
    if (depth > MAX_YAML_DEPTH) throw new YamlLimitError(`YAML nested more than the limit of ${MAX_YAML_DEPTH} levels (through aliases)`, node as Node);
    if (viaAlias && ++expanded > MAX_ALIAS_EXPANSION) {
      throw new YamlLimitError(`aliases expand to more than ${MAX_ALIAS_EXPANSION} values`, node as Node);
    }
    if (node === null || node === undefined) return null;
    if (isAlias(node)) return convert(node.resolve(doc), depth + 1, true);
    if (isScalar(node)) return node.value ?? null;
    if (isSeq(node)) {
      const out: unknown[] = [];
      node.items.forEach((item, i) => {
        out.push(convert(item, depth + 1, viaAlias));
        const text = textOf(item);
        if (text !== undefined) {
          let own = texts.get(out);
          if (!own) texts.set(out, (own = new Map()));
          own.set(i, text);
        }
      });
      return out;
    }
    if (isMap(node)) {
      const out: Record<string, unknown> = {};
      for (const pair of node.items) {
        if (isMergeKey(pair.key)) {
          mergeInto(out, pair.value, depth, viaAlias);
          continue;
        }
        set(out, keyText(pair.key), convert(pair.value, depth + 1, viaAlias), textOf(pair.value));
      }
      return out;
    }
    return null;
  };

  /** `<<: *a`, `<<: {…}` or `<<: [*a, *b]`; in a list the earlier map wins, as in v2 (applied last to first). */
  const mergeInto = (out: Record<string, unknown>, value: unknown, depth: number, viaAlias: boolean) => {
    const sources = isSeq(value) ? [...value.items].reverse() : [value];
    for (const source of sources) {
      const alias = isAlias(source);
      const target = alias ? source.resolve(doc) : source;
      if (!isMap(target)) continue;
      const merged = convert(target, depth + 1, viaAlias || alias) as Record<string, unknown>;
      const mergedTexts = texts.get(merged);
      for (const [k, v] of Object.entries(merged)) set(out, k, v, mergedTexts?.get(k));
    }
  };

  return { value: convert(doc.contents, 0, false), texts };
}

function isMergeKey(key: unknown): boolean {
  return isScalar(key) && (typeof key.value === 'symbol' || (key.source === '<<' && key.type === 'PLAIN'));
}

/** v2 decodes a mapping key into a Go string as written: `on:` and `y:` are the keys "on" and "y". */
export function keyText(key: unknown): string {
  if (isScalar(key)) {
    if (typeof key.value === 'string') return key.value;
    if (key.value === null || key.value === undefined) return '';
    return typeof key.source === 'string' ? key.source : String(key.value);
  }
  return String(key);
}
