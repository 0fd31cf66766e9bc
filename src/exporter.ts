// Composition root: flags, config, components, the HTTP server and signals. The only file that touches `process`
// (with heap.ts, which main.ts runs before it loads this module).
import type { AddressInfo } from 'node:net';
import { createApp } from './app.js';
import { parseCli, type CliOptions } from './cli.js';
import { createComponents } from './components.js';
import { checkConfigFiles } from './config/check.js';
import { ConfigError } from './config/load.js';
import type { Demo } from './demo/demo.js';
import { allowYoungGenerationGrowth } from './heap.js';
import { createLogger, silentLogger } from './log.js';
import { createRegistry, registerSelfMetrics } from './metrics/self.js';
import { Runtime } from './runtime.js';
import { createConfigLoader, describeImport } from './sidecar/merge.js';
import { VERSION } from './version.js';
import { createStatusRouter } from './web/router.js';
import { createHttpServer, createTlsServer, type WebServer } from './web/server.js';
import type { WebConfigSource } from './web/source.js';

const SHUTDOWN_GRACE_MS = 1500;
/** Set by a signal during start-up: whatever the half-started exporter then reports, the exit code is 0. */
let stoppingDuringStartup = false;

async function main(argv: string[]): Promise<number> {
  const parsed = parseCli(argv);
  if (parsed.kind === 'exit') {
    process.stdout.write(parsed.stdout);
    process.stderr.write(parsed.stderr);
    return parsed.code;
  }
  const options = parsed.options;
  if (options.configCheck) return configCheck(options);
  if (options.diagnose) {
    const { runDiagnose } = await import('./diagnosis/run.js');
    return runDiagnose(
      { configFile: options.configFile, jobs: options.diagnoseJobs, output: options.diagnoseOutput, logLevel: options.logLevel, logFormat: options.logFormat },
      { stdout: process.stdout, stderr: process.stderr, env: process.env },
    );
  }

  const logger = createLogger(options.logLevel, options.logFormat);
  // SIGTERM or SIGINT while starting (Kubernetes stops pods that are still starting): stop what exists, exit 0,
  // as after start-up. Replaced by the regular handlers once listening.
  let stopAll: () => Promise<void> = async () => undefined;
  const startupSignal = (signal: string) => {
    stoppingDuringStartup = true;
    logger.info({ signal }, 'Shutting down during start-up');
    const force = setTimeout(() => process.exit(0), SHUTDOWN_GRACE_MS);
    force.unref();
    void stopAll().finally(() => process.exit(0));
  };
  // One listener per signal for the whole run, pointed at the current handler: removing a listener and adding
  // another lets Node close and reopen the signal watcher, and a signal pending in between is lost (seen: a
  // SIGTERM right after "Listening on" left the process running).
  let onSignal: (signal: string) => void = startupSignal;
  let signalled = false;
  const dispatch = (signal: string) => {
    if (signalled) return;
    signalled = true;
    onSignal(signal);
  };
  process.on('SIGTERM', () => dispatch('SIGTERM'));
  process.on('SIGINT', () => dispatch('SIGINT'));
  let web: WebConfigSource | undefined;
  if (options.webConfigFile !== undefined) {
    // Imported only with --web.config.file: its schema, TLS loading and bcrypt are megabytes of RSS otherwise unused.
    const { WebConfigSource } = await import('./web/source.js');
    try {
      web = await WebConfigSource.open(options.webConfigFile, logger);
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      process.stderr.write(`error: invalid web config: ${err.message}\n`);
      return 1;
    }
  }
  const registry = createRegistry();
  const metrics = registerSelfMetrics(registry);
  // The runtime does not exist yet when the components are built; a reload request can only come later.
  let runtime: Runtime | undefined;
  const wiring = createComponents({
    registry,
    logger,
    env: process.env,
    requestReload: () => void runtime?.reload(),
    probeAllowAnyTarget: options.probeAllowAnyTarget,
  });
  // Imported only with --demo: its PKI library (node-forge) and target cost megabytes of RSS nobody else needs.
  const demo: Demo | undefined = options.demo ? await (await import('./demo/demo.js')).startDemo({ logger }) : undefined;
  const configFile = demo?.configFile ?? options.configFile;
  runtime = new Runtime({ load: createConfigLoader(configFile, logger), components: wiring.components, metrics, logger });
  stopAll = async () => {
    // Side by side: the demo's directory (tokens, passwords) goes even when a component is slow to stop.
    await Promise.all([runtime?.stop(), demo?.stop()]);
  };

  const first = await runtime.reload();
  if (!first.ok) {
    process.stderr.write(`error: ${first.error.message}\n`);
    await stopAll();
    return 1;
  }

  logger.info({ version: VERSION, nodejs: process.version }, 'Started scrape-auth-exporter');
  const statusRouter = createStatusRouter({
    sources: wiring.status,
    config: () => ({ file: configFile, ...runtime.reloadState() }),
    telemetryPath: options.telemetryPath,
    version: VERSION,
  });
  const guards = web
    ? (await import('./web/guards.js')).createWebGuards({ current: () => web.current(), rateLimit: web.initial.rateLimit })
    : [];
  const app = createApp({ registry, telemetryPath: options.telemetryPath, runtime, logger, guards, routers: [...wiring.routers, statusRouter] });
  const server: WebServer = web?.initial.tls ? createTlsServer({ app, settings: () => web.tls(), logger }) : createHttpServer(app);
  let address: AddressInfo;
  try {
    address = await server.listen(options.listenAddress.host, options.listenAddress.port);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    process.stderr.write(`error: cannot listen on ${formatAddress(options)}: ${e.code ?? e.message}\n`);
    await stopAll();
    return 1;
  }
  const shown = `${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}`;
  logger.info({ address: shown }, 'Listening on');
  // exporter-toolkit's start-up line; HTTP/2 is not served (http_server_config.http2 is accepted and ignored).
  logger.info({ http2: false, address: shown }, server.tls ? 'TLS is enabled.' : 'TLS is disabled.');
  // Start-up's one-off survivors are behind us: from here V8 sizes the nursery by the real load (heap.ts).
  allowYoungGenerationGrowth();

  process.on('SIGHUP', () => {
    logger.info('Received SIGHUP, reloading config');
    void runtime.reload();
  });
  return new Promise<number>((resolve) => {
    const shutdown = (signal: string) => {
      logger.info({ signal }, 'Shutting down');
      const force = setTimeout(() => resolve(0), SHUTDOWN_GRACE_MS);
      force.unref();
      // Exit once both are done (or at the grace deadline): the demo's directory must be gone before we exit.
      void Promise.all([server.close(), stopAll()]).then(() => resolve(0));
    };
    onSignal = shutdown;
  });
}

function formatAddress(options: CliOptions): string {
  const { host, port } = options.listenAddress;
  return `${host && host.includes(':') ? `[${host}]` : (host ?? '')}:${port}`;
}

async function configCheck(options: CliOptions): Promise<number> {
  try {
    // Sidecar mode: prometheus.yml is imported too, so its errors and its credential files are checked as well.
    const loaded = await createConfigLoader(options.configFile, silentLogger())();
    const report = await checkConfigFiles(options.configFile, loaded.config);
    const [heading, ...rest] = report.lines;
    process.stdout.write(`${[heading, ...describeImport(loaded), ...rest].join('\n')}\n`);
    return report.ok ? 0 : 1;
  } catch (err) {
    process.stderr.write(`error: ${err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(stoppingDuringStartup ? 0 : code),
  (err: unknown) => {
    // Our own bug, not a user error: the stack helps whoever reports it.
    process.stderr.write(`internal error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(2);
  },
);
