// Reads the Prometheus text format just enough for the bench: one sample's value, and the families of a scrape.

const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

function unescape(value) {
  return value.replace(/\\(.)/g, (_, c) => (c === 'n' ? '\n' : c));
}

function parseLabels(text) {
  return Object.fromEntries([...(text ?? '').matchAll(LABEL)].map((m) => [m[1], unescape(m[2])]));
}

/** The value of the first sample named `name` whose labels include `labels`, or undefined. */
export function sampleValue(exposition, name, labels = {}) {
  for (const line of exposition.split('\n')) {
    if (!line.startsWith(name)) continue;
    const match = SAMPLE.exec(line);
    if (!match || match[1] !== name) continue;
    const got = parseLabels(match[2]);
    if (Object.entries(labels).every(([k, v]) => got[k] === v)) return Number(match[3]);
  }
  return undefined;
}

export function countSamples(exposition, prefix = '') {
  let n = 0;
  for (const line of exposition.split('\n')) if (line.startsWith(prefix) && line.length > 0 && line[0] !== '#') n++;
  return n;
}

/** Gauge and counter families whose names start with `prefix`, with every sample: what a bare registry must hold. */
export function families(exposition, prefix) {
  const byName = new Map();
  let help = new Map();
  for (const line of exposition.split('\n')) {
    if (line.startsWith('# HELP ')) {
      const [, name, text] = /^# HELP (\S+) ?(.*)$/.exec(line) ?? [];
      if (name) help.set(name, unescape(text));
      continue;
    }
    if (line.startsWith('# TYPE ')) {
      const [, name, type] = /^# TYPE (\S+) (\S+)$/.exec(line) ?? [];
      if (name?.startsWith(prefix)) byName.set(name, { name, type: type === 'counter' ? 'counter' : 'gauge', help: help.get(name) || name, labelNames: new Set(), samples: [] });
      continue;
    }
    const match = SAMPLE.exec(line);
    if (!match) continue;
    const family = byName.get(match[1]);
    if (!family) continue;
    const labels = parseLabels(match[2]);
    for (const key of Object.keys(labels)) family.labelNames.add(key);
    family.samples.push({ labels, value: Number(match[3]) });
  }
  return [...byName.values()].map((f) => ({ ...f, labelNames: [...f.labelNames] }));
}
