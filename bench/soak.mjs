#!/usr/bin/env node
// `npm run soak -- --minutes 5`: runs the built exporter against a mix of failing targets (401, 403, tarpits,
// refused ports, TLS garbage, endless bodies, login pages, resets) with token rotation and /probe calls, and prints
// RSS, heap, open FDs and /metrics latency over time as a table. Not in CI: it is for flat lines, by eye.
// Everything binds 127.0.0.1; every loop is bounded by --minutes; everything it starts is stopped at the end.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const MAIN = path.resolve(HERE, '../dist/main.js');
const MAX_MINUTES = 120;

const { values } = parseArgs({
  options: {
    minutes: { type: 'string', default: '5' },
    targets: { type: 'string', default: '200' },
    interval: { type: 'string', default: '1s' },
    every: { type: 'string', default: '15' },
    probes: { type: 'string', default: '20' },
  },
});
const minutes = Math.min(Number(values.minutes), MAX_MINUTES);
const targetCount = Math.max(10, Number(values.targets));
const sampleEveryMs = Number(values.every) * 1000;
const probesPerSample = Number(values.probes);
if (!(minutes > 0) || !(sampleEveryMs > 0)) throw new Error('--minutes and --every must be positive numbers');

const METRICS_BODY = '# TYPE up_like gauge\nup_like 1\n';
const servers = [];
const listen = async (server) => {
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  servers.push(server);
  return server.address().port;
};
const trackSockets = (server) => {
  const sockets = new Set();
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => undefined);
  });
  server.closeAll = () => {
    for (const s of sockets) s.destroy();
  };
  return server;
};

// One server per failure kind; the targets spread over them (several "targets" per server by path or params).
const kinds = {
  ok: await listen(trackSockets(http.createServer((req, res) => (req.headers.authorization === 'Bearer good' ? res.writeHead(200, { 'content-type': 'text/plain' }).end(METRICS_BODY) : res.writeHead(401).end())))),
  forbidden: await listen(trackSockets(http.createServer((_req, res) => res.writeHead(403).end('Forbidden (user=system:serviceaccount:monitoring:prometheus, verb=get, resource=nodes, subresource=metrics)')))),
  login: await listen(trackSockets(http.createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end('<html><body>Sign in</body></html>')))),
  endless: await listen(trackSockets(http.createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain' });
    const chunk = `${'a 1\n'.repeat(1024)}`;
    let n = 0;
    const pump = () => {
      while (n++ < 10_000 && res.write(chunk));
      if (n < 10_000) res.once('drain', pump);
      else res.end();
    };
    pump();
  }))),
  tarpit: await listen(trackSockets(net.createServer((s) => s.resume()))),
  reset: await listen(trackSockets(net.createServer((s) => s.once('data', () => s.resetAndDestroy?.() ?? s.destroy())))),
  garbage: await listen(trackSockets(net.createServer((s) => s.once('data', () => s.end('\u0000\u0001 not tls'))))),
};
// A port that was open and is closed now: connection refused.
const refusedServer = net.createServer();
const refused = await new Promise((resolve) => refusedServer.listen(0, '127.0.0.1', () => resolve(refusedServer.address().port)));
await new Promise((resolve) => refusedServer.close(resolve));

const dir = mkdtempSync(path.join(os.tmpdir(), 'sae-soak-'));
writeFileSync(path.join(dir, 'good'), 'good\n');
writeFileSync(path.join(dir, 'stale'), 'stale\n');
const jobs = [
  ['ok', 'http', kinds.ok, 'good'],
  ['unauthorized', 'http', kinds.ok, 'stale'],
  ['forbidden', 'http', kinds.forbidden, 'good'],
  ['login-page', 'http', kinds.login, 'good'],
  ['endless-body', 'http', kinds.endless, 'good'],
  ['tarpit', 'http', kinds.tarpit, 'good'],
  ['reset', 'http', kinds.reset, 'good'],
  ['tls-garbage', 'https', kinds.garbage, 'good'],
  ['refused', 'http', refused, 'good'],
  ['missing-file', 'http', kinds.ok, 'missing'],
];
const perJob = Math.ceil(targetCount / jobs.length);
const config = `global: { probe_interval: ${values.interval}, probe_timeout: ${values.interval}, credential_poll_interval: 5s }
scrape_configs:
${jobs
  .map(([name, scheme, port, token]) => {
    // One server per kind; a distinct label set makes each entry a target of its own.
    const targets = Array.from({ length: perJob }, (_, i) => `"127.0.0.1:${port}"`).slice(0, 1);
    return `  - job_name: ${name}
    scheme: ${scheme}
    bearer_token_file: ${token}
    static_configs:
