// The process logger: pino, written as logfmt (Prometheus's default) or JSON lines.
import { pino, type Logger } from 'pino';

export type { Logger } from 'pino';
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
export type LogFormat = 'logfmt' | 'json';
export const LOG_LEVELS: readonly LogLevel[] = ['debug', 'info', 'warn', 'error'];
export const LOG_FORMATS: readonly LogFormat[] = ['logfmt', 'json'];

export interface LogSink {
  write(line: string): void;
}

/** A logger writing one line per entry to `sink` (stderr by default). */
export function createLogger(level: LogLevel, format: LogFormat, sink: LogSink = process.stderr): Logger {
  const destination: LogSink = format === 'json' ? sink : { write: (line) => sink.write(jsonLineToLogfmt(line)) };
  return pino(
    {
      level,
      base: undefined,
      messageKey: 'msg',
      timestamp: () => `,"ts":"${new Date().toISOString()}"`,
      formatters: { level: (label) => ({ level: label }) },
    },
    destination,
  );
}

/** A logger that drops everything, for tests and library use. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}

/** Re-encodes one pino JSON line as logfmt: ts=… level=… msg=… key=value. */
export function jsonLineToLogfmt(line: string): string {
  let entry: Record<string, unknown>;
  try {
    entry = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return line;
  }
  const { ts, level, msg, ...rest } = entry;
  const parts = [`ts=${String(ts)}`, `level=${String(level)}`];
  if (msg !== undefined) parts.push(`msg=${logfmtValue(msg)}`);
  for (const [key, value] of Object.entries(rest)) parts.push(`${key}=${logfmtValue(value)}`);
  return `${parts.join(' ')}\n`;
}

function logfmtValue(value: unknown): string {
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  if (text === undefined) return '""';
  return /^[^\s"=\\]+$/.test(text) ? text : JSON.stringify(text);
}
