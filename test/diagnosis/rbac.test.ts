// A bare 403 (no body naming the permission) explained by the API server's answers: the fix names the denied
// permission as the kubectl command and the ClusterRole rule, for the pod's service account (from its token's sub).
import { randomBytes } from 'node:crypto';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createComponents, type Wiring } from '../../src/components.js';
import { silentLogger } from '../../src/log.js';
import { createRegistry, registerSelfMetrics } from '../../src/metrics/self.js';
import { Runtime } from '../../src/runtime.js';
import { createConfigLoader } from '../../src/sidecar/merge.js';
import { makeCert, startFakeApiServer, type FakeApiServer, type TestCert } from '../kubernetes/fake-apiserver.js';
import { startServer, tmpDir, until, type TestServer } from '../probe/helpers.js';

const SA = 'system:serviceaccount:monitoring:prometheus';
let cert: TestCert;
let api: FakeApiServer;
let target: TestServer;
let dir: string;
let wiring: Wiring;
let runtime: Runtime;
let token: string;

beforeAll(async () => {
  cert = makeCert();
  token = await new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setSubject(SA).setExpirationTime(Math.floor(Date.now() / 1000) + 3600).sign(randomBytes(32));
  api = await startFakeApiServer(cert, token);
  // The service account may get nodes, but not nodes/metrics.
  api.allowed = new Set(['get nodes']);
  // A kubelet-like target that answers 403 without saying which permission is missing.
  target = await startServer((_req, res) => void res.writeHead(403).end());
  dir = tmpDir('diagnosis-rbac-');
  const sa = path.join(dir, 'serviceaccount');
  mkdirSync(sa);
  writeFileSync(path.join(sa, 'token'), token, { mode: 0o640 });
  writeFileSync(path.join(sa, 'ca.crt'), cert.cert);
  writeFileSync(
    path.join(dir, 'scrape-auth.yml'),
    `global: { probe_interval: 1h, probe_timeout: 5s, credential_poll_interval: 1h }
kubernetes: { rbac_checks: [ { verb: get, resource: nodes, subresource: metrics }, { verb: get, resource: nodes } ] }
scrape_configs:
  - { job_name: kubelet, authorization: { credentials_file: serviceaccount/token }, static_configs: [ { targets: ["${target.address}"] } ] }
`,
  );
  const registry = createRegistry();
  wiring = createComponents({ registry, logger: silentLogger(), env: { KUBERNETES_SERVICE_HOST: '127.0.0.1', KUBERNETES_SERVICE_PORT: String(api.port) }, serviceAccountDir: sa });
  runtime = new Runtime({ load: createConfigLoader(path.join(dir, 'scrape-auth.yml'), silentLogger()), components: wiring.components, metrics: registerSelfMetrics(registry), logger: silentLogger() });
  expect((await runtime.reload()).ok).toBe(true);
  await wiring.probes.probeAll();
});

afterAll(async () => {
  await runtime.stop();
  await target.close();
  await api.close();
  rmSync(dir, { recursive: true, force: true });
  rmSync(cert.dir, { recursive: true, force: true });
});

describe('permission_denied from the RBAC answers', () => {
  it('first proves its setup: the target answers a bare 403, the API server denies get nodes/metrics', async () => {
    expect((await fetch(`http://${target.address}/metrics`, { headers: { Authorization: `Bearer ${token}` } })).status).toBe(403);
    await wiring.rbac.settled();
    expect(wiring.rbac.status().checks.map((c) => [c.resource, c.subresource, c.allowed])).toEqual([
      ['nodes', 'metrics', false],
      ['nodes', '', true],
    ]);
  });

  it('names the denied permission with the kubectl command and the ClusterRole rule, as soon as the answers come', async () => {
    await until(() => wiring.probes.targets()[0]?.diagnosis?.fix.includes('can-i') === true && wiring.probes.targets()[0]!.diagnosis!.fix.includes(SA));
    const d = wiring.probes.targets()[0]!.diagnosis!;
    expect(d.cause).toBe('permission_denied');
    expect(d.fix).toContain(`kubectl auth can-i get nodes/metrics --as=${SA}`);
    expect(d.fix).toContain('{apiGroups: [""], resources: ["nodes/metrics"], verbs: ["get"]}');
    expect(d.fix).not.toContain('resources: ["nodes"]');
    expect(JSON.stringify(d)).not.toContain(token);
  });
});
