// The RBAC checker component: asks the API server, every check_interval, what this pod's service account may do.
import { clearLong, setLongTimeout } from '../timers.js';
import type { Dispatcher } from 'undici';
import { Gauge, type Registry } from 'prom-client';
import type { Logger } from 'pino';
import type { LoadedConfig } from '../config/load.js';
import type { RbacCheck } from '../config/schema.js';
import { readCredentialFile, readSecretFile } from '../credentials/read.js';
import type { Component } from '../runtime.js';
import type { ReviewResult } from './access-review.js';
import {
  DEFAULT_CHECK_INTERVAL_MS,
  DEFAULT_RBAC_CHECKS,
  inClusterApi,
  MAX_CHECK_TIMEOUT_MS,
  rbacChecksEnabled,
  SERVICE_ACCOUNT_DIR,
  type Environment,
} from './in-cluster.js';

export interface Timers {
  set(fn: () => void, ms: number): unknown;
  clear(handle: unknown): void;
}

/** Chained, unref'd timers: an interval past 2^31-1 ms must not fire every millisecond (src/timers.ts). */
const realTimers: Timers = {
  set: (fn, ms) => setLongTimeout(fn, ms),
  clear: (handle) => clearLong(handle),
};

export interface RbacCheckerOptions {
  registry: Registry;
  logger: Logger;
  /** KUBERNETES_SERVICE_HOST and _PORT come from here; main passes process.env. */
  env: Environment;
  serviceAccountDir?: string;
  /** Builds the connection pool of one round from the CA bundle read for it. */
  dispatcherFor?: (ca: Buffer) => Dispatcher;
  timers?: Timers;
}

/** One configured check and the API server's last answer to it. */
export interface RbacCheckStatus {
  verb: string;
  resource: string;
  subresource: string;
  group: string;
  namespace: string;
  name: string;
  /** The last answer the API server gave; kept while the API server cannot be asked. */
  allowed: boolean | undefined;
  reason: string | undefined;
}

export interface RbacStatus {
  enabled: boolean;
  /** undefined until the first round finished. */
  lastCheckSuccess: boolean | undefined;
  lastError: string | undefined;
  checks: RbacCheckStatus[];
}

function keyOf(check: RbacCheck): string {
  return JSON.stringify([check.verb, check.resource, check.subresource ?? '', check.group ?? '', check.namespace ?? '', check.name ?? '']);
}

async function defaultDispatcher(ca: Buffer): Promise<Dispatcher> {
  const { Agent } = await import('undici');
  return new Agent({ connect: { ca }, connections: 4, pipelining: 0 });
}

export class RbacChecker implements Component {
  readonly name = 'kubernetes-rbac';
  private enabled = false;
  private checks: RbacCheck[] = [];
  private intervalMs = DEFAULT_CHECK_INTERVAL_MS;
  private answers = new Map<string, { allowed: boolean; reason: string | undefined }>();
  private lastSuccess: boolean | undefined;
  private lastError: string | undefined;
  private timer: unknown;
  private round: Promise<void> = Promise.resolve();
  private abort: AbortController | undefined;
  /** Bumped by apply() and stop(): a round started under an older generation records nothing. */
  private generation = 0;
  private readonly timers: Timers;
  private readonly listeners = new Set<() => void>();

  constructor(private readonly options: RbacCheckerOptions) {
    this.timers = options.timers ?? realTimers;
    const self = this;
    new Gauge({
      name: 'scrape_auth_rbac_allowed',
      help: "1 when the pod's service account may do verb on resource/subresource, 0 when not, from a SelfSubjectAccessReview (the last answer is kept while the API server cannot be asked).",
      labelNames: ['verb', 'resource', 'subresource'],
      registers: [options.registry],
      collect() {
        this.reset();
        for (const check of self.status().checks) {
          if (check.allowed === undefined) continue;
          this.set({ verb: check.verb, resource: check.resource, subresource: check.subresource }, check.allowed ? 1 : 0);
        }
      },
    });
    const success = new Gauge({
      name: 'scrape_auth_rbac_check_success',
      help: 'Whether the last round of SelfSubjectAccessReviews got an answer from the API server for every check (0: it could not be asked).',
      registers: [options.registry],
      collect() {
        this.set(self.lastSuccess ? 1 : 0);
      },
    });
    // prom-client always exposes a gauge without labels (as 0); with the checks off there is no sample at all.
    const get = success.get.bind(success);
    success.get = async () => {
      const metric = await get();
      return self.enabled && self.lastSuccess !== undefined ? metric : { ...metric, values: [] };
    };
  }

  async apply(loaded: LoadedConfig): Promise<void> {
    const config = loaded.config.kubernetes;
    const enabled = rbacChecksEnabled(config, this.options.env);
    const checks = config?.rbac_checks ?? [...DEFAULT_RBAC_CHECKS];
    this.cancel();
    this.enabled = enabled;
    this.checks = checks;
    this.intervalMs = config?.check_interval ?? DEFAULT_CHECK_INTERVAL_MS;
    // A check no longer configured loses its answer, so its series disappears.
    const keep = new Set(checks.map(keyOf));
    for (const key of [...this.answers.keys()]) if (!keep.has(key)) this.answers.delete(key);
    if (!enabled) {
      this.answers.clear();
      this.lastSuccess = undefined;
      this.lastError = undefined;
      return;
    }
    // Not awaited: a slow API server must not hold up start-up or a reload.
    this.startRound(this.generation);
  }

