// Sidecar mode's target source: Prometheus's active targets (GET /api/v1/targets), handed to the probe engine.
import { setLongTimeout } from '../timers.js';
import { Gauge, type Registry } from 'prom-client';
import type { Logger } from 'pino';
import type { LoadedConfig } from '../config/load.js';
import type { HttpClientConfig } from '../config/schema.js';
import type { Component } from '../runtime.js';
import { httpGet, statusError, type HttpGetOptions, type HttpGetOutcome } from './client.js';
import { parseActiveTargets, type ActiveTarget, type TargetHealth } from './targets-api.js';

/** A target found outside the config: probed with the auth of the job named `job`. */
export interface DiscoveredTarget {
  job: string;
  url: string;
  labels: Record<string, string>;
}

/** The probe engine's side: the targets of `source` replace every target it had from that source. */
export interface DiscoveredTargetSink {
  setDiscoveredTargets(source: string, targets: DiscoveredTarget[]): void;
  /** Probe these (already handed over) targets now, outside their slot: Prometheus just found them down. */
  probeDiscoveredSoon?(source: string, targets: DiscoveredTarget[]): void;
}

export const PROMETHEUS_SOURCE = 'prometheus';

/** Larger answers are refused: 50 MiB is some 50,000 targets, far beyond one Prometheus. */
export const MAX_TARGETS_RESPONSE_BYTES = 50 * 1024 * 1024;

/** Labels Prometheus sets on every target that our probe metrics carry as scrape_job / scrape_instance. */
const DROPPED_LABELS = new Set(['job', 'instance']);

export interface TargetSyncOptions {
  sink: DiscoveredTargetSink;
  registry: Registry;
  logger: Logger;
  now?: () => number;
  /** The HTTP GET; tests pass one with an injected dispatcher. */
  get?: (url: string, http: Partial<HttpClientConfig>, options: HttpGetOptions) => Promise<HttpGetOutcome>;
  /** Schedules the next sync; returns a cancel function. Tests pass a fake to sync by hand. */
  schedule?: (fn: () => void, ms: number) => () => void;
}

interface Settings {
  url: string;
  http: Partial<HttpClientConfig>;
  intervalMs: number;
  timeoutMs: number;
  /** Scrape pools whose targets are taken from Prometheus, and probed with the job of that name. */
  fed: Set<string>;
  /** Scrape pools deliberately not probed from the API: skipped, filtered out, or jobs with targets of our own. */
  ignored: Set<string>;
}

function defaultSchedule(fn: () => void, ms: number): () => void {
  // Chained and unref'd: an interval past 2^31-1 ms must not fire every millisecond (src/timers.ts).
  const timer = setLongTimeout(fn, ms);
  return () => timer.clear();
}

/**
 * Every probe interval, asks Prometheus for its active targets and hands each one to the probe engine under
 * its scrape pool's job. A failed or garbled answer keeps the last known targets (a Prometheus restart must not
 * make every probe disappear) and shows in scrape_auth_prometheus_sync_success. A pool with no job of that
 * name is reported, never probed with a guessed job's credentials.
 */
export class PrometheusTargetSync implements Component {
  readonly name = 'prometheus-target-sync';
  private settings: Settings | undefined;
  private known: ActiveTarget[] | undefined;
  private lastOk: boolean | undefined;
  private lastSuccessMs: number | undefined;
  private fedCounts = new Map<string, number>();
  /** Prometheus's health of each fed target at the last successful read, by pool and scrape URL. */
  private health = new Map<string, TargetHealth | undefined>();
  private unmatched = new Map<string, number>();
  private warnedUnmatched = new Set<string>();
  private cancel: (() => void) | undefined;
  private generation = 0;
  private inFlight: Promise<void> | undefined;
  /** Aborts a read still waiting on Prometheus when the exporter stops. */
  private readonly shutdown = new AbortController();
  private stopped = false;
  /** Label-less gauges always print a value in prom-client, so they are only registered while a URL is set. */
  private readonly modeGauges: Gauge[];

