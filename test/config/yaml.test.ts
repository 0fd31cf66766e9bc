import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig, YamlSource } from '../../src/config/load.js';
import { MAX_ALIAS_EXPANSION } from '../../src/config/yaml.js';
import { MAX_YAML_DEPTH } from '../../src/config/yaml-depth.js';

const read = (text: string) => new YamlSource(text, '/c.yml').goValue();

describe("reading YAML as Prometheus's yaml.v2 does", () => {
  it('reads keys as written: `on:` and `y:` are keys, not booleans', () => {
    expect(read('on: 1\ny: 2\nyes: 3\n').value).toEqual({ on: 1, y: 2, yes: 3 });
  });

  it('keeps the written text of every non-string scalar beside its value', () => {
    const { value, texts } = read('a: 0123\nb: off\nc: 1.10\nd: 2001-12-14\ne: "0123"\nl: [0x1F, x]\n');
    const map = value as Record<string, unknown>;
    expect(map['a']).toBe(83);
    expect([...(texts.get(map) ?? [])]).toEqual([['a', '0123'], ['b', 'off'], ['c', '1.10'], ['d', '2001-12-14']]);
    expect([...(texts.get(map['l'] as object) ?? [])]).toEqual([[0, '0x1F']]);
  });

  it('applies merges in document order, the earlier of a list of merged maps winning', () => {
    const text = 'x: &x { a: 1, b: 1 }\ny: &y { b: 2, c: 2 }\nz:\n  <<: [*x, *y]\n  c: 3\n';
    expect((read(text).value as Record<string, unknown>)['z']).toEqual({ a: 1, b: 1, c: 3 });
  });

  it('treats a key named __proto__ as a key, not as the prototype', () => {
    const map = read('__proto__: { polluted: true }\n').value as Record<string, unknown>;
    expect(Object.getPrototypeOf(map)).toBe(Object.prototype);
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
    expect(Object.keys(map)).toEqual(['__proto__']);
  });

  it(`refuses nesting deeper than ${MAX_YAML_DEPTH} levels through aliases, which the text check cannot see`, () => {
    // Each level's text is shallow; the alias chain nests 2 * 60 levels.
    const lines = ['l0: &l0 [x]'];
    for (let i = 1; i <= 60; i++) lines.push(`l${i}: &l${i} [[*l${i - 1}]]`);
    expect(() => parseConfig(lines.join('\n') + '\n', '/c.yml')).toThrow(new RegExp(`^/c\\.yml:\\d+:\\d+: YAML error: YAML nested more than the limit of ${MAX_YAML_DEPTH} levels \\(through aliases\\)$`));
  });

  it(`refuses aliases that expand to more than ${MAX_ALIAS_EXPANSION} values (a billion laughs)`, () => {
    const lines = ['a: &a [x, x, x, x, x, x, x, x, x, x]'];
    for (let i = 1; i < 9; i++) lines.push(`${String.fromCharCode(97 + i)}: &${String.fromCharCode(97 + i)} [${Array(10).fill(`*${String.fromCharCode(96 + i)}`).join(', ')}]`);
    const err = (() => {
      try {
        parseConfig(lines.join('\n') + '\n', '/c.yml');
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as Error).message).toMatch(new RegExp(`YAML error: aliases expand to more than ${MAX_ALIAS_EXPANSION} values$`));
  });

  it('refuses an alias to its own ancestor instead of recursing forever', () => {
    expect(() => parseConfig('a: &a\n  b: *a\n', '/c.yml')).toThrow(/YAML error: YAML nested more than the limit/);
  });
});
