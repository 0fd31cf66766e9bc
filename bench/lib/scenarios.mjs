// The bench's measurements, one function each; every one returns plain numbers (or a reason it was skipped).
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { request } from 'undici';
import { writeOurConfig } from './configs.mjs';
import { countSamples, families, sampleValue } from './exposition.mjs';
import { probeApi, startFloor, startOurs } from './exporters.mjs';
import { closedLoop, openLoop } from './load.mjs';
import { cpuSeconds, rssMiB } from './proc.mjs';
import { get, sleep, waitUntil } from './processes.mjs';
import { median } from './stats.mjs';

const okCount = (counts, kind) => (kind === 'bearer' ? counts.bearer_ok : counts.mtls_ok);

/** Whether this exporter can answer a successful /probe of this kind; a reason string when it cannot. */
export async function probeWorks(server, who, kind, targets) {
  const api = probeApi[who];
  const res = await get(`${server.origin}${api.path(kind, '127.0.0.1', targets.ports[kind])}`).catch((err) => ({ status: 0, body: err.message }));
  if (res.status === 404) return `${who} has no /probe yet`;
  if (res.status !== 200 || !api.ok(res.body)) return `${who} /probe ${kind} failed: ${res.status} ${res.body.slice(0, 400)}`;
  return true;
}

/** Saturated /probe at a fixed concurrency: probes/s and CPU-seconds per 1,000 probes of the exporter process. */
export async function saturated(server, who, kind, concurrency, targets, profile) {
  const api = probeApi[who];
  const load = (maxRequests, maxMs) =>
    closedLoop({ origin: server.origin, path: () => api.path(kind, '127.0.0.1', targets.ports[kind]), ok: api.ok, concurrency, maxRequests, maxMs });
  await load(profile.warmupRequests, profile.warmupMs);
  const before = { cpu: cpuSeconds(server.pid), counts: await targets.counts() };
  const run = await load(profile.saturatedRequests, profile.saturatedMs);
  const cpu = cpuSeconds(server.pid) - before.cpu;
  const served = okCount(await targets.counts(), kind) - okCount(before.counts, kind);
  return {
    probes: run.succeeded,
    failed: run.failed,
    firstFailure: run.firstFailure,
    targetRequests: served,
    seconds: run.elapsedMs / 1000,
    probesPerSecond: run.succeeded / (run.elapsedMs / 1000),
    cpuSeconds: cpu,
    cpuPer1000: run.succeeded > 0 ? (cpu / run.succeeded) * 1000 : undefined,
  };
}

/** Our own scheduler at `rate` probes/s: N targets at an interval of N/rate seconds; probes counted at the targets. */
export async function steadyOurs(ctx, kind) {
  const { profile, targets } = ctx;
  const n = profile.steadyTargets;
  const intervalMs = Math.round((n / profile.steadyRate) * 1000);
  const hosts = targets.addresses.slice(0, n).map((a) => `${a}:${targets.ports[kind]}`);
  const file = writeOurConfig(path.join(ctx.dir, `steady-${kind}.yml`), {
    tokenFile: ctx.tokenFile,
    certs: ctx.certs,
    [kind === 'bearer' ? 'bearerTargets' : 'mtlsTargets']: hosts,
    interval: `${intervalMs}ms`,
  });
  const server = await startOurs(file);
  try {
    // A whole interval first: start-up, the first probe of every target, JIT warm-up.
    await sleep(intervalMs + profile.steadyWarmupMs);
    const windows = [];
    for (let rep = 0; rep < profile.reps; rep++) {
      const before = { cpu: cpuSeconds(server.pid), counts: await targets.counts(), at: performance.now() };
      await sleep(profile.steadyMs);
      const cpu = cpuSeconds(server.pid) - before.cpu;
      const seconds = (performance.now() - before.at) / 1000;
      const probes = okCount(await targets.counts(), kind) - okCount(before.counts, kind);
      windows.push({ probes, seconds, probesPerSecond: probes / seconds, cpuSeconds: cpu, cpuPer1000: probes > 0 ? (cpu / probes) * 1000 : undefined });
    }
    return windows;
  } finally {
    await server.stop();
  }
}

