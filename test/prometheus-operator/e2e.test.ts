// End to end: the built exporter in sidecar mode on the file layout prometheus-operator gives a Prometheus pod — the
// generated config in config-out (an upstream golden file, only its paths moved under a temporary root), the client
// certificate in a spec.secrets volume with Kubernetes' `..data` symlinks — and a Prometheus whose active targets are
// a real mTLS server and a closed port. The Prometheus API is a small fake speaking its JSON: a real Prometheus 2.42
// cannot load the operator's kubernetes_sd jobs without a cluster.
import { readFile } from 'node:fs/promises';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sampleValue, startExporter, waitFor, type RunningExporter } from '../helpers/exporter.js';
import { createPki, type Pki } from '../web/helpers/pki.js';
import { golden, writeGeneratedConfig, writeSecretVolume } from './layout.js';

const SERVICE_MONITOR = 'serviceMonitor/default/defaultServiceMonitor/0';
const POD_MONITOR = 'podMonitor/default/defaultPodMonitor/0';
const BODY = '# HELP app_up A test metric.\n# TYPE app_up gauge\napp_up 1\n';

function listen(server: http.Server): Promise<number> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)));
}
const close = (server: http.Server) => new Promise<void>((resolve) => server.close(() => resolve()));

interface StatusTarget {
  job: string;
  instance: string;
  result: string;
  statusCode: number | null;
}

