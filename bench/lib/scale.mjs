// The scale section: our exporter, blackbox_exporter and Prometheus itself over the same N targets, each alone in
// turn, on the same target processes: cores, CPU-s per 1,000 probes, RSS, achieved rate, schedule lateness, the
// targets' own CPU, and for ours the /metrics render at N and /-/healthy meanwhile.
import { spawn } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { request } from 'undici';
import { stringify } from 'yaml';
import { SERVER_NAME } from './certs.mjs';
import { writeBlackboxConfig, writeOurConfig } from './configs.mjs';
import { probeApi, startBlackbox, startOurs } from './exporters.mjs';
import { openLoop } from './load.mjs';
import { cpuSeconds, rssMiB } from './proc.mjs';
import { freePort, sleep, startServer } from './processes.mjs';
import { median, percentile } from './stats.mjs';
import { startTargets } from './targets.mjs';

export const PROMETHEUS_BIN = process.env.PROMETHEUS ?? '/usr/bin/prometheus';

/**
 * Addresses per target process: a process holds a listener and a kept connection per target, and the descriptor
 * limit here is 20,000; 10,000 targets are served by three processes, whose CPU is summed.
 */
const ADDRESSES_PER_TARGET_PROCESS = 4000;

/** 127.0.0.1 … : one loopback address per target, so every target is its own host:port with its own connection. */
function addresses(n) {
  return Array.from({ length: n }, (_, i) => `127.${Math.floor(i / 62500) + 1}.${Math.floor(i / 250) % 250}.${(i % 250) + 1}`);
}

export async function startTargetGroup({ token, certs, kind, n }) {
  const all = addresses(n);
  const groups = [];
  for (let i = 0; i < all.length; i += ADDRESSES_PER_TARGET_PROCESS) {
    const slice = all.slice(i, i + ADDRESSES_PER_TARGET_PROCESS);
    // Kept-alive connections stay open as long as the client wants (a Go exporter has no idle timeout by default).
    groups.push(await startTargets({ token, certs, addresses: slice, kinds: [kind], keepAliveMs: 600_000 }));
  }
  const hosts = groups.flatMap((g) => g.addresses.map((a) => `${a}:${g.ports[kind]}`));
  const key = kind === 'bearer' ? 'bearer_ok' : 'mtls_ok';
  return {
    hosts,
    pids: groups.map((g) => g.pid),
    cpu: () => groups.reduce((sum, g) => sum + cpuSeconds(g.pid), 0),
    served: async () => (await Promise.all(groups.map((g) => g.counts()))).reduce((sum, c) => sum + c[key], 0),
    record: () => Promise.all(groups.map((g) => g.record())),
    lateness: async (intervalMs) => {
      const replies = await Promise.all(groups.map((g) => g.lateness(intervalMs)));
      return { deviations: replies.flatMap((r) => r.deviations), targetsSeen: replies.reduce((s, r) => s + r.targetsSeen, 0) };
    },
    stop: () => Promise.all(groups.map((g) => g.stop())),
  };
}

function writePrometheusConfig(file, { kind, hosts, tokenFile, certs, interval, timeout }) {
  const job =
    kind === 'bearer'
      ? { job_name: 'bearer', authorization: { type: 'Bearer', credentials_file: tokenFile } }
      : { job_name: 'mtls', scheme: 'https', tls_config: { ca_file: certs.ca, cert_file: certs.clientCert, key_file: certs.clientKey, server_name: SERVER_NAME } };
  const config = { global: { scrape_interval: interval, scrape_timeout: timeout }, scrape_configs: [{ ...job, static_configs: [{ targets: hosts }] }] };
  writeFileSync(file, stringify(config));
  return file;
}

async function startPrometheus(configFile, dataDir) {
  const port = await freePort();
  mkdirSync(dataDir, { recursive: true });
  const server = await startServer(
    'prometheus',
    PROMETHEUS_BIN,
    [`--config.file=${configFile}`, `--storage.tsdb.path=${dataDir}`, `--web.listen-address=127.0.0.1:${port}`, '--log.level=warn'],
    `http://127.0.0.1:${port}/-/ready`,
  );
  return { ...server, origin: `http://127.0.0.1:${port}` };
}

