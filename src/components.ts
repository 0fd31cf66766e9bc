// Wires the config-driven parts of the exporter together; main.ts and the tests build the same set.
import type { Router } from 'express';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { ProbeComponent, type ProbeComponentOptions } from './probe/component.js';
import { createProbeRouter } from './probe/router.js';
import type { Component } from './runtime.js';
import type { StatusSources } from './status/types.js';

export interface ComponentContext {
  registry: Registry;
  logger: Logger;
  /** Edges the probe component takes from tests and the demo (clock, timers, DNS lookup). */
  probes?: Omit<ProbeComponentOptions, 'registry' | 'logger'>;
}

export interface Wiring {
  components: Component[];
  routers: Router[];
  status: StatusSources;
  probes: ProbeComponent;
}

export function createComponents(ctx: ComponentContext): Wiring {
  const probes = new ProbeComponent({ registry: ctx.registry, logger: ctx.logger, ...ctx.probes });
  return {
    components: [probes],
    routers: [createProbeRouter(probes)],
    status: { targets: () => probes.targets(), credentials: () => [] },
    probes,
  };
}
