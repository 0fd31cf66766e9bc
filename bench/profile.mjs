#!/usr/bin/env node
// `npm run bench:profile -- --n=1000 --kind=mtls --interval=5s --seconds=40`: our built exporter alone over N
// targets of one kind, under node's CPU profiler; prints its cores, CPU-s per 1,000 probes and where the CPU went
// (self time by area and the heaviest functions). Not part of `npm test`: it is how docs/benchmarks.md's profiles were made.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { generateCerts } from './lib/certs.mjs';
import { writeOurConfig } from './lib/configs.mjs';
import { startOurs } from './lib/exporters.mjs';
import { cpuSeconds, rssMiB } from './lib/proc.mjs';
import { sleep } from './lib/processes.mjs';
import { startTargetGroup } from './lib/scale.mjs';

const { values: flags } = parseArgs({
  options: {
    n: { type: 'string', default: '1000' },
    kind: { type: 'string', default: 'mtls' },
    interval: { type: 'string', default: '5s' },
    seconds: { type: 'string', default: '40' },
    top: { type: 'string', default: '25' },
    // Seconds before measuring; by default an interval (first round, JIT) plus 2 s.
    warmup: { type: 'string' },
    'no-profile': { type: 'boolean', default: false },
  },
});
const n = Number(flags.n);
const kind = flags.kind;
const seconds = Number(flags.seconds);
const intervalMs = Number.parseFloat(flags.interval) * (flags.interval.endsWith('ms') ? 1 : flags.interval.endsWith('m') ? 60_000 : 1000);

/** Where a profile node's code lives, in words a reader of docs/benchmarks.md can act on. */
function area(frame) {
  const url = frame.url ?? '';
  const fn = frame.functionName;
  if (fn === '(garbage collector)') return 'GC';
  if (fn === '(idle)' || fn === '(program)' || fn === '(root)') return fn;
  if (url.includes('/dist/')) return `ours: ${url.split('/dist/')[1]}`;
  if (url.includes('node_modules/')) return `lib: ${url.split('node_modules/')[1].split('/')[0]}`;
  if (url.startsWith('node:')) return url;
  return fn ? `native: ${fn}` : 'native';
}

function summarise(profile) {
  const self = new Map();
  const byArea = new Map();
  const dt = new Map();
  // Sample i lasted timeDeltas[i + 1] µs (close enough for shares).
  for (let i = 0; i < profile.samples.length; i++) dt.set(i, profile.timeDeltas[i + 1] ?? 0);
  const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
  const hits = new Map();
  profile.samples.forEach((id, i) => hits.set(id, (hits.get(id) ?? 0) + (dt.get(i) ?? 0)));
  let busy = 0;
  for (const [id, us] of hits) {
    const node = nodes.get(id);
    const frame = node.callFrame;
    if (frame.functionName === '(idle)') continue;
    busy += us;
    const a = area(frame);
    byArea.set(a, (byArea.get(a) ?? 0) + us);
    const key = `${frame.functionName || '(anonymous)'} ${a}:${frame.lineNumber + 1}`;
    self.set(key, (self.get(key) ?? 0) + us);
  }
  const top = (map) => [...map].sort((a, b) => b[1] - a[1]).slice(0, Number(flags.top)).map(([k, us]) => `${((us / busy) * 100).toFixed(1).padStart(5)} %  ${k}`);
  return { busyMs: busy / 1000, areas: top(byArea), functions: top(self) };
}

async function main() {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'scrape-auth-profile-'));
  const profDir = path.join(dir, 'prof');
  let targets;
  let ours;
  try {
    const certs = generateCerts(dir, { ecdsa: true });
    const tokenFile = path.join(dir, 'token');
    const token = randomBytes(24).toString('hex');
    writeFileSync(tokenFile, `${token}\n`, { mode: 0o640 });
    // The scale section's targets: one loopback address each, at most 4,000 per target process.
    targets = await startTargetGroup({ token, certs, kind, n });
    const hosts = targets.hosts;
    const config = writeOurConfig(path.join(dir, 'ours.yml'), {
      tokenFile,
      certs,
      [kind === 'bearer' ? 'bearerTargets' : 'mtlsTargets']: hosts,
      global: { probe_interval: flags.interval, probe_timeout: intervalMs < 5000 ? flags.interval : '5s' },
    });
    if (!flags['no-profile']) process.env.BENCH_OURS_NODE_ARGS = `--cpu-prof --cpu-prof-dir=${profDir} ${process.env.BENCH_OURS_NODE_ARGS ?? ''}`;
    ours = await startOurs(config);
    // The first round and JIT warm-up are not what a steady state costs.
    await sleep(flags.warmup !== undefined ? Number(flags.warmup) * 1000 : Math.max(intervalMs, 5000) + 2000);
    const before = { cpu: cpuSeconds(ours.pid), served: await targets.served(), at: performance.now() };
    await sleep(seconds * 1000);
    const elapsed = (performance.now() - before.at) / 1000;
    const cpu = cpuSeconds(ours.pid) - before.cpu;
    const probes = (await targets.served()) - before.served;
    const rss = rssMiB(ours.pid);
    const self = await (await fetch(`${ours.origin}/metrics`)).text();
    const gauge = (name) => Number(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, 'm').exec(self)?.[1] ?? NaN) / 1048576;
    const memory = `heap used ${gauge('nodejs_heap_size_used_bytes').toFixed(0)} MiB, heap total ${gauge('nodejs_heap_size_total_bytes').toFixed(0)} MiB, external ${gauge('nodejs_external_memory_bytes').toFixed(0)} MiB`;
    await ours.stop();
    ours = undefined;
    process.stdout.write(`${n} ${kind} targets every ${flags.interval}: ${(cpu / elapsed).toFixed(3)} cores, ${probes > 0 ? ((cpu / probes) * 1000).toFixed(2) : '—'} CPU-s per 1,000 probes, ${(probes / elapsed / (n / (intervalMs / 1000))).toFixed(3)} of the rate, RSS ${rss.toFixed(0)} MiB (${memory})\n`);
    if (flags['no-profile']) return;
    const file = readdirSync(profDir).find((f) => f.endsWith('.cpuprofile'));
    if (!file) throw new Error('no .cpuprofile written');
    const summary = summarise(JSON.parse(readFileSync(path.join(profDir, file), 'utf8')));
    process.stdout.write(`\nbusy ${summary.busyMs.toFixed(0)} ms of profile (whole run), self time by area:\n${summary.areas.join('\n')}\n\nheaviest functions (self time):\n${summary.functions.join('\n')}\n`);
  } finally {
    if (ours) await ours.stop();
    if (targets) await targets.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  process.stderr.write(`${err.stack ?? err}\n`);
  process.exit(1);
});