  constructor(private readonly options: TargetSyncOptions) {
    const state = () => this;
    const success = new Gauge({
      name: 'scrape_auth_prometheus_sync_success',
      help: 'Whether the last read of Prometheus\'s active targets (GET /api/v1/targets) worked; absent without prometheus.url.',
      registers: [],
      collect() {
        this.reset();
        const s = state();
        if (s.settings && s.lastOk !== undefined) this.set(s.lastOk ? 1 : 0);
      },
    });
    const timestamp = new Gauge({
      name: 'scrape_auth_prometheus_sync_timestamp_seconds',
      help: 'When Prometheus\'s active targets were last read successfully.',
      registers: [],
      collect() {
        this.reset();
        const s = state();
        if (s.settings && s.lastSuccessMs !== undefined) this.set(s.lastSuccessMs / 1000);
      },
    });
    new Gauge({
      name: 'scrape_auth_prometheus_targets',
      help: 'Active targets Prometheus reports for a job, as probed by this exporter (from the last successful read).',
      labelNames: ['scrape_job'],
      registers: [options.registry],
      collect() {
        this.reset();
        for (const [job, n] of state().fedCounts) this.set({ scrape_job: job }, n);
      },
    });
    new Gauge({
      name: 'scrape_auth_prometheus_unmatched_targets',
      help: 'Active targets Prometheus reports for a scrape pool that has no job in the (imported) config: not probed.',
      labelNames: ['scrape_job'],
      registers: [options.registry],
      collect() {
        this.reset();
        for (const [pool, n] of state().unmatched) this.set({ scrape_job: pool }, n);
      },
    });
    this.modeGauges = [success, timestamp];
  }

  private registerModeGauges(on: boolean): void {
    for (const gauge of this.modeGauges) {
      const name = (gauge as unknown as { name: string }).name;
      const present = this.options.registry.getSingleMetric(name) !== undefined;
      if (on && !present) this.options.registry.registerMetric(gauge);
      if (!on && present) this.options.registry.removeSingleMetric(name);
    }
  }

  async apply(loaded: LoadedConfig): Promise<void> {
    if (this.stopped) return;
    const { config } = loaded;
    const sidecar = config.prometheus;
    this.cancel?.();
    this.generation++;
    this.registerModeGauges(sidecar?.url !== undefined);
    if (sidecar?.url === undefined) {
      if (this.settings) this.options.sink.setDiscoveredTargets(PROMETHEUS_SOURCE, []);
      this.settings = undefined;
      this.known = undefined;
      this.lastOk = undefined;
      this.lastSuccessMs = undefined;
      this.fedCounts.clear();
      this.unmatched.clear();
      this.health.clear();
      return;
    }
    const imported = new Set(loaded.imported?.jobs ?? []);
    const fed = new Set<string>();
    const ignored = new Set<string>([...(loaded.imported?.excluded ?? []), ...(loaded.imported?.skipped ?? []).map((s) => s.job)]);
    for (const job of config.scrape_configs) {
      // A job of our own file with targets of its own keeps them; Prometheus's view of that pool would probe
      // the same targets twice. Without targets (say, pasted with kubernetes_sd_configs), Prometheus's are used.
      const ownTargets = job.static_configs.length > 0 || job.file_sd_configs.length > 0;
      if (imported.has(job.job_name) || !ownTargets) fed.add(job.job_name);
      else ignored.add(job.job_name);
    }
    for (const name of fed) ignored.delete(name);
    const { url, jobs: _jobs, probe, config_file: _file, ...http } = sidecar;
    this.settings = {
      url,
      http,
      intervalMs: probe?.interval ?? config.global.probe_interval,
      timeoutMs: probe?.timeout ?? config.global.probe_timeout,
      fed,
      ignored,
    };
    // The job set may have changed under the last known targets: hand them over again under the new rules.
    if (this.known) this.feed(this.known);
    this.loop(this.generation);
  }

  /** Whether the last read of Prometheus's targets worked; undefined before the first (or without a URL). */
  get lastSyncSuccessful(): boolean | undefined {
    return this.lastOk;
  }

  /** One read of Prometheus's targets now; resolves when it is done. */
  async syncNow(): Promise<void> {
    const settings = this.settings;
    if (!settings || this.stopped) return;
    const run = this.syncOnce(settings);
    this.inFlight = run;
    await run;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.shutdown.abort();
    this.cancel?.();
    this.generation++;
    await this.inFlight;
  }

  private loop(generation: number): void {
    const settings = this.settings;
    if (!settings || generation !== this.generation) return;
    void this.syncNow()
      .catch((err: unknown) => {
        // Our own bug, never the server's answer: log it (without the message, which may quote content) and go on.
        this.options.logger.error({ err: err instanceof Error ? err.name : 'unknown' }, 'Internal error while syncing Prometheus\'s targets');
      })
      .then(() => {
        if (generation !== this.generation || this.stopped) return;
        this.cancel = (this.options.schedule ?? defaultSchedule)(() => this.loop(generation), settings.intervalMs);
      });
  }

