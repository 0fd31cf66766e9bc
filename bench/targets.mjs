// The bench's scrape targets, run as their own process so their CPU is never counted against an exporter:
// a bearer-token target over HTTP and an mTLS target over HTTPS, each listening on one port of many loopback addresses.
import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';

const options = JSON.parse(process.argv[2]);
const { token, ca, serverCert, serverKey, addresses } = options;
// The scale section serves one kind at a time (a listener per address is a descriptor) and keeps connections open
// as a Go exporter does (no idle timeout of its own); the other sections use Node's short default.
const kinds = options.kinds ?? ['bearer', 'mtls'];
const keepAliveTimeout = options.keepAliveMs ?? 1000;

// Arrival times per target address while recording: the scale section's schedule lateness, |gap − interval|.
let recording = false;
const arrivals = new Map();
function arrived(req) {
  if (!recording) return;
  const key = `${req.socket.localAddress}:${req.socket.localPort}`;
  const list = arrivals.get(key);
  if (list) list.push(performance.now());
  else arrivals.set(key, [performance.now()]);
}

// What a small exporter answers: enough lines that both probers see a real exposition.
const BODY = Array.from({ length: 20 }, (_, i) => `# HELP bench_value_${i} A bench value.\n# TYPE bench_value_${i} gauge\nbench_value_${i} ${i}\n`).join('');
const counts = { bearer_ok: 0, bearer_denied: 0, mtls_ok: 0 };

const expected = `Bearer ${token}`;
const bearer = http.createServer({ keepAliveTimeout }, (req, res) => {
  arrived(req);
  if (req.headers.authorization !== expected) {
    counts.bearer_denied++;
    res.writeHead(401, { 'content-type': 'text/plain' }).end('Unauthorized\n');
    return;
  }
  counts.bearer_ok++;
  res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }).end(BODY);
});

// requestCert + rejectUnauthorized: a handshake without a client certificate from our CA fails, as kube-rbac-proxy's would.
const mtls = https.createServer(
  { ca: readFileSync(ca), cert: readFileSync(serverCert), key: readFileSync(serverKey), requestCert: true, rejectUnauthorized: true, keepAliveTimeout },
  (req, res) => {
    arrived(req);
    counts.mtls_ok++;
    res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }).end(BODY);
  },
);

/** One port on every address, each connection handed to the one server: N targets without N servers. */
async function listenAll(server, hosts) {
  let port = 0;
  for (const host of hosts) {
    const listener = net.createServer({ pauseOnConnect: false }, (socket) => server.emit('connection', socket));
    await new Promise((resolve, reject) => {
      listener.once('error', reject);
      listener.listen(port, host, () => resolve());
    });
    port = listener.address().port;
  }
  return port;
}

const ports = {
  bearer: kinds.includes('bearer') ? await listenAll(bearer, addresses) : undefined,
  mtls: kinds.includes('mtls') ? await listenAll(mtls, addresses) : undefined,
};
// No server-side timeout cuts a kept connection short (Node's default headersTimeout/requestTimeout do not apply to idle ones).
for (const server of [bearer, mtls]) server.headersTimeout = 60_000;

process.on('message', (msg) => {
  if (msg === 'counts') process.send({ counts: { ...counts } });
  if (msg === 'record') {
    arrivals.clear();
    recording = true;
    process.send({ recording: true });
  }
  if (msg?.lateness) {
    recording = false;
    // Every gap between two probes of one target, less the interval: 0 for a perfect schedule.
    const deviations = [];
    for (const times of arrivals.values()) {
      for (let i = 1; i < times.length; i++) deviations.push(Math.abs(times[i] - times[i - 1] - msg.lateness.intervalMs));
    }
    process.send({ deviations, targetsSeen: arrivals.size });
  }
});
process.on('disconnect', () => process.exit(0));
process.send({ ready: true, ports });
