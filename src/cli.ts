// Command-line flags, spelled as Prometheus exporters spell them (--config.file=PATH or --config.file PATH).
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { LOG_FORMATS, LOG_LEVELS, type LogFormat, type LogLevel } from './log.js';
import { VERSION } from './version.js';

export interface CliOptions {
  configFile: string;
  listenAddress: ListenAddress;
  telemetryPath: string;
  webConfigFile: string | undefined;
  logLevel: LogLevel;
  logFormat: LogFormat;
  configCheck: boolean;
  demo: boolean;
  /** --diagnose: probe every target once, print the causes, exit. */
  diagnose: boolean;
  /** --diagnose.job (repeatable): only these jobs. */
  diagnoseJobs: string[];
  diagnoseOutput: 'text' | 'json';
  /** --probe.allow-any-target: /probe may send a job's credentials to any target (off: only the job's own). */
  probeAllowAnyTarget: boolean;
}

export interface ListenAddress {
  /** undefined listens on every interface, as Go's ":9863" does. */
  host: string | undefined;
  port: number;
}

export type CliOutcome =
  | { kind: 'run'; options: CliOptions }
  | { kind: 'exit'; code: number; stdout: string; stderr: string };

/** Parses "[HOST]:PORT" ("[::1]:9090", "127.0.0.1:0", ":9863"). */
export function parseListenAddress(text: string): ListenAddress {
  const match = /^(?:\[([^\]]+)\]|([^:[\]]*)):(\d{1,5})$/.exec(text);
  const port = match ? Number(match[3]) : NaN;
  if (!match || port > 65535) {
    throw new InvalidArgumentError(`"${text}" is not [HOST]:PORT`);
  }
  const host = match[1] ?? match[2];
  return { host: host ? host : undefined, port };
}

function parseTelemetryPath(text: string): string {
  if (!text.startsWith('/')) throw new InvalidArgumentError(`"${text}" must start with "/"`);
  return text;
}

function buildCommand(): Command {
  return new Command('scrape-auth-exporter')
    .description('Watches the credentials Prometheus scrapes with and probes targets with them, saying why a scrape would fail.')
    .addOption(new Option('--config.file <path>', 'path to the YAML config file').default('scrape-auth.yml'))
    .addOption(
      new Option('--web.listen-address <[host]:port>', 'address to listen on for the web interface and telemetry')
        .default(':9863')
        .argParser(parseListenAddressOption),
    )
    .addOption(new Option('--web.telemetry-path <path>', 'path under which to expose metrics').default('/metrics').argParser(parseTelemetryPath))
    .addOption(new Option('--web.config.file <path>', 'exporter-toolkit web config file: TLS and basic auth (none by default)'))
    .addOption(new Option('--log.level <level>', 'only log messages with the given severity or above').choices(LOG_LEVELS).default('info'))
    .addOption(new Option('--log.format <format>', 'output format of log messages').choices(LOG_FORMATS).default('logfmt'))
    .addOption(new Option('--config.check', 'validate the config and every file it names, print a summary and exit'))
    .addOption(new Option('--diagnose', 'probe every target once, print each one\'s cause and fix, exit 0 when all are ok (a pre-flight check for CI)'))
    .addOption(
      new Option('--diagnose.job <name>', 'with --diagnose: only this job (repeatable)').argParser((value: string, previous: string[] | undefined) => [...(previous ?? []), value]),
    )
    .addOption(new Option('--diagnose.output <format>', 'with --diagnose: text table or JSON').choices(['text', 'json']).default('text'))
    .addOption(
      new Option(
        '--probe.allow-any-target',
        "let /probe send any job's credentials to any target a caller names (blackbox-style); off, a module probes only its job's own targets",
      ),
    )
    .addOption(new Option('--demo', 'run a built-in demo: a local secured target, rotating token files and healthy, 401 and 403 jobs'))
    .version(VERSION, '--version', 'print the version and exit')
    .helpOption('-h, --help', 'show this help and exit')
    .allowExcessArguments(false)
    .configureHelp({ helpWidth: 140 })
    .exitOverride();
}

function parseListenAddressOption(text: string): ListenAddress {
  return parseListenAddress(text);
}

/** Parses argv (without node and the script) into options, or into what to print and the exit code. */
export function parseCli(argv: string[]): CliOutcome {
  let stdout = '';
  let stderr = '';
  const command = buildCommand().configureOutput({
    writeOut: (s) => {
      stdout += s;
    },
    writeErr: (s) => {
      stderr += s;
    },
    outputError: (s) => {
      stderr += s;
    },
  });
  try {
    command.parse(argv, { from: 'user' });
  } catch (err) {
    if (err instanceof CommanderError) {
      // Commander puts its suggestion on a second line; a user error is one line.
      const oneLine = stderr.replace(/\n\(Did you mean (.*)\?\)/, ' (did you mean $1?)').replace(/\n+$/, '\n');
      return { kind: 'exit', code: err.exitCode, stdout, stderr: oneLine };
    }
    throw err;
  }
  const opts = command.opts<Record<string, unknown>>();
  const listen = opts['web.listenAddress'];
  return {
    kind: 'run',
    options: {
      configFile: opts['config.file'] as string,
      listenAddress: typeof listen === 'string' ? parseListenAddress(listen) : (listen as ListenAddress),
      telemetryPath: opts['web.telemetryPath'] as string,
      webConfigFile: opts['web.config.file'] as string | undefined,
      logLevel: opts['log.level'] as LogLevel,
      logFormat: opts['log.format'] as LogFormat,
      configCheck: opts['config.check'] === true,
      demo: opts['demo'] === true,
      diagnose: opts['diagnose'] === true,
      diagnoseJobs: (opts['diagnose.job'] as string[] | undefined) ?? [],
      diagnoseOutput: opts['diagnose.output'] === 'json' ? 'json' : 'text',
      probeAllowAnyTarget: opts['probe.allowAnyTarget'] === true,
    },
  };
}
