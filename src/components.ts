// Wires the config-driven parts of the exporter together; main.ts and the tests build the same set.
import type { Router } from 'express';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { Component } from './runtime.js';
import { PrometheusImportStatus } from './sidecar/import-status.js';
import { PrometheusTargetSync, type DiscoveredTargetSink } from './sidecar/sync.js';
import { PrometheusConfigWatcher } from './sidecar/watch.js';
import type { StatusSources } from './status/types.js';

export interface ComponentContext {
  registry: Registry;
  logger: Logger;
  /** Reloads the config as SIGHUP does (e.g. when the imported prometheus.yml changes); main.ts passes the runtime's. */
  requestReload?: () => void;
}

export interface Wiring {
  components: Component[];
  routers: Router[];
  status: StatusSources;
}

export function createComponents(ctx: ComponentContext): Wiring {
  // Until the probe engine is wired in, Prometheus's targets are read (and their metrics shown) but not probed.
  const discoveredTargets: DiscoveredTargetSink = { setDiscoveredTargets: () => undefined };
  const components: Component[] = [
    new PrometheusConfigWatcher({ logger: ctx.logger, requestReload: ctx.requestReload ?? (() => undefined) }),
    new PrometheusImportStatus(ctx.registry),
    new PrometheusTargetSync({ sink: discoveredTargets, registry: ctx.registry, logger: ctx.logger }),
  ];
  return { components, routers: [], status: { targets: () => [], credentials: () => [] } };
}
