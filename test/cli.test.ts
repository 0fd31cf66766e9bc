import { describe, expect, it } from 'vitest';
import { parseCli, parseListenAddress } from '../src/cli.js';

describe('command-line flags', () => {
  it('uses the documented defaults', () => {
    const outcome = parseCli([]);
    expect(outcome).toEqual({
      kind: 'run',
      options: {
        configFile: 'scrape-auth.yml',
        listenAddress: { host: undefined, port: 9863 },
        telemetryPath: '/metrics',
        webConfigFile: undefined,
        logLevel: 'info',
        logFormat: 'logfmt',
        configCheck: false,
        demo: false,
        diagnose: false,
        diagnoseJobs: [],
        diagnoseOutput: 'text',
        probeAllowAnyTarget: false,
      },
    });
  });

  it('accepts --flag=value and --flag value alike', () => {
    const a = parseCli(['--config.file=a.yml', '--web.listen-address=127.0.0.1:9000', '--log.level=debug', '--log.format=json', '--web.telemetry-path=/m']);
    const b = parseCli(['--config.file', 'a.yml', '--web.listen-address', '127.0.0.1:9000', '--log.level', 'debug', '--log.format', 'json', '--web.telemetry-path', '/m']);
    expect(a).toEqual(b);
    expect(a.kind === 'run' && a.options).toMatchObject({ configFile: 'a.yml', listenAddress: { host: '127.0.0.1', port: 9000 }, logLevel: 'debug', logFormat: 'json', telemetryPath: '/m' });
  });

  it('takes --probe.allow-any-target as an opt-in switch', () => {
    const outcome = parseCli(['--probe.allow-any-target']);
    expect(outcome.kind === 'run' && outcome.options.probeAllowAnyTarget).toBe(true);
  });

  it.each([
    [':9863', { host: undefined, port: 9863 }],
    ['127.0.0.1:0', { host: '127.0.0.1', port: 0 }],
    ['[::1]:9090', { host: '::1', port: 9090 }],
    ['localhost:80', { host: 'localhost', port: 80 }],
  ])('parses the listen address %s', (text, expected) => {
    expect(parseListenAddress(text)).toEqual(expected);
  });

  it.each([
    [['--bogus'], "error: unknown option '--bogus'"],
    [['--log.level=trace'], "error: option '--log.level <level>' argument 'trace' is invalid. Allowed choices are debug, info, warn, error."],
    [['--web.listen-address=9863'], 'error: option \'--web.listen-address <[host]:port>\' argument \'9863\' is invalid. "9863" is not [HOST]:PORT'],
    [['--web.listen-address=:99999'], 'error: option \'--web.listen-address <[host]:port>\' argument \':99999\' is invalid. ":99999" is not [HOST]:PORT'],
    [['--web.telemetry-path=metrics'], 'error: option \'--web.telemetry-path <path>\' argument \'metrics\' is invalid. "metrics" must start with "/"'],
    [['--config.file'], "error: option '--config.file <path>' argument missing"],
    [['extra'], "error: too many arguments. Expected 0 arguments but got 1."],
  ])('rejects %j with one line and exit code 1', (argv, message) => {
    const outcome = parseCli(argv);
    expect(outcome).toEqual({ kind: 'exit', code: 1, stdout: '', stderr: `${message}\n` });
  });

  it('prints help with every flag and its default', () => {
    const outcome = parseCli(['--help']);
    expect(outcome.kind).toBe('exit');
    if (outcome.kind !== 'exit') return;
    expect(outcome.code).toBe(0);
    for (const flag of ['--config.file', '--web.listen-address', '--web.telemetry-path', '--web.config.file', '--log.level', '--log.format', '--config.check', '--probe.allow-any-target', '--demo', '--version', '--help']) {
      expect(outcome.stdout).toContain(flag);
    }
    expect(outcome.stdout).toContain('(default: "scrape-auth.yml")');
    expect(outcome.stdout).toContain('(default: ":9863")');
  });

  it('prints the version', () => {
    const outcome = parseCli(['--version']);
    expect(outcome).toMatchObject({ kind: 'exit', code: 0 });
    expect(outcome.kind === 'exit' && outcome.stdout).toMatch(/^\d+\.\d+\.\d+\n$/);
  });
});
