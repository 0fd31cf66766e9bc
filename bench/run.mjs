#!/usr/bin/env node
// `npm run bench`: scrape-auth-exporter against blackbox_exporter and an express + prom-client floor, in one run,
// on the same local targets; prints the ratio table and writes the raw figures to bench/results/.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { generateCerts } from './lib/certs.mjs';
import { writeBlackboxConfig, writeOurConfig } from './lib/configs.mjs';
import { BLACKBOX_BIN, blackboxVersion, OUR_MAIN, startBlackbox, startFloor, startOurs } from './lib/exporters.mjs';
import { buildRows, renderTable } from './lib/report.mjs';
import { atScale, changeLatency, makeCredentialFiles, probeWorks, saturated, settledRss, steadyBlackbox, steadyOurs } from './lib/scenarios.mjs';
import { prometheusPresent, renderScaleTable, scaleEngines } from './lib/scale.mjs';
import { loopbackAddresses, startTargets } from './lib/targets.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const SECTIONS = ['idle', 'saturated', 'steady', 'scale', 'latency', 'engines'];

const PROFILES = {
  full: {
    reps: 3,
    concurrencies: [1, 8],
    warmupRequests: 300,
    warmupMs: 1500,
    saturatedRequests: 4000,
    saturatedMs: 6000,
    steadyRate: 20,
    steadyTargets: 40,
    steadyWarmupMs: 3000,
    steadyMs: 10_000,
    settleMs: 2000,
    scaleTargets: 1000,
    scaleFiles: 1000,
    scaleInterval: '30s',
    scaleIntervalMs: 30_000,
    renderSamples: 30,
    latencyFiles: 100,
    latencySamples: 100,
    latencyTimeoutMs: 15_000,
    // engines: ours, blackbox_exporter and Prometheus over the same N targets, each alone in turn.
    engines: { targets: [1000, 10_000], interval: '30s', intervalMs: 30_000, warmupMs: 36_000, warmupPerTargetMs: 2.4, windowMs: 45_000, renderSamples: 3 },
  },
  // A few probes and files, seconds in all: what the smoke test runs to see the bench work end to end.
  quick: {
    reps: 1,
    concurrencies: [1, 8],
    warmupRequests: 5,
    warmupMs: 300,
    saturatedRequests: 40,
    saturatedMs: 1500,
    steadyRate: 20,
    steadyTargets: 10,
    steadyWarmupMs: 300,
    steadyMs: 1000,
    settleMs: 200,
    scaleTargets: 10,
    scaleFiles: 10,
    scaleInterval: '1s',
    scaleIntervalMs: 1000,
    renderSamples: 3,
    latencyFiles: 3,
    latencySamples: 3,
    latencyTimeoutMs: 5000,
    engines: { targets: [20], interval: '1s', intervalMs: 1000, warmupMs: 1500, windowMs: 2500, renderSamples: 1 },
  },
};

const { values: flags } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    only: { type: 'string' },
    out: { type: 'string' },
    reps: { type: 'string' },
    'no-blackbox': { type: 'boolean', default: false },
    'no-prometheus': { type: 'boolean', default: false },
    // e.g. --engines-n=10000 to run the engines section at 10,000 targets only.
    'engines-n': { type: 'string' },
    'engines-kinds': { type: 'string' },
    'ours-before': { type: 'string' },
  },
});
const profile = { ...PROFILES[flags.quick ? 'quick' : 'full'] };
if (flags['engines-n']) profile.engines = { ...profile.engines, targets: flags['engines-n'].split(',').map(Number) };
if (flags['engines-kinds']) profile.engines = { ...profile.engines, kinds: flags['engines-kinds'].split(',') };
if (flags.reps) profile.reps = Number(flags.reps);
const only = new Set(flags.only ? flags.only.split(',') : SECTIONS);
for (const s of only) if (!SECTIONS.includes(s)) throw new Error(`--only: unknown section "${s}" (sections: ${SECTIONS.join(', ')})`);
const log = (msg) => process.stderr.write(`bench: ${msg}\n`);

