// The web config as of now: re-read when its file or a TLS file it names changes, as exporter-toolkit re-reads per request.
import { stat } from 'node:fs/promises';
import type { Logger } from 'pino';
import { ConfigError, readConfigText, YamlSource } from '../config/load.js';
import { parseWebConfig, tlsFiles, type WebConfig } from './config.js';
import { loadTlsSettings, type TlsServerSettings } from './tls.js';

export type WebConfigResult = { ok: true; config: WebConfig } | { ok: false; error: Error };
/** `version` changes whenever the config or a certificate, key or CA file changes. */
export type TlsResult = { ok: true; settings: TlsServerSettings; version: string } | { ok: false; error: Error };

type Loaded = { config: WebConfig; text: string };

/**
 * Answers "what does the web config say now?" cheaply: one stat per question, a re-read only after a change
 * (a rename, a Kubernetes `..data` symlink swap, an edit). An invalid file at run time is an error result, so
 * the caller fails closed (500 for a request, a refused handshake for a connection), as exporter-toolkit does.
 */
export class WebConfigSource {
  private loadedKey: string | undefined;
  private loaded: Promise<Loaded> | undefined;
  private tlsKey: string | undefined;
  private tlsLoaded: Promise<TlsResult> | undefined;
  private lastLoggedError: string | undefined;

  private constructor(
    readonly file: string,
    readonly initial: WebConfig,
    private readonly logger: Logger,
  ) {}

  /** Reads and checks the file (and its TLS files) once at start-up; throws a ConfigError with file:line:col. */
  static async open(file: string, logger: Logger): Promise<WebConfigSource> {
    const text = await readConfigText(file);
    const config = parseWebConfig(text, file);
    if (config.tls) {
      const outcome = await loadTlsSettings(config.tls);
      if (!outcome.ok) throw locateTlsError(text, file, outcome.field, outcome.detail);
    }
    return new WebConfigSource(file, config, logger);
  }

  async current(): Promise<WebConfigResult> {
    try {
      return { ok: true, config: (await this.load()).config };
    } catch (err) {
      return this.failed(err);
    }
  }

  /** The TLS server settings for a new connection; certificates are re-read when their files change. */
  async tls(): Promise<TlsResult> {
    let loaded: Loaded;
    try {
      loaded = await this.load();
    } catch (err) {
      return this.failed(err);
    }
    const tlsConfig = loaded.config.tls;
    if (!tlsConfig) return this.failed(new ConfigError(this.file, 'tls_server_config was removed; TLS cannot be turned off without a restart'));
    const files = tlsFiles(tlsConfig);
    const key = `${this.loadedKey}|${(await Promise.all(files.map((f) => signature(f.file)))).join('|')}`;
    if (key !== this.tlsKey || !this.tlsLoaded) {
      this.tlsKey = key;
      this.tlsLoaded = loadTlsSettings(tlsConfig).then((outcome) =>
        outcome.ok
          ? { ok: true as const, settings: outcome.settings, version: key }
          : { ok: false as const, error: locateTlsError(loaded.text, this.file, outcome.field, outcome.detail) },
      );
    }
    const result = await this.tlsLoaded;
    if (!result.ok) return this.failed(result.error);
    return result;
  }

  private async load(): Promise<Loaded> {
    const key = await signature(this.file);
    if (key !== this.loadedKey || !this.loaded) {
      this.loadedKey = key;
      this.loaded = readConfigText(this.file).then((text) => ({ text, config: parseWebConfig(text, this.file) }));
    }
    return this.loaded;
  }

  private failed(err: unknown): { ok: false; error: Error } {
    const error = err instanceof Error ? err : new Error(String(err));
    // Once per distinct problem, not once per request.
    if (error.message !== this.lastLoggedError) {
      this.lastLoggedError = error.message;
      this.logger.error({ err: error.message }, 'Unable to use the web config file, refusing requests until it is fixed');
    }
    return { ok: false, error };
  }
}

/** Identifies a file's current version without reading it: what changes on an edit, a rename or a symlink swap. */
async function signature(file: string): Promise<string> {
  try {
    const s = await stat(file);
    return `${s.dev}:${s.ino}:${s.size}:${s.mtimeMs}:${s.ctimeMs}`;
  } catch (err) {
    return `error:${(err as NodeJS.ErrnoException).code ?? 'unknown'}`;
  }
}

function locateTlsError(text: string, file: string, field: string, detail: string): ConfigError {
  const source = new YamlSource(text, file);
  const keyPath = field === 'tls_server_config' ? ['tls_server_config'] : ['tls_server_config', field];
  return source.errorAt(keyPath, detail);
}
