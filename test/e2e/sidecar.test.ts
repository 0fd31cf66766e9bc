// End to end, sidecar mode against a real Prometheus: same prometheus.yml, same verdicts, and ours first.
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAIN, sampleValue, startExporter, waitFor, type RunningExporter } from '../helpers/exporter.js';
import { freePort, hasPrometheus, PROMETHEUS_BIN, startPrometheus, type PrometheusTarget, type RunningPrometheus } from './prometheus.js';
import { bearerTarget, makePki, mtlsTarget, type TargetServer } from './targets.js';

const GOOD = `good-${randomBytes(8).toString('hex')}`;
const FORBIDDEN = `forbidden-${randomBytes(8).toString('hex')}`;
const WRONG = `wrong-${randomBytes(8).toString('hex')}`;

/** What each job must end as, on both sides: the test fails if Prometheus disagrees with the table too. */
const EXPECTED: Record<string, { up: number; result: string }> = {
  good: { up: 1, result: 'ok' },
  wrong: { up: 0, result: 'unauthorized' },
  forbidden: { up: 0, result: 'forbidden' },
  mtls: { up: 0, result: 'tls_error' },
  closed: { up: 0, result: 'connection_refused' },
};

/** Prometheus's lastError, in our result vocabulary. */
function resultOfPrometheusError(lastError: string): string | undefined {
  if (lastError === '') return 'ok';
  if (/server returned HTTP status 401/.test(lastError)) return 'unauthorized';
  if (/server returned HTTP status 403/.test(lastError)) return 'forbidden';
  if (/connection refused/.test(lastError)) return 'connection_refused';
  if (/\btls:|x509:|certificate/.test(lastError)) return 'tls_error';
  return undefined;
}