function machine(bbVersion) {
  const cpu = os.cpus()[0]?.model ?? 'unknown';
  return { nproc: os.availableParallelism(), cpu, node: process.version, kernel: os.release(), blackbox: bbVersion ?? 'absent', loadavg: os.loadavg() };
}

async function main() {
  if (!existsSync(OUR_MAIN)) throw new Error(`${OUR_MAIN} is missing: run "npm run build" first (npm run bench does)`);
  const bbVersion = flags['no-blackbox'] ? undefined : blackboxVersion();
  if (!bbVersion) log(`blackbox_exporter not found at ${BLACKBOX_BIN}: its columns stay empty (apt-get install prometheus-blackbox-exporter)`);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'scrape-auth-bench-'));
  const results = {
    date: new Date().toISOString(),
    machine: machine(bbVersion),
    profile: flags.quick ? 'quick' : 'full',
    settings: profile,
    concurrencies: profile.concurrencies,
    steadyRate: profile.steadyRate,
    scaleTargets: profile.scaleTargets,
    scaleFiles: profile.scaleFiles,
    notes: [],
  };
  const stops = [];
  try {
    const certs = generateCerts(dir);
    const tokenFile = path.join(dir, 'token');
    writeFileSync(tokenFile, `${randomBytes(24).toString('hex')}\n`, { mode: 0o640 });
    const token = readFileSync(tokenFile, 'utf8').trim();
    const addresses = loopbackAddresses(Math.max(Math.ceil(profile.scaleTargets / 2), profile.steadyTargets));
    const targets = await startTargets({ token, certs, addresses });
    stops.push(() => targets.stop());
    const ctx = { dir, certs, tokenFile, targets, profile };
    const benchConfig = writeOurConfig(path.join(dir, 'bench.yml'), { tokenFile, certs });
    const bbConfig = writeBlackboxConfig(path.join(dir, 'blackbox.yml'), { tokenFile, certs });

    if (only.has('idle')) {
      log('idle RSS: ours, express + prom-client floor, blackbox');
      results.idle = { ours: [], floor: [], blackbox: [] };
      for (let rep = 0; rep < profile.reps; rep++) {
        for (const [who, start] of [['ours', () => startOurs(benchConfig)], ['floor', () => startFloor()], ['blackbox', bbVersion && (() => startBlackbox(bbConfig))]]) {
          if (!start) continue;
          const server = await start();
          try {
            results.idle[who].push(await settledRss(server, profile));
          } finally {
            await server.stop();
          }
        }
      }
    }

    if (only.has('saturated') || only.has('steady')) {
      const blackbox = bbVersion ? await startBlackbox(bbConfig) : undefined;
      if (blackbox) stops.push(() => blackbox.stop());
      const ready = {};
      for (const kind of ['bearer', 'mtls']) {
        if (blackbox) {
          const works = await probeWorks(blackbox, 'blackbox', kind, targets);
          if (works !== true) throw new Error(works);
        }
      }

      if (only.has('saturated')) {
        const ours = await startOurs(benchConfig);
        try {
          for (const kind of ['bearer', 'mtls']) {
            ready[kind] = await probeWorks(ours, 'ours', kind, targets);
            if (ready[kind] !== true) results.notes.push(`saturated ${kind}: ${ready[kind]}`);
          }
          results.saturated = { ours: {}, blackbox: {} };
          for (let rep = 0; rep < profile.reps; rep++) {
            for (const kind of ['bearer', 'mtls']) {
              for (const c of profile.concurrencies) {
                const key = `${kind}-c${c}`;
                // Alternate who goes first, so a drift in the machine's load does not favour one side.
                const order = rep % 2 === 0 ? ['ours', 'blackbox'] : ['blackbox', 'ours'];
                for (const who of order) {
                  const server = who === 'ours' ? (ready[kind] === true ? ours : undefined) : blackbox;
                  if (!server) continue;
                  log(`saturated ${key} ${who} (rep ${rep + 1}/${profile.reps})`);
                  const r = await saturated(server, who, kind, c, targets, profile);
                  if (r.failed > 0) results.notes.push(`saturated ${key} ${who}: ${r.failed} failed probes, first: ${r.firstFailure}`);
                  (results.saturated[who][key] ??= []).push(r);
                }
              }
            }
          }
        } finally {
          await ours.stop();
        }
      }

      if (only.has('steady')) {
        results.steady = { ours: {}, blackbox: {} };
        for (const kind of ['bearer', 'mtls']) {
          log(`steady ${profile.steadyRate}/s ${kind}: ours (own scheduler), then blackbox (driven)`);
          const probe = await startOurs(benchConfig);
          const works = await probeWorks(probe, 'ours', kind, targets);
          await probe.stop();
          if (works === true) results.steady.ours[kind] = await steadyOurs(ctx, kind);
          else results.notes.push(`steady ${kind}: ${works}`);
          if (blackbox) results.steady.blackbox[kind] = await steadyBlackbox(ctx, blackbox, kind);
        }
      }
    }

    if (only.has('scale')) {
      const files = makeCredentialFiles(path.join(dir, 'scale-files'), profile.scaleFiles);
      results.scale = [];
      for (let rep = 0; rep < profile.reps; rep++) {
        log(`scale: ${profile.scaleTargets} targets + ${profile.scaleFiles} files (rep ${rep + 1}/${profile.reps})`);
        const r = await atScale(ctx, files);
        if (!r.probing) results.notes.push('scale: ours cannot probe yet, RSS and /metrics measured without targets probed');
        results.scale.push(r);
      }
    }

    if (only.has('engines')) {
      const engines = ['ours'];
      if (flags['ours-before']) engines.push('ours-before');
      if (bbVersion) engines.push('blackbox');
      if (!flags['no-prometheus'] && (await prometheusPresent())) engines.push('prometheus');
      else results.notes.push('engines: prometheus not found (apt-get install prometheus): its rows stay empty');
      const engineDir = path.join(dir, 'engines');
      mkdirSync(engineDir, { recursive: true });
      // ECDSA P-256 certificates for this section, as the issue's runs used.
      const ecCerts = generateCerts(engineDir, { ecdsa: true });
      results.engines = await scaleEngines({ dir: engineDir, token, tokenFile, certs: ecCerts, settings: profile.engines, engines, log, oursMain: flags['ours-before'] });
    }

    if (only.has('latency')) {
      log(`change → metric latency: ${profile.latencySamples} plain writes, ${profile.latencySamples} ..data swaps`);
      const { atomicWriteDir } = await import(path.join(HERE, '..', 'dist', 'demo', 'atomic-writer.js'));
      const r = await changeLatency(ctx, atomicWriteDir);
      if (r.skipped) results.notes.push(`latency: ${r.skipped}`);
      else results.latency = r;
    }
  } finally {
    for (const stop of stops.reverse()) await stop().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  }

  const rows = buildRows(results);
  const m = results.machine;
  const table = renderTable(rows);
  const header = `scrape-auth-exporter bench (${results.profile}), ${results.date.slice(0, 10)}: ${m.nproc} × ${m.cpu}, Node ${m.node}, blackbox_exporter ${m.blackbox}`;
  process.stdout.write(`\n${header}\n\n${table}\n`);
  if (results.engines) process.stdout.write(`\nscale: ours, blackbox_exporter and Prometheus over the same targets (each alone in turn)\n\n${renderScaleTable(results.engines)}\n`);
  if (results.notes.length) process.stdout.write(`\nnotes:\n${results.notes.map((n) => `- ${n}`).join('\n')}\n`);
  const outDir = flags.out ?? path.join(HERE, 'results');
  mkdirSync(outDir, { recursive: true });
  const outFile = path.join(outDir, `bench-${results.profile}-${results.date.replace(/[:.]/g, '-')}.json`);
  writeFileSync(outFile, `${JSON.stringify({ ...results, table: rows }, null, 2)}\n`);
  process.stdout.write(`\nresults: ${outFile}\n`);
}

main().catch((err) => {
  process.stderr.write(`bench: ${err.stack ?? err.message}\n`);
  process.exit(1);
});