  /** Resolves when the round in flight (if any) has finished and been recorded. */
  settled(): Promise<void> {
    return this.round;
  }

  status(): RbacStatus {
    return {
      enabled: this.enabled,
      lastCheckSuccess: this.lastSuccess,
      lastError: this.lastError,
      checks: this.enabled
        ? this.checks.map((check) => {
            const answer = this.answers.get(keyOf(check));
            return {
              verb: check.verb,
              resource: check.resource,
              subresource: check.subresource ?? '',
              group: check.group ?? '',
              namespace: check.namespace ?? '',
              name: check.name ?? '',
              allowed: answer?.allowed,
              reason: answer?.reason,
            };
          })
        : [],
    };
  }

  async stop(): Promise<void> {
    this.cancel();
    this.enabled = false;
    await this.round;
  }

  private cancel(): void {
    this.generation++;
    if (this.timer !== undefined) this.timers.clear(this.timer);
    this.timer = undefined;
    this.abort?.abort();
    this.abort = undefined;
  }

  private startRound(generation: number): void {
    const abort = new AbortController();
    this.abort = abort;
    this.round = this.runRound(generation, abort.signal).then(() => {
      if (generation !== this.generation) return;
      this.timer = this.timers.set(() => this.startRound(generation), this.intervalMs);
    });
  }

  private async runRound(generation: number, signal: AbortSignal): Promise<void> {
    const checks = this.checks;
    const outcome = await this.askAll(checks, signal);
    if (generation !== this.generation) return;
    if ('error' in outcome) {
      this.record(false, outcome.error);
      return;
    }
    const failures: string[] = [];
    let changed = false;
    checks.forEach((check, i) => {
      const result = outcome.results[i]!;
      if (!result.ok) {
        failures.push(result.error);
        return;
      }
      const key = keyOf(check);
      const before = this.answers.get(key);
      this.answers.set(key, { allowed: result.allowed, reason: result.reason });
      if (before?.allowed !== result.allowed) {
        this.logAnswer(check, result.allowed, result.reason);
        changed = true;
      }
    });
    // The checks share one API server and one token: the first failure stands for the round.
    this.record(failures.length === 0, failures[0]);
    if (changed) for (const listener of this.listeners) listener();
  }

  /** Called after a round whose answers differ from the last ones (a 403's diagnosis names what is denied). */
  onAnswersChanged(listener: () => void): void {
    this.listeners.add(listener);
  }

  private async askAll(checks: RbacCheck[], signal: AbortSignal): Promise<{ results: ReviewResult[] } | { error: string }> {
    const api = inClusterApi(this.options.env, this.options.serviceAccountDir ?? SERVICE_ACCOUNT_DIR);
    if (!api) return { error: 'not running in a Kubernetes cluster: KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT are not set' };
    // Re-read every round: the kubelet rotates the projected token (and the CA bundle) in place.
    const token = await readSecretFile(api.tokenFile);
    if (!token.ok) return { error: `cannot read the service-account token ${api.tokenFile}: ${token.problem}` };
    if (token.value === '') return { error: `the service-account token ${api.tokenFile} is empty` };
    const ca = await readCredentialFile(api.caFile);
    if (!ca.ok) return { error: `cannot read the API server CA ${api.caFile}: ${ca.problem}` };
    // Loaded on first use: undici and the review client cost megabytes of RSS outside a cluster, where no check runs.
    const { reviewAccess } = await import('./access-review.js');
    const dispatcher = this.options.dispatcherFor?.(ca.content) ?? (await defaultDispatcher(ca.content));
    try {
      const timeoutMs = Math.min(MAX_CHECK_TIMEOUT_MS, this.intervalMs);
      const results = await Promise.all(
        checks.map((check) => reviewAccess(check, { apiUrl: api.url, token: token.value, dispatcher, timeoutMs, signal })),
      );
      return { results };
    } finally {
      // destroy, not close: a request that timed out must not keep its socket, or stop() would wait on it.
      await dispatcher.destroy().catch(() => undefined);
    }
  }

  private record(success: boolean, error: string | undefined): void {
    const { logger } = this.options;
    if (!success && error !== this.lastError) {
      logger.warn({ err: error }, 'Cannot ask the Kubernetes API server what the service account may do (SelfSubjectAccessReview)');
    } else if (success && this.lastSuccess === false) {
      logger.info('Kubernetes RBAC checks answered again');
    }
    this.lastSuccess = success;
    this.lastError = success ? undefined : error;
  }

  private logAnswer(check: RbacCheck, allowed: boolean, reason: string | undefined): void {
    const fields = { verb: check.verb, resource: check.subresource ? `${check.resource}/${check.subresource}` : check.resource, reason };
    if (allowed) this.options.logger.debug(fields, 'RBAC check allowed');
    else this.options.logger.warn(fields, 'RBAC check denied: the service account lacks this permission');
  }
}