describe('the sidecar on the mounts prometheus-operator gives a Prometheus pod', () => {
  let root: string;
  let pki: Pki;
  let target: https.Server;
  let prometheus: http.Server;
  let exporter: RunningExporter | undefined;
  let targetPort: number;
  let closedPort: number;
  let configFile: string;

  beforeAll(async () => {
    root = await mkdtemp(path.join(tmpdir(), 'operator-pod-'));
    pki = createPki();
    // The target accepts only a client certificate from the CA in the Secret, as a kube-rbac-proxy with mTLS would.
    target = https.createServer(
      { cert: await readFile(pki.serverCert), key: await readFile(pki.serverKey), ca: await readFile(pki.caCert), requestCert: true, rejectUnauthorized: true },
      (_req, res) => res.writeHead(200, { 'Content-Type': 'text/plain; version=0.0.4' }).end(BODY),
    );
    targetPort = await listen(target);
    const closed = http.createServer();
    closedPort = await listen(closed);
    await close(closed);

    // What Prometheus reports after relabelling: the ServiceMonitor endpoint scraped over https, the PodMonitor's pod
    // on a port where nothing listens.
    const activeTargets = [
      { scrapePool: SERVICE_MONITOR, scrapeUrl: `https://127.0.0.1:${targetPort}/metrics`, labels: { job: 'app', instance: `127.0.0.1:${targetPort}`, namespace: 'default', service: 'app' } },
      { scrapePool: POD_MONITOR, scrapeUrl: `http://127.0.0.1:${closedPort}/metrics`, labels: { job: 'default/defaultPodMonitor', instance: `127.0.0.1:${closedPort}`, pod: 'app-0' } },
    ];
    prometheus = http.createServer((req, res) => {
      if (req.url?.startsWith('/api/v1/targets')) {
        res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify({ status: 'success', data: { activeTargets, droppedTargets: [] } }));
      } else res.writeHead(404).end();
    });
    const prometheusPort = await listen(prometheus);

    // The pod's files: config-out/prometheus.env.yaml, and spec.secrets "default" at /etc/prometheus/secrets/default.
    configFile = await writeGeneratedConfig(root, golden('monitorObjectWithDefaultScrapeClassAndTLSConfig.golden'));
    await writeSecretVolume(root, 'default', {
      'ca.crt': await readFile(pki.caCert),
      'tls.crt': await readFile(pki.clientCert),
      'tls.key': await readFile(pki.clientKey),
    });
    // The ConfigMap the kustomize patch mounts at /etc/scrape-auth, as shipped, with the paths under the root and
    // a short probe interval for the imported jobs (theirs, scrape_interval 30s, would make the test wait).
    await mkdir(path.join(root, 'etc/scrape-auth'), { recursive: true });
    await writeFile(
      path.join(root, 'etc/scrape-auth/scrape-auth.yml'),
      `global: { probe_interval: 2s, probe_timeout: 1s }
prometheus:
  config_file: ${configFile}
  url: http://127.0.0.1:${prometheusPort}
  probe: { interval: 2s, timeout: 1s }
kubernetes: { enabled: false }
`,
    );
    exporter = await startExporter([`--config.file=${path.join(root, 'etc/scrape-auth/scrape-auth.yml')}`]);
  });

  afterAll(async () => {
    await exporter?.stop();
    await Promise.all([close(target), close(prometheus)]);
    await rm(root, { recursive: true, force: true });
    await rm(pki.dir, { recursive: true, force: true });
  });

  const status = async (): Promise<StatusTarget[]> => {
    const body = (await (await fetch(`${exporter!.baseUrl}/api/v1/status`)).json()) as { data: { targets: StatusTarget[] } };
    return body.data.targets;
  };

  it('probes the targets Prometheus discovered with the client certificate from the spec.secrets mount', async () => {
    const targets = await waitFor(async () => {
      const all = await status();
      const done = all.filter((t) => t.result !== 'pending');
      return done.length === 2 ? all : undefined;
    }, 'both targets probed', 20_000);
    const byJob = Object.fromEntries(targets.map((t) => [t.job, t]));
    expect(byJob[SERVICE_MONITOR]).toMatchObject({ instance: `127.0.0.1:${targetPort}`, result: 'ok', statusCode: 200 });
    expect(byJob[POD_MONITOR]).toMatchObject({ instance: `127.0.0.1:${closedPort}`, result: 'connection_refused' });
  });

  it('imports every job of the generated config and watches the files it names through the ..data symlinks', async () => {
    const metrics = await (await fetch(`${exporter!.baseUrl}/metrics`)).text();
    expect(sampleValue(metrics, 'scrape_auth_config_last_reload_successful')).toBe(1);
    expect(sampleValue(metrics, 'scrape_auth_probe_success', { scrape_job: SERVICE_MONITOR })).toBe(1);
    for (const file of ['ca.crt', 'tls.crt', 'tls.key']) {
      const p = path.join(root, 'etc/prometheus/secrets/default', file);
      expect(sampleValue(metrics, 'scrape_auth_credential_file_readable', { path: p }), p).toBe(1);
    }
    expect(sampleValue(metrics, 'scrape_auth_client_cert_key_match', { scrape_job: SERVICE_MONITOR })).toBe(1);
    // Nothing skipped: every job of this file is one the sidecar probes.
    expect(metrics).not.toMatch(/^scrape_auth_prometheus_job_skipped\{/m);
  });

  it('follows the config when the operator regenerates it: a ScrapeClass now gives the job a token file it lacks', async () => {
    // serviceMonitorObjectWithDefaultScrapeClassAuthz: the same ServiceMonitor job, now with
    // authorization.credentials_file /etc/secret/credentials, a file this pod does not have.
    await writeGeneratedConfig(root, golden('serviceMonitorObjectWithDefaultScrapeClassAuthz.golden'));
    const target = await waitFor(async () => (await status()).find((t) => t.job === SERVICE_MONITOR && t.result === 'credentials_error'), 'the regenerated job probed', 20_000);
    expect(target.statusCode).toBe(0);
    const metrics = await (await fetch(`${exporter!.baseUrl}/metrics`)).text();
    expect(sampleValue(metrics, 'scrape_auth_credential_file_exists', { path: path.join(root, 'etc/secret/credentials') })).toBe(0);
    expect(sampleValue(metrics, 'scrape_auth_config_last_reload_successful')).toBe(1);
  });

  it('never repeats a password the operator inlined into the generated config, nor the client key', async () => {
    // ScrapeConfigSpecConfig_BasicAuth: the operator copies basic-auth passwords from Secrets into the config itself.
    await writeGeneratedConfig(root, golden('ScrapeConfigSpecConfig_BasicAuth.golden'));
    await waitFor(async () => !(await status()).some((t) => t.job === SERVICE_MONITOR), 'the ServiceMonitor job gone with the new config', 20_000);
    const key = (await readFile(pki.clientKey, 'utf8')).split('\n').filter((l) => l && !l.startsWith('-----'));
    const pages = await Promise.all(['/metrics', '/api/v1/status', '/'].map(async (p) => (await fetch(`${exporter!.baseUrl}${p}`)).text()));
    for (const text of [...pages, exporter!.stdout(), exporter!.stderr()]) {
      for (const secret of ['scrape-alice', 'http-sd-alice', ...key]) expect(text).not.toContain(secret);
    }
  });
});
