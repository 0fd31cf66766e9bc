// Turns the bench's raw results into the ratio table (printed, and pasted into docs/benchmarks.md) and a JSON record.
import { median, percentile, ratio } from './stats.mjs';

const fmt = (v, digits = 2) => (v === undefined || !Number.isFinite(v) ? (v === Infinity ? 'timeout' : '—') : v.toFixed(digits));

/** One table row: a figure for us, for the peer, their ratio, and whether the target (a ratio or an absolute bound) is met. */
function row(figure, ours, peer, { maxRatio, maxOurs, digits = 2, note } = {}) {
  const r = ratio(ours, peer);
  let met = '';
  if (maxRatio !== undefined && r !== undefined) met = r <= maxRatio ? 'yes' : 'NO';
  if (maxOurs !== undefined && ours !== undefined) met = ours <= maxOurs ? 'yes' : 'NO';
  const target = maxRatio !== undefined ? `≤ ${maxRatio}×` : maxOurs !== undefined ? `≤ ${maxOurs}` : '';
  return { figure, ours, peer, ratio: r, target, met, note, digits };
}

const med = (runs, key) => (runs && runs.length ? median(runs.map((r) => r[key])) : undefined);

export function buildRows(results) {
  const rows = [];
  const peerName = 'blackbox';
  for (const kind of ['bearer', 'mtls']) {
    const label = kind === 'bearer' ? 'bearer/HTTP' : 'mTLS/HTTPS';
    for (const c of results.concurrencies ?? []) {
      const key = `${kind}-c${c}`;
      const ours = results.saturated?.ours?.[key];
      const peer = results.saturated?.blackbox?.[key];
      rows.push(row(`${label} c=${c}: probes/s (ours vs ${peerName})`, med(ours, 'probesPerSecond'), med(peer, 'probesPerSecond'), { digits: 0 }));
      rows.push(row(`${label} c=${c}: CPU-s per 1,000 probes`, med(ours, 'cpuPer1000'), med(peer, 'cpuPer1000'), { maxRatio: 0.8 }));
    }
    const ours = results.steady?.ours?.[kind];
    const peer = results.steady?.blackbox?.[kind];
    rows.push(row(`${label} steady ${results.steadyRate}/s: probes/s achieved`, med(ours, 'probesPerSecond'), med(peer, 'probesPerSecond'), { digits: 1 }));
    rows.push(row(`${label} steady ${results.steadyRate}/s: CPU-s per 1,000 probes`, med(ours, 'cpuPer1000'), med(peer, 'cpuPer1000'), { maxRatio: 0.8 }));
  }
  const idle = results.idle ?? {};
  rows.push(row('idle RSS MiB (ours vs express+prom-client floor)', median(idle.ours ?? []), median(idle.floor ?? []), { maxRatio: 1.3, digits: 1 }));
  const scale = results.scale ?? [];
  const n = results.scaleTargets;
  rows.push(
    row(`RSS MiB at ${n} targets + ${results.scaleFiles} files (vs floor idle)`, med(scale, 'rssMiB'), median(idle.floor ?? []), { maxRatio: 2, digits: 1 }),
  );
  rows.push(row('idle RSS MiB (blackbox_exporter, for reference)', median(idle.blackbox ?? []), undefined, { digits: 1 }));
  const series = med(scale, 'series');
  rows.push(
    row(
      `/metrics ms at scale (${series ?? '?'} series; vs bare prom-client registry)`,
      med(scale, 'renderMs'),
      scale.length ? median(scale.map((s) => s.bare?.renderMs)) : undefined,
      { maxRatio: 1.2 },
    ),
  );
  for (const kind of ['plain', 'swap']) {
    const samples = results.latency?.[kind];
    const label = kind === 'plain' ? 'plain write' : '..data swap';
    rows.push(row(`change → metric ms p50, ${label}`, samples ? percentile(samples, 50) : undefined, undefined, { digits: 1 }));
    rows.push(row(`change → metric ms p99, ${label} (${samples?.length ?? 0} changes)`, samples ? percentile(samples, 99) : undefined, undefined, { maxOurs: 250, digits: 1 }));
  }
  return rows;
}

export function renderTable(rows) {
  const lines = ['| figure | ours | peer | ours/peer | target | met |', '| --- | ---: | ---: | ---: | --- | --- |'];
  for (const r of rows) {
    lines.push(`| ${r.figure} | ${fmt(r.ours, r.digits)} | ${fmt(r.peer, r.digits)} | ${r.ratio === undefined ? '—' : `${r.ratio.toFixed(2)}×`} | ${r.target} | ${r.met} |`);
  }
  return lines.join('\n');
}
