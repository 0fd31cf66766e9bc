// The probe component: keeps the target set from config, file SD and discovery, schedules probes, holds results.
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { filesNamedBy } from '../config/check.js';
import type { LoadedConfig } from '../config/load.js';
import { probeTiming, type Config, type GlobalConfig, type ScrapeConfig } from '../config/schema.js';
import type { Diagnosis } from '../diagnosis/causes.js';
import { diagnose } from '../diagnosis/diagnose.js';
import { collectEvidence, type EvidenceSources } from '../diagnosis/evidence.js';
import { demandsClientCert, speaksTls } from '../diagnosis/tls-sniff.js';
import { ExhaustionReporter } from '../exhaustion.js';
import type { Component } from '../runtime.js';
import { longTimers } from '../timers.js';
import type { TargetStatus } from '../status/types.js';
import type { LookupFn } from './connect.js';
import type { FileSd } from './file-sd.js';
import { emptyCounts, invalidateText, registerProbeMetrics, targetText, type TargetState } from './metrics.js';
import { DEFAULT_MAX_CONNECTION_AGE_MS, KeepAliveBudget, TargetConnections } from './keep-alive.js';
import { probe as realProbe, stripUserinfo, type ProbeDeps, type ProbeJob, type ProbeResult, type ProbeTarget } from './probe.js';
import { Scheduler, type Timers } from './scheduler.js';
import { OAuth2Tokens } from './oauth2.js';
import type { Environment } from './proxy.js';
import { originOf, type Origin } from './target-policy.js';
import { publicLabels, targetKey, targetsFromGroup } from './targets.js';
import { SecureContextCache } from './tls-context.js';

export type ProbeFn = (target: ProbeTarget, job: ProbeJob, deps: ProbeDeps) => Promise<ProbeResult>;

export interface ProbeComponentOptions {
  registry: Registry;
  logger: Logger;
  now?: () => number;
  timers?: Timers;
  probe?: ProbeFn;
  lookup?: LookupFn;
  /** Watch file SD directories (default true). */
  watchFiles?: boolean;
  /** False: no probe runs on its own (--diagnose probes every target once with probeAll()). Default true. */
  schedule?: boolean;
  /** Whether an http port speaks TLS, for the wrong_scheme diagnosis; tests may swap it. */
  sniffTls?: typeof speaksTls;
  /** Whether an https port refuses clients without a certificate, for the client_cert_rejected diagnosis. */
  sniffClientCert?: typeof demandsClientCert;
  /** The process environment, for jobs with proxy_from_environment (main passes process.env). */
  env?: Environment;
}

/** No evidence beyond the probe's own (until the components wire the credential watcher and RBAC checker in). */
const NO_EVIDENCE: EvidenceSources = { credentialFile: () => undefined, clientCertKeyMatch: () => undefined, rbac: () => undefined };

export interface DiscoveredTarget {
  job: string;
  url: string;
  labels: Record<string, string>;
}

export class ProbeComponent implements Component {
  readonly name = 'probes';
  private readonly states = new Map<string, TargetState>();
  private jobs = new Map<string, ScrapeConfig>();
  private skipped = new Map<string, { reason: string; detail: string }>();
  private readonly externalJobs = new Map<string, ScrapeConfig[]>();
  private global: GlobalConfig | undefined;
  private config: Config | undefined;
  private fileSds = new Map<string, FileSd[]>();
  private readonly discovered = new Map<string, DiscoveredTarget[]>();
  /** Per job, the origins of its current targets: what /probe may send that job's credentials to. */
  private origins: Map<string, Set<Origin>> | undefined;
  private readonly scheduler: Scheduler;
  private readonly tlsContexts = new SecureContextCache();
  /** oauth2 tokens per job, reused across probes (and /probe) until they expire, as Prometheus reuses them. */
  private readonly oauth2Tokens = new OAuth2Tokens();
  private readonly probeFn: ProbeFn;
  private readonly now: () => number;
  private readonly timers: Timers;
  private readonly warnedJobs = new Set<string>();
  /** Each scheduled target's kept-alive connections; closed when the target goes away. */
  private readonly connections = new Map<string, TargetConnections>();
  private readonly keepAliveBudget = new KeepAliveBudget();
  private evidence: EvidenceSources = NO_EVIDENCE;
  private readonly exhaustion: ExhaustionReporter;

