// Owns the loaded config and hands each new one to the components; a failed reload keeps the old one.
import type { Logger } from 'pino';
import type { LoadedConfig } from './config/load.js';
import type { SelfMetrics } from './metrics/self.js';

/** A part of the exporter driven by the config: probes, credential watching, RBAC checks. */
export interface Component {
  readonly name: string;
  /** Takes a newly loaded config: at start and after every successful reload. Must not throw for user error. */
  apply(loaded: LoadedConfig): Promise<void>;
  /** Stops timers and watchers; in-flight work may finish. */
  stop(): Promise<void>;
}

export type ReloadResult = { ok: true } | { ok: false; error: Error };

export interface RuntimeOptions {
  load: () => Promise<LoadedConfig>;
  components: Component[];
  metrics: SelfMetrics;
  logger: Logger;
  now?: () => number;
}

export class Runtime {
  private loaded: LoadedConfig | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  private stopped = false;
  private lastReloadSuccessful = false;
  private lastReloadSuccessMs: number | undefined;

  constructor(private readonly options: RuntimeOptions) {}

  get current(): LoadedConfig | undefined {
    return this.loaded;
  }

  isReady(): boolean {
    return this.loaded !== undefined && !this.stopped;
  }

  /** The reload state the status page shows, as scrape_auth_config_last_reload_* say it. */
  reloadState(): { lastReloadSuccessful: boolean; lastReloadSuccessMs: number | undefined } {
    return { lastReloadSuccessful: this.lastReloadSuccessful, lastReloadSuccessMs: this.lastReloadSuccessMs };
  }

  /** Loads the config again and applies it; reloads never overlap. */
  reload(): Promise<ReloadResult> {
    const next = this.queue.then(() => this.reloadNow());
    this.queue = next.catch(() => undefined);
    return next;
  }

  private async reloadNow(): Promise<ReloadResult> {
    const { logger, metrics } = this.options;
    const now = this.options.now ?? Date.now;
    let loaded: LoadedConfig;
    try {
      loaded = await this.options.load();
    } catch (err) {
      metrics.reloadSuccessful.set(0);
      this.lastReloadSuccessful = false;
      const error = err instanceof Error ? err : new Error(String(err));
      // At start-up main prints the one-line error itself; afterwards the old config keeps running.
      if (this.loaded) logger.error({ err: error.message }, 'Error reloading config, keeping the previous one');
      return { ok: false, error };
    }
    if (this.stopped) return { ok: true };
    if (loaded.ignoredFields.length > 0) {
      logger.debug({ fields: loaded.ignoredFields.join(',') }, 'Prometheus-only fields accepted and ignored');
    }
    for (const component of this.options.components) {
      await component.apply(loaded);
    }
    this.loaded = loaded;
    const at = now();
    this.lastReloadSuccessful = true;
    this.lastReloadSuccessMs = at;
    metrics.reloadSuccessful.set(1);
    metrics.reloadSuccessTimestamp.set(Math.floor(at / 1000));
    logger.info({ file: loaded.file, jobs: loaded.config.scrape_configs.length }, 'Loaded configuration file');
    return { ok: true };
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.queue;
    await Promise.all(this.options.components.map((c) => c.stop()));
  }
}