/** GET /metrics as Prometheus asks for it (gzip), `n` times: the median wall time, and /-/healthy's worst answer meanwhile. */
async function renderAtScale(origin, pid, n) {
  const times = [];
  const healthy = [];
  let peakRss = rssMiB(pid);
  let bytes = 0;
  for (let i = 0; i < n; i++) {
    let done = false;
    const start = performance.now();
    const scrape = request(`${origin}/metrics`, { headers: { 'accept-encoding': 'gzip' } }).then(async (res) => {
      const body = Buffer.from(await res.body.arrayBuffer());
      bytes = body.length;
      times.push(performance.now() - start);
      done = true;
    });
    // /-/healthy every 20 ms while the scrape runs, on a connection of its own, as a kubelet's liveness probe would.
    while (!done) {
      const t = performance.now();
      await request(`${origin}/-/healthy`, { reset: true }).then((r) => r.body.text());
      healthy.push(performance.now() - t);
      peakRss = Math.max(peakRss, rssMiB(pid));
      await sleep(20);
    }
    await scrape;
  }
  return { renderMs: median(times), healthyMaxMs: Math.max(...healthy), healthyP50Ms: median(healthy), peakRssWhileScrapedMiB: peakRss, gzipBytes: bytes };
}

/**
 * One engine alone over the targets: start it, let a whole interval pass (start-up, first round, JIT), then measure a
 * window. blackbox_exporter has no scheduler of its own (Prometheus is its scheduler): the bench drives /probe at N
 * per interval over the same targets.
 */
async function measureEngine(engine, ctx) {
  const { kind, n, intervalMs, settings, targets } = ctx;
  const rate = n / (intervalMs / 1000);
  let server;
  let driver;
  const ours = engine === 'ours' || engine === 'ours-before';
  if (ours) {
    const file = writeOurConfig(path.join(ctx.dir, `scale-ours-${kind}-${n}.yml`), {
      tokenFile: ctx.tokenFile,
      certs: ctx.certs,
      [kind === 'bearer' ? 'bearerTargets' : 'mtlsTargets']: targets.hosts,
      global: { probe_interval: settings.interval, probe_timeout: intervalMs < 5000 ? settings.interval : '5s' },
    });
    server = await startOurs(file, engine === 'ours-before' ? ctx.oursMain : undefined);
  } else if (engine === 'prometheus') {
    const file = writePrometheusConfig(path.join(ctx.dir, `scale-prometheus-${kind}-${n}.yml`), { kind, hosts: targets.hosts, tokenFile: ctx.tokenFile, certs: ctx.certs, interval: settings.interval, timeout: intervalMs < 5000 ? settings.interval : '5s' });
    server = await startPrometheus(file, path.join(ctx.dir, `tsdb-${kind}-${n}`));
  } else {
    server = await startBlackbox(writeBlackboxConfig(path.join(ctx.dir, `scale-blackbox.yml`), { tokenFile: ctx.tokenFile, certs: ctx.certs }));
    const api = probeApi.blackbox;
    const total = settings.warmupMs + (settings.warmupPerTargetMs ?? 0) * n + settings.windowMs + 1000;
    driver = openLoop({ origin: server.origin, path: (i) => api.path(kind, targets.hosts[i % n].split(':')[0], targets.hosts[i % n].split(':')[1]), ok: api.ok, rate, durationMs: total, maxInFlight: 256 });
  }
  try {
    // A whole interval plus the first round (N handshakes, ~2.4 ms each on a busy 2-core machine) before measuring;
    // Prometheus hands new targets to its scrape loops on a 5 s tick, so it gets at least that.
    const warmupMs = settings.warmupMs + (settings.warmupPerTargetMs ?? 0) * n;
    await sleep(engine === 'prometheus' ? Math.max(warmupMs, 7000) : warmupMs);
    await targets.record();
    const before = { cpu: cpuSeconds(server.pid), targetCpu: targets.cpu(), served: await targets.served(), at: performance.now() };
    const rss = [];
    const end = before.at + settings.windowMs;
    while (performance.now() < end) {
      rss.push(rssMiB(server.pid));
      await sleep(Math.min(1000, Math.max(0, end - performance.now())));
    }
    const seconds = (performance.now() - before.at) / 1000;
    const cpu = cpuSeconds(server.pid) - before.cpu;
    const targetCpu = targets.cpu() - before.targetCpu;
    const probes = (await targets.served()) - before.served;
    const late = await targets.lateness(intervalMs);
    const result = {
      engine,
      seconds,
      probes,
      cores: cpu / seconds,
      cpuPer1000: probes > 0 ? (cpu / probes) * 1000 : undefined,
      rssMiB: median(rss),
      achieved: probes / seconds / rate,
      latenessP50Ms: percentile(late.deviations, 50),
      latenessP99Ms: percentile(late.deviations, 99),
      gaps: late.deviations.length,
      targetCores: targetCpu / seconds,
      loadavg: (await import('node:os')).loadavg(),
    };
    if (ours) Object.assign(result, await renderAtScale(server.origin, server.pid, settings.renderSamples));
    return result;
  } finally {
    if (driver) await driver.catch(() => undefined);
    await server.stop();
  }
}