describe('sidecar mode next to a real Prometheus', () => {
  let dir: string;
  let prometheus: RunningPrometheus | undefined;
  let exporter: RunningExporter | undefined;
  const servers: TargetServer[] = [];

  beforeAll(async () => {
    if (!existsSync(MAIN)) throw new Error(`${MAIN} is missing: run npm run build first`);
    if (!hasPrometheus) throw new Error(`${PROMETHEUS_BIN} is missing: install Debian's prometheus package`);
    dir = await mkdtemp(path.join(tmpdir(), 'sidecar-e2e-'));
    await mkdir(path.join(dir, 'tokens'));
    await mkdir(path.join(dir, 'tls'));
    const pki = makePki(path.join(dir, 'tls'));
    await writeFile(path.join(dir, 'tokens', 'good'), `${GOOD}\n`);
    await writeFile(path.join(dir, 'tokens', 'wrong'), `${WRONG}\n`);
    await writeFile(path.join(dir, 'tokens', 'forbidden'), `${FORBIDDEN}\n`);
    const bearer = await bearerTarget({ good: GOOD, forbidden: FORBIDDEN });
    const mtls = await mtlsTarget(pki);
    servers.push(bearer, mtls);
    const closed = `127.0.0.1:${await freePort()}`;

    // Relative paths on purpose: both Prometheus and the exporter resolve them against prometheus.yml's directory.
    await writeFile(
      path.join(dir, 'prometheus.yml'),
      `global: { scrape_interval: 1s, scrape_timeout: 1s }
scrape_configs:
  - job_name: good
    authorization: { credentials_file: tokens/good }
    static_configs: [ { targets: ["${bearer.address}"], labels: { case: good } } ]
  - job_name: wrong
    authorization: { credentials_file: tokens/wrong }
    static_configs: [ { targets: ["${bearer.address}"], labels: { case: wrong } } ]
  - job_name: forbidden
    authorization: { credentials_file: tokens/forbidden }
    static_configs: [ { targets: ["${bearer.address}"], labels: { case: forbidden } } ]
  - job_name: mtls
    scheme: https
    tls_config: { ca_file: tls/ca.pem }
    static_configs: [ { targets: ["${mtls.address}"], labels: { case: mtls } } ]
  - job_name: closed
    static_configs: [ { targets: ["${closed}"], labels: { case: closed } } ]
`,
    );
    prometheus = await startPrometheus(path.join(dir, 'prometheus.yml'), dir);
    // Prometheus hands discovered targets to its scrapers only every 5 s: start the exporter once they are
    // active, so its first read of /api/v1/targets finds them.
    await waitFor(async () => (await prometheus!.activeTargets()).length === 5, 'Prometheus to activate its five targets', 20_000, 100);
    await writeFile(
      path.join(dir, 'scrape-auth.yml'),
      // Five times less often than Prometheus scrapes: our lead on a rotation comes from probing the moment a
      // credential file changes, not from probing more often.
      `global: { probe_interval: 5s, probe_timeout: 1s }
prometheus:
  config_file: prometheus.yml
  url: ${prometheus.url}
`,
    );
    exporter = await startExporter([`--config.file=${path.join(dir, 'scrape-auth.yml')}`, '--log.level=debug']);
  }, 40_000);

  afterAll(async () => {
    await exporter?.stop();
    await prometheus?.stop();
    await Promise.all(servers.map((s) => s.close()));
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const ours = async () => (await fetch(`${exporter!.baseUrl}/metrics`)).text();
  const theirs = async () => {
    const byJob = new Map<string, PrometheusTarget>();
    for (const t of await prometheus!.activeTargets()) if (t.health !== 'unknown') byJob.set(t.scrapePool, t);
    return byJob;
  };

  it('reaches the verdict Prometheus reaches for every target, and the same reason', async () => {
    // Prometheus hands discovered targets to its scrapers every 5 s; wait until both sides judged all five.
    const snapshot = await waitFor(
      async () => {
        const [text, targets] = await Promise.all([ours(), theirs()]);
        const jobs = Object.keys(EXPECTED);
        const ready = jobs.every((job) => targets.has(job) && sampleValue(text, 'scrape_auth_probe_success', { scrape_job: job }) !== undefined);
        return ready ? { text, targets } : undefined;
      },
      'both Prometheus and the exporter to judge every target',
      30_000,
      100,
    );

    const table: string[] = [];
    for (const [job, expected] of Object.entries(EXPECTED)) {
      const target = snapshot.targets.get(job)!;
      const up = await waitFor(() => prometheus!.queryValue(`up{job="${job}"}`).then((v) => (v === undefined ? undefined : { v })), `up{job="${job}"}`, 10_000, 100);
      const ourSuccess = sampleValue(snapshot.text, 'scrape_auth_probe_success', { scrape_job: job });
      const ourResult = ['ok', 'unauthorized', 'forbidden', 'tls_error', 'connection_refused', 'timeout', 'network_error', 'http_error', 'invalid_response', 'credentials_error', 'dns_error'].find(
        (r) => sampleValue(snapshot.text, 'scrape_auth_probe_result', { scrape_job: job, result: r }) === 1,
      );
      table.push(`${job}: prometheus up=${up.v} lastError=${JSON.stringify(target.lastError)}; ours success=${ourSuccess} result=${ourResult}`);
      expect.soft({ job, up: up.v, reason: resultOfPrometheusError(target.lastError) }, 'Prometheus').toEqual({ job, up: expected.up, reason: expected.result });
      expect.soft({ job, success: ourSuccess, result: ourResult }, 'ours equals Prometheus').toEqual({ job, success: up.v, result: resultOfPrometheusError(target.lastError) });
    }
    console.log(`verdicts:\n  ${table.join('\n  ')}`);
    // The target's own labels come through; Prometheus's job/instance labels do not.
    expect(snapshot.text).toMatch(/scrape_auth_probe_success\{[^}]*case="mtls"[^}]*\} 0/);
    expect(snapshot.text).not.toMatch(/scrape_auth_probe_success\{[^}]*\binstance="/);
    // Each target probed once: Prometheus's API is the truth, the static list is not probed beside it.
    expect(snapshot.text.match(/^scrape_auth_probe_success\{/gm)).toHaveLength(5);
    expect(sampleValue(snapshot.text, 'scrape_auth_prometheus_sync_success')).toBe(1);
    for (const job of Object.keys(EXPECTED)) expect(sampleValue(snapshot.text, 'scrape_auth_prometheus_targets', { scrape_job: job }), job).toBe(1);
    // The token files prometheus.yml names (relative to it) are watched like our own config's.
    expect(sampleValue(snapshot.text, 'scrape_auth_credential_file_readable', { path: path.join(dir, 'tokens', 'wrong') })).toBe(1);
    expect(sampleValue(snapshot.text, 'scrape_auth_credential_usage_info', { path: path.join(dir, 'tls', 'ca.pem'), scrape_job: 'mtls', usage: 'ca' })).toBe(1);
  });

  it('turns green after the wrong token file is rotated to the right token, before Prometheus does', async () => {
    await waitFor(async () => sampleValue(await ours(), 'scrape_auth_probe_success', { scrape_job: 'wrong' }) === 0, 'ours red', 10_000);
    // Rotate just after Prometheus scraped the job: its next scrape is then about a whole interval (1 s) away,
    // whatever phase its scrape loop has in this run, so "ours first" does not depend on luck.
    const before = (await theirs()).get('wrong')?.lastScrape;
    await waitFor(async () => (await theirs()).get('wrong')?.lastScrape !== before, 'a fresh Prometheus scrape of job wrong', 5000, 5);
    // Rename over the file, as an atomic writer does: nobody reads half a token.
    await writeFile(path.join(dir, 'tokens', '.wrong.tmp'), `${GOOD}\n`);
    const rotatedMs = Date.now();
    await rename(path.join(dir, 'tokens', '.wrong.tmp'), path.join(dir, 'tokens', 'wrong'));

    let oursGreenMs: number | undefined;
    let theirsGreenMs: number | undefined;
    await waitFor(
      async () => {
        if (oursGreenMs === undefined) {
          const text = await ours();
          if (sampleValue(text, 'scrape_auth_probe_success', { scrape_job: 'wrong' }) === 1) {
            oursGreenMs = sampleValue(text, 'scrape_auth_probe_timestamp_seconds', { scrape_job: 'wrong' })! * 1000;
          }
        }
        if (theirsGreenMs === undefined) {
          const target = (await theirs()).get('wrong');
          // lastScrape is when the scrape started; ours is when the probe finished: compare finishing times.
          if (target?.health === 'up') theirsGreenMs = Date.parse(target.lastScrape) + target.lastScrapeDuration * 1000;
        }
        return oursGreenMs !== undefined && theirsGreenMs !== undefined;
      },
      'both sides green after the rotation',
      20_000,
      20,
    );
    console.log(`rotation → green: ours ${oursGreenMs! - rotatedMs} ms, Prometheus ${theirsGreenMs! - rotatedMs} ms`);
    expect(oursGreenMs!).toBeLessThanOrEqual(theirsGreenMs!);
    await waitFor(async () => (await prometheus!.queryValue('up{job="wrong"}')) === 1, 'up{job="wrong"} == 1 in Prometheus', 10_000, 100);
    expect(sampleValue(await ours(), 'scrape_auth_credential_file_changes_total', { path: path.join(dir, 'tokens', 'wrong') })).toBe(1);
  });

  it('keeps probing on the last good import when prometheus.yml breaks, and takes the fixed file', async () => {
    const file = path.join(dir, 'prometheus.yml');
    const good = await readFile(file, 'utf8');
    await writeFile(file, `${good}  - job_name: broken\n   static_configs: [\n`);
    await waitFor(async () => sampleValue(await ours(), 'scrape_auth_config_last_reload_successful') === 0, 'the failed reload', 10_000);
    expect(exporter!.stderr()).toMatch(/Error reloading config, keeping the previous one.*prometheus\.yml:\d+:\d+: YAML error/);
    expect(sampleValue(await ours(), 'scrape_auth_probe_success', { scrape_job: 'good' })).toBe(1);
    await writeFile(file, `${good}  - job_name: added\n    static_configs: [ { targets: ["127.0.0.1:1"] } ]\n`);
    await waitFor(async () => sampleValue(await ours(), 'scrape_auth_config_last_reload_successful') === 1, 'the good reload', 10_000);
    expect(sampleValue(await ours(), 'scrape_auth_prometheus_jobs')).toBe(6);
  });

  it('never shows a token in its metrics or logs', async () => {
    const text = await ours();
    for (const secret of [GOOD, WRONG, FORBIDDEN]) {
      expect(text).not.toContain(secret);
      expect(exporter!.stderr()).not.toContain(secret);
    }
  });
});
