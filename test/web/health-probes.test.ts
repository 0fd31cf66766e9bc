// The liveness and readiness probes the manifests ship must pass whether or not --web.config.file protects the
// exporter. Like exporter-toolkit and Prometheus, the web config covers every endpoint, /-/healthy and /-/ready
// included (docs/web.md, "Health checks"), so the probes are TCP: each one is run here as the kubelet runs it,
// against the built exporter without a web config and with basic auth over mutual TLS.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import bcrypt from 'bcryptjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { startExporter, type RunningExporter } from './helpers/exporter.js';
import { request } from './helpers/http.js';
import { createPki, type Pki } from './helpers/pki.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
const PASSWORD = 'canary-health-pw-4e21b';

interface Probe {
  tcpSocket?: { port: string | number };
  httpGet?: { path: string; port: string | number; scheme?: 'HTTP' | 'HTTPS' };
  exec?: unknown;
}
interface Container {
  name: string;
  ports?: { name: string; containerPort: number }[];
  livenessProbe?: Probe;
  readinessProbe?: Probe;
}

/** The sidecar container as each shipped manifest declares it. */
function shippedSidecars(): [string, Container][] {
  const yaml = (file: string): unknown => parse(readFileSync(path.join(ROOT, file), 'utf8'));
  const deployment = yaml('k8s/base/deployment.yaml') as { spec: { template: { spec: { containers: Container[] } } } };
  const patch = yaml('k8s/components/prometheus-operator-sidecar/sidecar-patch.yaml') as { spec: { containers: Container[] } };
  const values = yaml('deploy/kube-prometheus-stack/values.yaml') as { prometheus: { prometheusSpec: { containers: Container[] } } };
  const sidecar = (list: Container[]) => list.find((c) => c.name === 'scrape-auth-exporter')!;
  return [
    ['k8s/base', sidecar(deployment.spec.template.spec.containers)],
    ['k8s/components/prometheus-operator-sidecar', sidecar(patch.spec.containers)],
    ['deploy/kube-prometheus-stack/values.yaml', sidecar(values.prometheus.prometheusSpec.containers)],
  ];
}

function tcpConnects(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/**
 * One probe as the kubelet performs it: TCP — the connection opens; HTTP(S) GET — a status from 200 to 399, with no
 * credentials, no client certificate and no server certificate check (what the kubelet sends).
 */
async function kubeletProbe(probe: Probe, container: Container, actualPort: number): Promise<boolean> {
  const named = (port: string | number) => {
    const declared = typeof port === 'number' ? port : container.ports?.find((p) => p.name === port)?.containerPort;
    expect(declared, `port ${port} is declared by the container`).toBeDefined();
    return actualPort; // the exporter under test listens on a free port rather than the declared one
  };
  if (probe.tcpSocket) return tcpConnects(named(probe.tcpSocket.port));
  if (probe.httpGet) {
    const port = named(probe.httpGet.port);
    const lib = probe.httpGet.scheme === 'HTTPS' ? https : http;
    return new Promise((resolve) => {
      const req = lib.get({ host: '127.0.0.1', port, path: probe.httpGet!.path, agent: false, rejectUnauthorized: false, timeout: 5000 }, (res) => {
        res.resume();
        resolve((res.statusCode ?? 0) >= 200 && (res.statusCode ?? 0) < 400);
      });
      req.once('error', () => resolve(false));
      req.once('timeout', () => req.destroy());
    });
  }
  throw new Error(`unsupported probe ${JSON.stringify(probe)}`);
}

describe('the shipped liveness and readiness probes', () => {
  let pki: Pki;
  let dir: string;
  let plain: RunningExporter;
  let protectedExporter: RunningExporter;

  beforeAll(async () => {
    pki = createPki();
    dir = mkdtempSync(path.join(tmpdir(), 'health-probes-'));
    const config = path.join(dir, 'scrape-auth.yml');
    writeFileSync(config, 'global: { probe_interval: 30s, probe_timeout: 1s }\nscrape_configs: []\n');
    // Basic auth over mutual TLS: the strictest web config, where neither an HTTP nor an HTTPS probe gets through.
    const web = path.join(dir, 'web.yml');
    writeFileSync(
      web,
      `tls_server_config:
  cert_file: ${pki.serverCert}
  key_file: ${pki.serverKey}
  client_auth_type: RequireAndVerifyClientCert
  client_ca_file: ${pki.caCert}
basic_auth_users:
  prometheus: ${bcrypt.hashSync(PASSWORD, 4)}
`,
    );
    [plain, protectedExporter] = await Promise.all([startExporter([`--config.file=${config}`]), startExporter([`--config.file=${config}`, `--web.config.file=${web}`])]);
  });

  afterAll(async () => {
    await Promise.all([plain?.stop(), protectedExporter?.stop()]);
    rmSync(dir, { recursive: true, force: true });
    rmSync(pki.dir, { recursive: true, force: true });
  });

  describe.each(shippedSidecars())('in %s', (_where, container) => {
    it.each(['livenessProbe', 'readinessProbe'] as const)('%s passes without a web config and with basic auth over mTLS, carrying no secret', async (kind) => {
      const probe = container[kind]!;
      expect(probe).toBeDefined();
      expect(JSON.stringify(probe)).not.toMatch(/authorization|httpHeaders/i);
      expect(await kubeletProbe(probe, container, plain.port)).toBe(true);
      expect(await kubeletProbe(probe, container, protectedExporter.port)).toBe(true);
    });
  });

  it('an HTTP(S) probe of /-/healthy or /-/ready would not pass once the web config protects them, as in exporter-toolkit', async () => {
    const container: Container = { name: 'x', ports: [{ name: 'p', containerPort: 9863 }] };
    for (const path of ['/-/healthy', '/-/ready']) {
      expect(await kubeletProbe({ httpGet: { path, port: 'p' } }, container, plain.port)).toBe(true);
      expect(await kubeletProbe({ httpGet: { path, port: 'p' } }, container, protectedExporter.port)).toBe(false);
      expect(await kubeletProbe({ httpGet: { path, port: 'p', scheme: 'HTTPS' } }, container, protectedExporter.port)).toBe(false);
    }
    // With the client certificate and the password they answer, so they are still there for whoever may ask.
    const answer = await request(`https://127.0.0.1:${protectedExporter.port}/-/healthy`, {
      ca: readFileSync(pki.caCert),
      cert: readFileSync(pki.clientCert),
      key: readFileSync(pki.clientKey),
      auth: { user: 'prometheus', password: PASSWORD },
    });
    expect(answer).toMatchObject({ ok: true, status: 200 });
  });
});
