// A credential file deleted or re-created (even with the same content) re-probes its jobs at once, and the
// diagnosis metric keeps exactly one series per target, its cause replaced as it changes.
import { randomBytes } from 'node:crypto';
import { rmSync, unlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createComponents, type Wiring } from '../../src/components.js';
import { createConfigLoader } from '../../src/sidecar/merge.js';
import { silentLogger } from '../../src/log.js';
import { createRegistry, registerSelfMetrics } from '../../src/metrics/self.js';
import { Runtime } from '../../src/runtime.js';
import type { Registry } from 'prom-client';
import express from 'express';
import type { AddressInfo } from 'node:net';
import { createProbeRouter } from '../../src/probe/router.js';
import { METRICS_BODY, startServer, tmpDir, until, type TestServer } from '../probe/helpers.js';

const TOKEN = `reprobe-${randomBytes(8).toString('hex')}`;
let dir: string;
let server: TestServer;
let registry: Registry;
let wiring: Wiring;
let runtime: Runtime;
let tokenFile: string;

function diagnosisLines(text: string): string[] {
  return text.split('\n').filter((l) => l.startsWith('scrape_auth_probe_diagnosis{'));
}

beforeAll(async () => {
  dir = tmpDir('diagnosis-reprobe-');
  server = await startServer((req, res) => {
    if (req.headers.authorization === `Bearer ${TOKEN}`) return void res.writeHead(200, { 'Content-Type': 'text/plain' }).end(METRICS_BODY);
    res.writeHead(401).end();
  });
  tokenFile = path.join(dir, 'token');
  writeFileSync(tokenFile, `${TOKEN}\n`, { mode: 0o640 });
  // An hour between probes and between polls: only the file watcher can make a probe happen during the test.
  writeFileSync(
    path.join(dir, 'scrape-auth.yml'),
    `global: { probe_interval: 1h, probe_timeout: 5s, credential_poll_interval: 1h }
scrape_configs:
  - { job_name: app, authorization: { credentials_file: token }, static_configs: [ { targets: ["${server.address}"], labels: { team: a } } ] }
`,
  );
  registry = createRegistry();
  wiring = createComponents({ registry, logger: silentLogger() });
  runtime = new Runtime({ load: createConfigLoader(path.join(dir, 'scrape-auth.yml'), silentLogger()), components: wiring.components, metrics: registerSelfMetrics(registry), logger: silentLogger() });
  expect((await runtime.reload()).ok).toBe(true);
  await wiring.probes.probeAll();
});

afterAll(async () => {
  await runtime.stop();
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

const cause = () => wiring.probes.targets()[0]?.diagnosis?.cause;

describe('re-probe on credential file deletion and creation', () => {
  it('starts ok, with one diagnosis series carrying the target labels', async () => {
    expect(cause()).toBe('ok');
    expect(diagnosisLines(await registry.metrics())).toEqual([`scrape_auth_probe_diagnosis{scrape_job="app",scrape_instance="${server.address}",team="a",cause="ok"} 1`]);
  });

  it('probes at once when the file is deleted: credential_file_missing, the ok series replaced', async () => {
    const before = server.requests.length;
    unlinkSync(tokenFile);
    await until(() => cause() === 'credential_file_missing', 10_000);
    // Nothing was sent: the probe stopped at the missing file.
    expect(server.requests.length).toBe(before);
    expect(diagnosisLines(await registry.metrics())).toEqual([
      `scrape_auth_probe_diagnosis{scrape_job="app",scrape_instance="${server.address}",team="a",cause="credential_file_missing"} 1`,
    ]);
    expect(wiring.probes.targets()[0]?.diagnosis?.fix).toContain(tokenFile);
  });

  it('probes at once when the file comes back with the very same content (no rotation): ok again', async () => {
    writeFileSync(tokenFile, `${TOKEN}\n`, { mode: 0o640 });
    await until(() => cause() === 'ok', 10_000);
    expect(diagnosisLines(await registry.metrics())).toHaveLength(1);
    expect(wiring.credentials.file(tokenFile)?.changes).toBe(0);
  });
});

describe('GET /probe', () => {
  it('answers the diagnosis of its one probe like the scheduled ones', async () => {
    const app = express().use(createProbeRouter(wiring.probes));
    const listener = app.listen(0, '127.0.0.1');
    await new Promise<void>((r) => listener.once('listening', () => r()));
    try {
      const port = (listener.address() as AddressInfo).port;
      const res = await fetch(`http://127.0.0.1:${port}/probe?module=app&target=${server.address}`);
      const text = await res.text();
      expect(text).toContain(`scrape_auth_probe_diagnosis{scrape_job="app",scrape_instance="${server.address}",cause="ok"} 1`);
      expect(text).not.toContain(TOKEN);
    } finally {
      await new Promise<void>((r) => listener.close(() => r()));
    }
  });
});