/** blackbox_exporter has no scheduler of its own (Prometheus is its scheduler): the bench sends /probe at `rate`/s. */
export async function steadyBlackbox(ctx, server, kind) {
  const { profile, targets } = ctx;
  const api = probeApi.blackbox;
  const hosts = targets.addresses.slice(0, profile.steadyTargets);
  const drive = (durationMs) =>
    openLoop({ origin: server.origin, path: (i) => api.path(kind, hosts[i % hosts.length], targets.ports[kind]), ok: api.ok, rate: profile.steadyRate, durationMs });
  await drive(profile.steadyWarmupMs);
  const windows = [];
  for (let rep = 0; rep < profile.reps; rep++) {
    const before = { cpu: cpuSeconds(server.pid), counts: await targets.counts() };
    const run = await drive(profile.steadyMs);
    const cpu = cpuSeconds(server.pid) - before.cpu;
    const probes = okCount(await targets.counts(), kind) - okCount(before.counts, kind);
    windows.push({
      probes,
      failed: run.failed,
      seconds: run.elapsedMs / 1000,
      probesPerSecond: probes / (run.elapsedMs / 1000),
      cpuSeconds: cpu,
      cpuPer1000: probes > 0 ? (cpu / probes) * 1000 : undefined,
    });
  }
  return windows;
}

/** RSS after start-up, one scrape of /metrics (as Prometheus would), and a quiet moment: the median of a few reads. */
export async function settledRss(server, profile) {
  await sleep(profile.settleMs);
  await get(`${server.origin}/metrics`);
  await sleep(profile.settleMs);
  const samples = [];
  for (let i = 0; i < 5; i++) {
    samples.push(rssMiB(server.pid));
    await sleep(100);
  }
  return median(samples);
}

/** Median wall time of GET /metrics over `n` sequential requests on one keep-alive connection, after a warm-up. */
export async function renderMs(origin, n) {
  const once = async () => {
    const start = performance.now();
    const res = await request(`${origin}/metrics`);
    const body = await res.body.text();
    return { ms: performance.now() - start, body };
  };
  for (let i = 0; i < 3; i++) await once();
  const times = [];
  let body = '';
  for (let i = 0; i < n; i++) {
    const r = await once();
    times.push(r.ms);
    body = r.body;
  }
  return { ms: median(times), body };
}

/** Creates `n` credential files spread over directories of 20, as tokens mounted per job would be. */
export function makeCredentialFiles(dir, n) {
  const files = [];
  for (let i = 0; i < n; i++) {
    const sub = path.join(dir, `d${String(Math.floor(i / 20)).padStart(3, '0')}`);
    if (i % 20 === 0) mkdirSync(sub, { recursive: true });
    const file = path.join(sub, `token-${String(i).padStart(4, '0')}`);
    writeFileSync(file, `${randomBytes(24).toString('hex')}\n`, { mode: 0o640 });
    files.push(file);
  }
  return files;
}

/**
 * Our exporter with many targets (half bearer, half mTLS, each on its own loopback address) and many watched files:
 * RSS once every target has been probed, /metrics render time, and the same against a bare registry of as many series.
 */