  constructor(private readonly options: ProbeComponentOptions) {
    this.now = options.now ?? Date.now;
    // Long timers: an interval past 2^31-1 ms must not fire every millisecond (src/timers.ts).
    this.timers = options.timers ?? longTimers;
    this.probeFn = options.probe ?? realProbe;
    this.scheduler = new Scheduler(this.now, this.timers, 64);
    registerProbeMetrics(options.registry, () => this.states.values());
    this.exhaustion = new ExhaustionReporter(options.registry, 'probe', options.logger, this.now);
  }

  async apply(loaded: LoadedConfig): Promise<void> {
    const config = loaded.config;
    this.config = config;
    this.global = config.global;
    this.jobs = new Map(config.scrape_configs.map((j) => [j.job_name, j]));
    this.skipped = new Map((loaded.imported?.skipped ?? []).map((s) => [s.job, s]));
    this.scheduler.setMaxConcurrent(config.global.max_concurrent_probes);
    await this.restartFileSd(config);
    this.recompute();
  }

  /** A job of the imported prometheus.yml that is not probed, and why (for /probe's answer). */
  skippedJob(name: string): { reason: string; detail: string } | undefined {
    return this.skipped.get(name);
  }

  /** The job a name refers to: the config's own, else one a sidecar source imported. */
  job(name: string): ScrapeConfig | undefined {
    const own = this.jobs.get(name);
    if (own) return own;
    for (const jobs of this.externalJobs.values()) {
      const found = jobs.find((j) => j.job_name === name);
      if (found) return found;
    }
    return undefined;
  }

  /** Where diagnoses read the credential files' state and the RBAC answers. */
  setEvidenceSources(sources: EvidenceSources): void {
    this.evidence = sources;
  }

  /** The config last applied. */
  get currentConfig(): Config | undefined {
    return this.config;
  }

  /** Scheme, host and port of every current target of `job`, for the /probe target policy. */
  ownOrigins(job: string): ReadonlySet<Origin> {
    if (!this.origins) {
      const origins = new Map<string, Set<Origin>>();
      for (const { target } of this.states.values()) {
        const origin = originOf(target.url);
        if (origin === undefined) continue;
        const set = origins.get(target.job) ?? new Set<Origin>();
        set.add(origin);
        origins.set(target.job, set);
      }
      this.origins = origins;
    }
    return this.origins.get(job) ?? new Set();
  }

  get globalConfig(): GlobalConfig | undefined {
    return this.global;
  }

  /** Jobs imported from elsewhere (e.g. Prometheus's own config in sidecar mode), replacing that source's previous set. */
  setExternalJobs(source: string, jobs: ScrapeConfig[]): void {
    this.externalJobs.set(source, jobs);
    this.recompute();
  }

  /**
   * Targets discovered elsewhere (e.g. Prometheus's /api/v1/targets), replacing that source's previous set: each URL
   * is probed with its job's authentication. Targets of a job this exporter does not know are skipped.
   */
  setDiscoveredTargets(source: string, targets: DiscoveredTarget[]): void {
    this.discovered.set(source, targets);
    this.recompute();
  }

  /** Probes these discovered targets now, keeping their slots (Prometheus just found them down). */
  probeDiscoveredSoon(source: string, targets: DiscoveredTarget[]): void {
    // A set: a read may report thousands of targets down at once, each looked up among thousands known.
    const known = new Set(this.discovered.get(source) ?? []);
    const wanted = new Set(targets.filter((t) => known.has(t)).map((t) => `${t.job}\u0000${discoveredUrl(t.url) ?? ''}`));
    const keys = [...this.states].flatMap(([key, state]) => (wanted.has(`${state.target.job}\u0000${state.target.url}`) ? [key] : []));
    this.scheduler.runSoon(keys);
  }

