// Wires the config-driven parts of the exporter together; main.ts and the tests build the same set.
import type { Router } from 'express';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { Component } from './runtime.js';
import { PrometheusConfigWatcher } from './sidecar/watch.js';
import type { StatusSources } from './status/types.js';

export interface ComponentContext {
  registry: Registry;
  logger: Logger;
  /** Reloads the config as SIGHUP does (e.g. when the imported prometheus.yml changes). */
  requestReload: () => void;
}

export interface Wiring {
  components: Component[];
  routers: Router[];
  status: StatusSources;
}

export function createComponents(ctx: ComponentContext): Wiring {
  const components: Component[] = [new PrometheusConfigWatcher({ logger: ctx.logger, requestReload: ctx.requestReload })];
  return { components, routers: [], status: { targets: () => [], credentials: () => [] } };
}