${Array.from({ length: perJob }, (_, i) => `      - { targets: [${targets[0]}], labels: { shard: "s${i}" } }`).join('\n')}`;
  })
  .join('\n')}
`;
writeFileSync(path.join(dir, 'scrape-auth.yml'), config);

// Whatever happens below, the exporter, the servers and the temp dir (it holds tokens) go with this process.
let child;
const cleanup = () => {
  child?.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
};
process.once('exit', cleanup);
for (const signal of ['SIGINT', 'SIGTERM']) process.once(signal, () => process.exit(130));
child = spawn(process.execPath, [MAIN, `--config.file=${path.join(dir, 'scrape-auth.yml')}`, '--web.listen-address=127.0.0.1:0', '--log.level=info'], { stdio: ['ignore', 'ignore', 'pipe'] });
let stderr = '';
const base = await new Promise((resolve, reject) => {
  const timer = setTimeout(() => reject(new Error(`exporter did not start:\n${stderr}`)), 30_000);
  child.stderr.on('data', (d) => {
    stderr += d.toString();
    if (stderr.length > 1e6) stderr = stderr.slice(-1e5);
    const m = /Listening on"? address=(\S+)/.exec(stderr);
    if (m) {
      clearTimeout(timer);
      resolve(`http://${m[1]}`);
    }
  });
  child.once('exit', (code) => reject(new Error(`exporter exited with ${code}:\n${stderr}`)));
});

const sample = (text, name) => {
  const m = new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, 'm').exec(text);
  return m ? Number(m[1]) : NaN;
};
const fds = () => {
  try {
    return readdirSync(`/proc/${child.pid}/fd`).length;
  } catch {
    return NaN;
  }
};

const rows = [];
const header = ['min', 'rss MiB', 'heap MiB', 'fds', '/metrics ms', 'KiB', 'probes', '/probe ok'];
console.log(`soak: ${jobs.length * perJob} targets (${jobs.length} kinds), interval ${values.interval}, ${minutes} min, sample every ${values.every} s, ${probesPerSample} /probe calls per sample`);
console.log(header.map((h) => h.padStart(11)).join(''));
const started = Date.now();
const deadline = started + minutes * 60_000;
let rotation = 0;
while (Date.now() < deadline) {
  // Token rotation: the good token rewritten (same value, new write) and the stale one changed.
  writeFileSync(path.join(dir, 'good'), 'good\n');
  writeFileSync(path.join(dir, 'stale'), `stale-${rotation++}\n`);
  let probeOk = 0;
  const kindsForProbe = ['ok', 'forbidden', 'tarpit', 'refused'];
  await Promise.all(
    Array.from({ length: probesPerSample }, async (_, i) => {
      const job = kindsForProbe[i % kindsForProbe.length];
      const port = job === 'refused' ? refused : kinds[job === 'ok' ? 'ok' : job];
      try {
        const res = await fetch(`${base}/probe?module=${job}&target=127.0.0.1:${port}`, { signal: AbortSignal.timeout(10_000) });
        await res.text();
        if (res.ok) probeOk++;
      } catch {
        // counted as not ok
      }
    }),
  );
  const t0 = performance.now();
  const res = await fetch(`${base}/metrics`, { signal: AbortSignal.timeout(30_000) });
  const text = await res.text();
  const ms = performance.now() - t0;
  const probes = [...text.matchAll(/^scrape_auth_probes_total\{[^}]*\} (\S+)$/gm)].reduce((a, m) => a + Number(m[1]), 0);
  const row = [
    ((Date.now() - started) / 60_000).toFixed(1),
    (sample(text, 'process_resident_memory_bytes') / 2 ** 20).toFixed(1),
    (sample(text, 'nodejs_heap_size_used_bytes') / 2 ** 20).toFixed(1),
    String(fds()),
    ms.toFixed(1),
    (text.length / 1024).toFixed(0),
    String(probes),
    `${probeOk}/${probesPerSample}`,
  ];
  rows.push(row);
  console.log(row.map((c) => c.padStart(11)).join(''));
  const wait = Math.min(sampleEveryMs, deadline - Date.now());
  if (wait > 0) await new Promise((r) => setTimeout(r, wait));
}

child.kill('SIGTERM');
const [code] = await once(child, 'exit');
for (const s of servers) {
  s.closeAll?.();
  s.close();
}
rmSync(dir, { recursive: true, force: true });
const col = (i) => rows.map((r) => Number(r[i]));
const span = (i) => `${Math.min(...col(i))}–${Math.max(...col(i))}`;
console.log(`\nrange over the run: rss ${span(1)} MiB, heap ${span(2)} MiB, fds ${span(3)}, /metrics ${span(4)} ms; exporter exited ${code}`);