  private async restartFileSd(config: Config): Promise<void> {
    const old = this.fileSds;
    this.fileSds = new Map();
    await Promise.all([...old.values()].flat().map((sd) => sd.stop()));
    // Loaded only when a job uses file_sd_configs: its glob and YAML parsing are otherwise dead weight in RSS.
    const needed = config.scrape_configs.some((job) => job.file_sd_configs.length > 0);
    const FileSdClass = needed ? (await import('./file-sd.js')).FileSd : undefined;
    for (const job of config.scrape_configs) {
      if (!FileSdClass) break;
      const sds = job.file_sd_configs.map(
        (block) =>
          new FileSdClass({
            patterns: block.files,
            refreshIntervalMs: block.refresh_interval,
            onChange: () => this.recompute(),
            logger: this.options.logger.child({ scrape_job: job.job_name }),
            timers: this.timers,
            watch: this.options.watchFiles !== false,
          }),
      );
      await Promise.all(sds.map((sd) => sd.start()));
      if (sds.length > 0) this.fileSds.set(job.job_name, sds);
    }
  }

  /** Rebuilds the target set; unchanged targets keep their results and counters, removed ones vanish. */
  private recompute(): void {
    const wanted = new Map<string, { target: ProbeTarget; job: ScrapeConfig }>();
    const add = (job: ScrapeConfig, targets: ProbeTarget[]) => {
      for (const target of targets) wanted.set(targetKey(target), { target, job });
    };
    const logInvalid = (job: string, invalid: string[]) => {
      if (invalid.length > 0) this.options.logger.warn({ scrape_job: job, targets: invalid.join(',') }, 'Skipping targets that make no valid URL');
    };
    for (const job of this.jobs.values()) {
      for (const group of job.static_configs) {
        const built = targetsFromGroup(job, group);
        logInvalid(job.job_name, built.invalid);
        add(job, built.targets);
      }
      for (const sd of this.fileSds.get(job.job_name) ?? []) {
        for (const group of sd.groups()) {
          const built = targetsFromGroup(job, group);
          logInvalid(job.job_name, built.invalid);
          add(job, built.targets);
        }
      }
    }
    for (const targets of this.discovered.values()) {
      for (const d of targets) {
        const job = this.job(d.job);
        if (!job) {
          if (!this.warnedJobs.has(d.job)) this.options.logger.warn({ scrape_job: d.job }, 'Discovered targets of an unknown job are not probed');
          this.warnedJobs.add(d.job);
          continue;
        }
        const url = discoveredUrl(d.url);
        if (url === undefined) continue;
        add(job, [{ job: d.job, instance: new URL(url).host, url, labels: publicLabels(d.labels) }]);
      }
    }

    for (const key of [...this.states.keys()]) {
      if (wanted.has(key)) continue;
      this.states.delete(key);
      this.connections.get(key)?.close();
      this.connections.delete(key);
    }
    // Rebuilt on the next /probe, not here: most target changes are never followed by a /probe.
    this.origins = undefined;
    for (const [key, { target, job }] of wanted) {
      const existing = this.states.get(key);
      const checkUnauthenticated = job.probe?.check_unauthenticated ?? false;
      if (existing) {
        // Recomputed on every file SD or discovery change: an unchanged target keeps its object, so its cached
        // labels and rendered lines stay; a changed one is re-rendered at the next scrape.
        if (!sameTarget(existing.target, target) || existing.checkUnauthenticated !== checkUnauthenticated) {
          existing.target = target;
          existing.checkUnauthenticated = checkUnauthenticated;
          invalidateText(existing);
        }
      } else {
        this.states.set(key, { target, last: undefined, counts: emptyCounts(), checkUnauthenticated });
      }
    }
    const global = this.global;
    if (!global || this.options.schedule === false) return;
    this.scheduler.sync(
      [...wanted].map(([key, { job }]) => ({
        key,
        intervalMs: probeTiming(job, global).intervalMs,
        run: () => this.probeScheduled(key),
      })),
    );
  }