export async function atScale(ctx, files) {
  const { profile, targets } = ctx;
  const half = Math.ceil(profile.scaleTargets / 2);
  const hosts = (kind, n) => targets.addresses.slice(0, n).map((a) => `${a}:${targets.ports[kind]}`);
  const file = writeOurConfig(path.join(ctx.dir, 'scale.yml'), {
    tokenFile: ctx.tokenFile,
    certs: ctx.certs,
    bearerTargets: hosts('bearer', half),
    mtlsTargets: hosts('mtls', profile.scaleTargets - half),
    credentialFiles: files,
    global: { probe_interval: profile.scaleInterval, probe_timeout: profile.scaleIntervalMs < 5000 ? profile.scaleInterval : '5s' },
  });
  const countsAt = await targets.counts();
  const served = async () => {
    const c = await targets.counts();
    return c.bearer_ok + c.mtls_ok - countsAt.bearer_ok - countsAt.mtls_ok;
  };
  const ours = await startOurs(file);
  let result;
  try {
    const probing = (await probeWorks(ours, 'ours', 'bearer', targets)) === true;
    if (probing) {
      // Probes are spread over the interval: one interval (plus slack) until every target has answered once.
      await waitUntil(async () => (await served()) >= profile.scaleTargets, `${profile.scaleTargets} targets probed`, profile.scaleIntervalMs + 30_000, 200);
    }
    const rss = await settledRss(ours, profile);
    const render = await renderMs(ours.origin, profile.renderSamples);
    result = {
      probing,
      rssMiB: rss,
      renderMs: render.ms,
      series: countSamples(render.body, 'scrape_auth_'),
      allSeries: countSamples(render.body),
      exposition: render.body,
    };
  } finally {
    await ours.stop();
  }
  const specFile = path.join(ctx.dir, 'bare-series.json');
  writeFileSync(specFile, JSON.stringify(families(result.exposition, 'scrape_auth_')));
  const bare = await startFloor(specFile);
  try {
    const render = await renderMs(bare.origin, profile.renderSamples);
    result.bare = { renderMs: render.ms, series: countSamples(render.body, 'scrape_auth_'), allSeries: countSamples(render.body) };
  } finally {
    await bare.stop();
  }
  delete result.exposition;
  return result;
}

const CHANGES = 'scrape_auth_credential_file_changes_total';

/**
 * File change → metric latency: rewrite a watched file (plainly, or by Kubernetes' `..data` symlink swap) and poll
 * /metrics until its changes counter moves. The clock starts before the write, so the write itself is included.
 */
export async function changeLatency(ctx, atomicWriteDir) {
  const { profile } = ctx;
  const base = path.join(ctx.dir, 'latency');
  const plain = makeCredentialFiles(path.join(base, 'plain'), profile.latencyFiles);
  const swapDirs = Array.from({ length: Math.max(1, Math.min(10, profile.latencyFiles)) }, (_, i) => path.join(base, `projected-${i}`));
  for (const d of swapDirs) await atomicWriteDir(d, { token: randomBytes(24).toString('hex') });
  const swapped = swapDirs.map((d) => path.join(d, 'token'));
  const file = writeOurConfig(path.join(ctx.dir, 'latency.yml'), { tokenFile: ctx.tokenFile, certs: ctx.certs, credentialFiles: [...plain, ...swapped] });
  const server = await startOurs(file);
  try {
    const metrics = async () => (await get(`${server.origin}/metrics`)).body;
    const first = await metrics();
    if (sampleValue(first, CHANGES, { path: plain[0] }) === undefined) return { skipped: `no ${CHANGES}{path=...} in /metrics yet (credential watcher not merged)` };
    const measure = async (kind, target, change) => {
      const samples = [];
      for (let i = 0; i < profile.latencySamples; i++) {
        const p = target(i);
        const before = sampleValue(await metrics(), CHANGES, { path: p }) ?? 0;
        const start = performance.now();
        await change(i);
        let ms;
        for (;;) {
          const now = sampleValue(await metrics(), CHANGES, { path: p });
          if (now !== undefined && now > before) {
            ms = performance.now() - start;
            break;
          }
          if (performance.now() - start > profile.latencyTimeoutMs) {
            ms = Infinity;
            break;
          }
          await sleep(2);
        }
        samples.push(ms);
        // A pause of varying length, so changes never line up with a debounce window or poll tick.
        await sleep(20 + Math.random() * 60);
      }
      return samples;
    };
    const plainSamples = await measure(
      'plain',
      (i) => plain[i % plain.length],
      (i) => writeFileSync(plain[i % plain.length], `${randomBytes(24).toString('hex')}\n`),
    );
    const swapSamples = await measure(
      'swap',
      (i) => swapped[i % swapped.length],
      (i) => atomicWriteDir(swapDirs[i % swapDirs.length], { token: randomBytes(24).toString('hex') }),
    );
    return { plain: plainSamples, swap: swapSamples };
  } finally {
    await server.stop();
  }
}
