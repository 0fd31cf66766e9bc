// Watches the imported prometheus.yml and asks for a reload when its content changes.
import { setLongInterval, type LongInterval } from '../timers.js';
import { createHash } from 'node:crypto';
import path from 'node:path';
import { watch, type FSWatcher } from 'chokidar';
import type { Logger } from 'pino';
import type { LoadedConfig } from '../config/load.js';
import { readConfigText } from '../config/load.js';
import type { Component } from '../runtime.js';

export interface ConfigFileWatcherOptions {
  logger: Logger;
  /** Runs a config reload (the Runtime's); a failed reload keeps the previous config and is logged there. */
  requestReload: () => void;
  /**
   * Quiet time after the last event before the file is read: an editor or a `..data` swap makes several.
   * Keep it above chokidar's 50 ms change throttle, which drops (not delays) a second change event.
   */
  debounceMs?: number;
  /** Digest of the file's text now, undefined when it cannot be read. Injected by tests. */
  digestOf?: (file: string) => Promise<string | undefined>;
}

async function digestOfFile(file: string): Promise<string | undefined> {
  try {
    return createHash('sha256').update(await readConfigText(file)).digest('hex');
  } catch {
    return undefined;
  }
}

/**
 * Watches the file's directory, not the file: a Kubernetes ConfigMap replaces prometheus.yml by swapping the
 * `..data` symlink, which a watch on the file path never sees. Every event leads to one read and a digest
 * compare, so a touch or an unrelated file in the directory does not reload; a re-check every
 * credential_poll_interval catches what the watcher misses (a symlink to elsewhere, network file systems).
 */
export class PrometheusConfigWatcher implements Component {
  readonly name = 'prometheus-config-watcher';
  private watcher: FSWatcher | undefined;
  private file: string | undefined;
  /** The digest the running (or last attempted) import was made from. */
  private digest: string | undefined;
  private debounce: NodeJS.Timeout | undefined;
  private poll: LongInterval | undefined;
  private pollMs = 0;
  private stopped = false;

  constructor(private readonly options: ConfigFileWatcherOptions) {}

  async apply(loaded: LoadedConfig): Promise<void> {
    if (this.stopped) return;
    const file = loaded.imported?.file;
    this.digest = loaded.imported?.digest;
    if (file !== this.file) {
      await this.closeWatcher();
      this.file = file;
      if (file !== undefined) await this.openWatcher(file);
    }
    const pollMs = loaded.config.global.credential_poll_interval;
    if (file === undefined) this.clearPoll();
    else if (pollMs !== this.pollMs || this.poll === undefined) {
      this.clearPoll();
      this.pollMs = pollMs;
      // Chained and unref'd: a poll past 2^31-1 ms must not fire every millisecond (src/timers.ts).
      this.poll = setLongInterval(() => void this.check(), pollMs);
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.clearPoll();
    clearTimeout(this.debounce);
    await this.closeWatcher();
  }

  private async openWatcher(file: string): Promise<void> {
    const watcher = watch(path.dirname(file), { depth: 0, ignoreInitial: true, persistent: false });
    watcher.on('all', () => this.schedule());
    watcher.on('error', (err) => this.options.logger.warn({ file, err: err instanceof Error ? err.message : String(err) }, 'Error watching prometheus.yml'));
    this.watcher = watcher;
    await new Promise<void>((resolve) => watcher.once('ready', () => resolve()));
    this.options.logger.debug({ file }, 'Watching prometheus.yml');
  }

  private async closeWatcher(): Promise<void> {
    const watcher = this.watcher;
    this.watcher = undefined;
    await watcher?.close();
  }

  private clearPoll(): void {
    this.poll?.clear();
    this.poll = undefined;
  }

  private schedule(): void {
    clearTimeout(this.debounce);
    this.debounce = setTimeout(() => void this.check(), this.options.debounceMs ?? 100);
    this.debounce.unref();
  }

  private async check(): Promise<void> {
    const file = this.file;
    if (file === undefined || this.stopped) return;
    const digest = await (this.options.digestOf ?? digestOfFile)(file);
    if (digest === this.digest || this.file !== file) return;
    // Remembered before the reload: a broken file is tried once per change, not once per event or poll.
    this.digest = digest;
    this.options.logger.info({ file }, 'prometheus.yml changed, reloading');
    this.options.requestReload();
  }
}
