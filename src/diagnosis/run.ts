// --diagnose: load the config (sidecar import included), probe every target once now, print the causes, exit 0/1.
import { createComponents } from '../components.js';
import type { Environment } from '../kubernetes/in-cluster.js';
import type { LookupFn } from '../probe/connect.js';
import { createLogger, type LogFormat, type LogLevel } from '../log.js';
import { createRegistry, registerSelfMetrics } from '../metrics/self.js';
import { Runtime } from '../runtime.js';
import { createConfigLoader } from '../sidecar/merge.js';
import { diagnoseExitCode, diagnoseRows, renderJson, renderText } from './report.js';

export interface DiagnoseOptions {
  configFile: string;
  /** --diagnose.job: only these jobs (all when empty). */
  jobs: string[];
  output: 'text' | 'json';
  logLevel: LogLevel;
  logFormat: LogFormat;
}

export interface DiagnoseIo {
  stdout: { write(text: string): unknown; isTTY?: boolean };
  stderr: { write(text: string): unknown };
  /** process.env: the Kubernetes service variables, and NO_COLOR. */
  env: Environment & { NO_COLOR?: string | undefined };
  /** Tests only: the DNS lookup the probes use. */
  lookup?: LookupFn;
}

/**
 * The pre-flight check for CI: every target probed once with the job's own authentication, at most
 * max_concurrent_probes at a time and without waiting for any schedule, then one row per target.
 */
export async function runDiagnose(options: DiagnoseOptions, io: DiagnoseIo): Promise<number> {
  // Logs go to stderr, so the JSON on stdout stays clean; at the default level only warnings are worth a line here.
  const logger = createLogger(options.logLevel === 'info' ? 'warn' : options.logLevel, options.logFormat, io.stderr);
  const registry = createRegistry();
  const wiring = createComponents({ registry, logger, env: io.env, probes: { schedule: false, watchFiles: false, ...(io.lookup ? { lookup: io.lookup } : {}) } });
  const runtime = new Runtime({ load: createConfigLoader(options.configFile, logger), components: wiring.components, metrics: registerSelfMetrics(registry), logger });
  try {
    const loaded = await runtime.reload();
    if (!loaded.ok) {
      io.stderr.write(`error: ${loaded.error.message}\n`);
      return 1;
    }
    const config = runtime.current!;
    const known = new Set([...config.config.scrape_configs.map((j) => j.job_name), ...(config.imported?.skipped ?? []).map((s) => s.job)]);
    const unknown = options.jobs.filter((j) => !known.has(j));
    if (unknown.length > 0) {
      io.stderr.write(`error: --diagnose.job names no job of the config: ${unknown.map((j) => JSON.stringify(j)).join(', ')}\n`);
      return 1;
    }
    const wanted = (job: string) => options.jobs.length === 0 || options.jobs.includes(job);
    for (const s of config.imported?.skipped ?? []) {
      if (wanted(s.job)) io.stderr.write(`note: job "${s.job}" of ${config.imported!.file} is not probed (${s.reason})\n`);
    }
    // Sidecar mode with prometheus.url: Prometheus's active targets first, then the probes.
    if (config.config.prometheus?.url !== undefined) {
      await wiring.sync.syncNow();
      if (wiring.sync.lastSyncSuccessful === false) {
        io.stderr.write(`error: cannot read the active targets of ${redactUrl(config.config.prometheus.url)}: the targets it discovers are not checked\n`);
      }
    }
    // A 403 is explained with the RBAC answers when they come (bounded by the review timeout).
    await wiring.rbac.settled();
    await wiring.probes.probeAll(wanted);
    const rows = diagnoseRows(wiring.probes.targets().filter((t) => wanted(t.job)));
    const colour = io.stdout.isTTY === true && !io.env.NO_COLOR;
    io.stdout.write(options.output === 'json' ? renderJson(rows) : renderText(rows, colour));
    if (rows.length === 0) io.stderr.write('error: no targets to probe: nothing was checked\n');
    const syncFailed = config.config.prometheus?.url !== undefined && wiring.sync.lastSyncSuccessful === false;
    return syncFailed ? 1 : diagnoseExitCode(rows);
  } finally {
    await runtime.stop();
  }
}

function redactUrl(raw: string): string {
  try {
    const u = new URL(raw);
    return `${u.protocol}//${u.host}${u.pathname === '/' ? '' : u.pathname}`;
  } catch {
    return 'prometheus.url';
  }
}