  private async probeScheduled(key: string): Promise<void> {
    const state = this.states.get(key);
    const job = state && this.job(state.target.job);
    if (!state || !job || !this.global) return;
    let connections = this.connections.get(key);
    if (!connections) {
      connections = new TargetConnections(this.now, this.keepAliveBudget);
      this.connections.set(key, connections);
    }
    const result = await this.probeNow(state.target, job, {
      connections,
      maxConnectionAgeMs: job.probe?.max_connection_age ?? DEFAULT_MAX_CONNECTION_AGE_MS,
    });
    // The target may have been removed (or replaced) while the probe ran: its result is dropped then.
    if (this.states.get(key) !== state) return;
    if (result.exhausted) {
      // Out of descriptors is our trouble, not the target's: the last real verdict stands.
      this.exhaustion.report({ scrape_job: state.target.job, instance: state.target.instance });
      return;
    }
    const diagnosis = await this.diagnoseResult(state.target, job, result);
    if (this.states.get(key) !== state) return;
    state.last = result;
    state.diagnosis = diagnosis;
    state.counts[result.result]++;
    // Rendered here, once per probe, rather than at each scrape: a scrape of many targets only copies text.
    invalidateText(state);
    targetText(state);
    // Checked first: the object below would be built for every probe even when debug logging is off.
    if (this.options.logger.isLevelEnabled('debug')) {
      this.options.logger.debug(
        { scrape_job: state.target.job, instance: state.target.instance, result: result.result, status: result.statusCode, err: result.error, duration_seconds: result.durationSeconds },
        'Probe finished',
      );
    }
  }

  /**
   * The cause of a probe's result, from the evidence held now. For an http URL that failed oddly, the port is asked
   * whether it speaks TLS first (a plain request to a TLS port mostly ends in EOF, which says nothing by itself).
   */
  async diagnoseResult(target: ProbeTarget, job: ScrapeConfig, result: ProbeResult, options: { sniff?: boolean } = {}): Promise<Diagnosis> {
    const sniff = options.sniff !== false;
    const timeoutMs = this.global ? probeTiming(job, this.global).timeoutMs : undefined;
    let tls: boolean | undefined;
    const url = new URL(target.url);
    const odd = result.result === 'network_error' || (result.result === 'http_error' && result.statusCode === 400);
    const edges = { ...(timeoutMs !== undefined ? { timeoutMs } : {}), ...(this.options.lookup ? { lookup: this.options.lookup } : {}) };
    if (sniff && url.protocol === 'http:' && odd && job.proxy_url === undefined) {
      tls = await (this.options.sniffTls ?? speaksTls)(url.hostname, Number(url.port || 80), edges);
    }
    // A connection dropped right after a handshake with our client certificate: does the server insist on one?
    let demands: boolean | undefined;
    const sentCert = job.tls_config?.cert !== undefined || job.tls_config?.cert_file !== undefined;
    if (sniff && url.protocol === 'https:' && result.result === 'network_error' && sentCert && job.proxy_url === undefined) {
      const serverName = job.tls_config?.server_name;
      demands = await (this.options.sniffClientCert ?? demandsClientCert)(url.hostname, Number(url.port || 443), { ...edges, ...(serverName ? { servername: serverName } : {}) });
    }
    const evidence = collectEvidence(target, job, this.evidence, {
      nowMs: result.finishedMs,
      ...(timeoutMs !== undefined ? { timeoutMs } : {}),
      ...(tls !== undefined ? { speaksTls: tls } : {}),
      ...(demands !== undefined ? { demandsClientCert: demands } : {}),
    });
    return diagnose(result, evidence);
  }

  /**
   * Diagnoses the last results of the targets `which` accepts again, without probing: the evidence changed (the
   * RBAC answers came, say) while the result did not.
   */
  async rediagnose(which: (result: ProbeResult) => boolean): Promise<void> {
    for (const [key, state] of [...this.states]) {
      const job = this.job(state.target.job);
      const last = state.last;
      if (!job || !last || !which(last)) continue;
      const diagnosis = await this.diagnoseResult(state.target, job, last, { sniff: false });
      if (this.states.get(key) === state && state.last === last) {
        state.diagnosis = diagnosis;
        // The diagnosis family reads it: this target's cached lines must be rendered again.
        invalidateText(state);
      }
    }
  }

