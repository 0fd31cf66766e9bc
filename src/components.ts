// Wires the config-driven parts of the exporter together; main.ts and the tests build the same set.
import type { Router } from 'express';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { Environment } from './kubernetes/in-cluster.js';
import { RbacChecker } from './kubernetes/rbac.js';
import type { Component } from './runtime.js';
import type { StatusSources } from './status/types.js';

export interface ComponentContext {
  registry: Registry;
  logger: Logger;
  /** The process environment (main passes process.env): tells whether we run in a Kubernetes cluster. */
  env?: Environment;
}

export interface Wiring {
  components: Component[];
  routers: Router[];
  status: StatusSources;
}

export function createComponents(ctx: ComponentContext): Wiring {
  const rbac = new RbacChecker({ registry: ctx.registry, logger: ctx.logger.child({ component: 'kubernetes' }), env: ctx.env ?? {} });
  return { components: [rbac], routers: [], status: { targets: () => [], credentials: () => [] } };
}