  private async syncOnce(settings: Settings): Promise<void> {
    const { logger } = this.options;
    const endpoint = new URL('api/v1/targets?state=active', settings.url.endsWith('/') ? settings.url : `${settings.url}/`).href;
    const get = this.options.get ?? httpGet;
    const response = await get(endpoint, settings.http, {
      timeoutMs: settings.timeoutMs,
      maxBytes: MAX_TARGETS_RESPONSE_BYTES,
      signal: this.shutdown.signal,
    });
    if (settings !== this.settings || this.stopped) return;
    let error: string | undefined;
    let targets: ActiveTarget[] | undefined;
    if (!response.ok) error = response.error;
    else if (response.status !== 200) error = statusError(response.status);
    else {
      const parsed = parseActiveTargets(response.body);
      if (!parsed.ok) error = parsed.error;
      else {
        targets = parsed.targets;
        if (parsed.invalid > 0) logger.warn({ invalid: parsed.invalid }, 'Ignored malformed targets in Prometheus\'s answer');
      }
    }
    if (targets === undefined) {
      if (this.lastOk !== false) {
        logger.warn({ err: error, known_targets: this.known?.length ?? 0 }, 'Cannot read Prometheus\'s targets, keeping the last known ones');
      } else {
        logger.debug({ err: error }, 'Cannot read Prometheus\'s targets, keeping the last known ones');
      }
      this.lastOk = false;
      return;
    }
    if (this.lastOk === false) logger.info({ targets: targets.length }, 'Reading Prometheus\'s targets works again');
    this.lastOk = true;
    this.lastSuccessMs = (this.options.now ?? Date.now)();
    this.known = targets;
    const fed = this.feed(targets);
    this.followHealth(fed);
  }

  /**
   * A target whose scrape Prometheus saw turn down since the last read (up or not yet scraped before) is probed at
   * once rather than at its slot, so the cause is on the status page by the time someone looks. Nothing else of
   * the schedule follows Prometheus's health (docs/sidecar.md says why). At most one extra probe per target per
   * read, whatever the answer claims.
   */
  private followHealth(fed: { target: DiscoveredTarget; key: string; health: TargetHealth | undefined }[]): void {
    const turnedDown: DiscoveredTarget[] = [];
    const next = new Map<string, TargetHealth | undefined>();
    for (const { target, key, health } of fed) {
      const before = this.health.get(key);
      if (health === 'down' && this.health.has(key) && before !== 'down') turnedDown.push(target);
      next.set(key, health);
    }
    this.health = next;
    if (turnedDown.length === 0) return;
    this.options.logger.debug({ targets: turnedDown.length }, 'Prometheus reports targets down: probing them now');
    this.options.sink.probeDiscoveredSoon?.(PROMETHEUS_SOURCE, turnedDown);
  }

  private feed(targets: ActiveTarget[]): { target: DiscoveredTarget; key: string; health: TargetHealth | undefined }[] {
    const settings = this.settings;
    if (!settings) return [];
    const out: DiscoveredTarget[] = [];
    const fed: { target: DiscoveredTarget; key: string; health: TargetHealth | undefined }[] = [];
    const fedCounts = new Map<string, number>();
    const unmatched = new Map<string, number>();
    for (const target of targets) {
      const pool = target.scrapePool;
      if (settings.fed.has(pool)) {
        const discovered = { job: pool, url: target.scrapeUrl, labels: keptLabels(target.labels) };
        out.push(discovered);
        fed.push({ target: discovered, key: `${pool}\u0000${target.scrapeUrl}`, health: target.health });
        fedCounts.set(pool, (fedCounts.get(pool) ?? 0) + 1);
      } else if (!settings.ignored.has(pool)) {
        unmatched.set(pool, (unmatched.get(pool) ?? 0) + 1);
      }
    }
    for (const [pool, n] of unmatched) {
      if (this.warnedUnmatched.has(pool)) continue;
      this.options.logger.warn({ scrape_job: pool, targets: n }, 'Prometheus scrapes a job that is not in the imported config; its targets are not probed');
    }
    this.warnedUnmatched = new Set(unmatched.keys());
    this.fedCounts = fedCounts;
    this.unmatched = unmatched;
    this.options.sink.setDiscoveredTargets(PROMETHEUS_SOURCE, out);
    return fed;
  }
}

function keptLabels(labels: Record<string, string>): Record<string, string> {
  const kept: Record<string, string> = {};
  for (const [name, value] of Object.entries(labels)) {
    if (!DROPPED_LABELS.has(name) && !name.startsWith('__')) kept[name] = value;
  }
  return kept;
}