  /**
   * Probes every target (of the jobs `wanted` accepts) once now, at most max_concurrent_probes at a time, and
   * records the results as scheduled probes do: --diagnose's one round, without waiting for any schedule.
   */
  async probeAll(wanted: (job: string) => boolean = () => true): Promise<void> {
    const keys = [...this.states].filter(([, s]) => wanted(s.target.job)).map(([key]) => key);
    const limit = Math.max(1, this.global?.max_concurrent_probes ?? 64);
    let next = 0;
    const worker = async () => {
      while (next < keys.length) await this.probeScheduled(keys[next++]!);
    };
    await Promise.all(Array.from({ length: Math.min(limit, keys.length) }, worker));
  }

  /** The job's probe timeout: what the /probe timeout header may shorten, never lengthen. */
  timeoutMs(job: ScrapeConfig): number {
    return this.global ? probeTiming(job, this.global).timeoutMs : (job.probe?.timeout ?? job.scrape_timeout ?? 10_000);
  }

  /** One probe with the component's shared edges (lookup, TLS contexts); used by the scheduler and /probe. */
  probeNow(target: ProbeTarget, job: ScrapeConfig, extra: Partial<ProbeDeps> = {}): Promise<ProbeResult> {
    const global = this.global;
    const { timeoutMs } = global ? probeTiming(job, global) : { timeoutMs: job.probe?.timeout ?? job.scrape_timeout ?? 10_000 };
    return this.probeFn(target, job, {
      timeoutMs,
      now: this.now,
      tlsContexts: this.tlsContexts,
      oauth2: this.oauth2Tokens,
      env: this.options.env ?? {},
      ...(this.options.lookup ? { lookup: this.options.lookup } : {}),
      ...extra,
    });
  }

  /**
   * Probes every target of the jobs that use `path` now, not at their next slot: called when a credential
   * file's content changed, so a rotation shows in the probe metrics at once (Prometheus only sees it at its
   * next scrape). Returns how many targets were queued.
   */
  probeUsersOf(path: string): number {
    if (!this.config) return 0;
    const jobs = new Set(filesNamedBy(this.config).flatMap((f) => (f.path === path && f.job !== undefined ? [f.job] : [])));
    if (jobs.size === 0) return 0;
    const keys = [...this.states].flatMap(([key, state]) => (jobs.has(state.target.job) ? [key] : []));
    this.scheduler.runSoon(keys);
    return keys.length;
  }

  /** For the status page and /api/v1/status. */
  targets(): TargetStatus[] {
    return [...this.states.values()].map(({ target, last, diagnosis }) => ({
      job: target.job,
      instance: target.instance,
      url: target.url,
      labels: { ...target.labels },
      result: last?.result,
      statusCode: last?.statusCode,
      lastError: last?.error,
      lastProbeMs: last?.finishedMs,
      durationSeconds: last?.durationSeconds,
      authEnforced: last?.unauthenticated?.authEnforced,
      unauthenticatedStatusCode: last?.unauthenticated?.statusCode,
      forbidden: last?.result === 'forbidden' ? last.forbidden : undefined,
      tlsCertExpiryMs: last?.tlsCertExpiryMs,
      diagnosis: diagnosis ? { ...diagnosis } : undefined,
    }));
  }

  /** Probes running now; for tests that move a fake clock one probe at a time. */
  get probesInFlight(): number {
    return this.scheduler.inFlight;
  }

  /** How many targets are scheduled; for tests and the benchmark. */
  get targetCount(): number {
    return this.states.size;
  }

  async stop(): Promise<void> {
    this.scheduler.stop();
    for (const connections of this.connections.values()) connections.close();
    this.connections.clear();
    await Promise.all([...this.fileSds.values()].flat().map((sd) => sd.stop()));
    this.fileSds.clear();
  }
}

function sameTarget(a: ProbeTarget, b: ProbeTarget): boolean {
  if (a.job !== b.job || a.instance !== b.instance || a.url !== b.url) return false;
  const ak = Object.keys(a.labels);
  return ak.length === Object.keys(b.labels).length && ak.every((k) => a.labels[k] === b.labels[k]);
}

/** A discovered target's URL as its probe target holds it (normalised, no userinfo); undefined if not http(s). */
function discoveredUrl(href: string): string | undefined {
  let url: URL;
  try {
    url = new URL(href);
  } catch {
    return undefined;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return undefined;
  return stripUserinfo(url.href);
}