/** Every N × kind × engine, each engine alone over the same target processes. */
export async function scaleEngines({ dir, token, tokenFile, certs, settings, engines, log, oursMain }) {
  const results = [];
  for (const n of settings.targets) {
    for (const kind of settings.kinds ?? ['bearer', 'mtls']) {
      const targets = await startTargetGroup({ token, certs, kind, n });
      try {
        for (const engine of engines) {
          log(`scale engines: ${n} ${kind} targets, ${engine} alone (${settings.interval} interval, ${(settings.warmupMs + settings.windowMs) / 1000} s)`);
          const intervalMs = settings.intervalMs;
          try {
            results.push({ n, kind, ...(await measureEngine(engine, { kind, n, intervalMs, settings, targets, dir, tokenFile, certs, oursMain })) });
          } catch (err) {
            results.push({ n, kind, engine, error: err.message.split('\n')[0] });
          }
          rmSync(path.join(dir, `tsdb-${kind}-${n}`), { recursive: true, force: true });
        }
      } finally {
        await targets.stop();
      }
    }
  }
  return results;
}

const fmt = (v, d = 2) => (v === undefined || !Number.isFinite(v) ? '—' : v.toFixed(d));

/** The side-by-side table: one row per N, kind and engine, the ratios of ours to the others in the same run. */
export function renderScaleTable(results) {
  const lines = [
    '| N, kind | engine | cores | CPU-s / 1,000 probes | RSS MiB | achieved | lateness p50 / p99 ms | target cores | /metrics ms (gzip) | /-/healthy max ms | RSS scraped MiB | load avg |',
    '| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  ];
  for (const r of results) {
    if (r.error) {
      lines.push(`| ${r.n} ${r.kind} | ${r.engine} | failed: ${r.error} |||||||||`);
      continue;
    }
    lines.push(
      `| ${r.n} ${r.kind} | ${r.engine} | ${fmt(r.cores, 3)} | ${fmt(r.cpuPer1000)} | ${fmt(r.rssMiB, 0)} | ${fmt(r.achieved * 100, 1)} % | ${fmt(r.latenessP50Ms, 0)} / ${fmt(r.latenessP99Ms, 0)} | ${fmt(r.targetCores, 3)} | ${fmt(r.renderMs, 0)} | ${fmt(r.healthyMaxMs, 0)} | ${fmt(r.peakRssWhileScrapedMiB, 0)} | ${r.loadavg ? r.loadavg[0].toFixed(1) : '—'} |`,
    );
  }
  const ratios = [];
  for (const n of [...new Set(results.map((r) => r.n))]) {
    for (const kind of ['bearer', 'mtls']) {
      const of = (engine) => results.find((r) => r.n === n && r.kind === kind && r.engine === engine && !r.error);
      const ours = of('ours');
      for (const peer of ['blackbox', 'prometheus']) {
        const other = of(peer);
        if (!ours || !other) continue;
        ratios.push(
          `| ${n} ${kind} | ${peer} | ${fmt(ours.cpuPer1000 / other.cpuPer1000)}× | ${fmt(ours.targetCores / other.targetCores)}× | ${fmt(ours.rssMiB / other.rssMiB)}× |`,
        );
      }
    }
  }
  if (ratios.length) {
    lines.push('', '| N, kind | ours vs | CPU per probe | target CPU | RSS |', '| --- | --- | ---: | ---: | ---: |', ...ratios);
  }
  return lines.join('\n');
}

/** Whether Prometheus is there to compare with. */
export function prometheusPresent() {
  return new Promise((resolve) => {
    const child = spawn(PROMETHEUS_BIN, ['--version'], { stdio: 'ignore' });
    child.on('error', () => resolve(false));
    child.on('exit', (code) => resolve(code === 0));
  });
}
