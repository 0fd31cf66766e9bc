// Wires the config-driven parts of the exporter together; main.ts and the tests build the same set.
import type { Router } from 'express';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { CredentialWatcher } from './credentials/watcher.js';
import type { Component } from './runtime.js';
import type { StatusSources } from './status/types.js';

export interface ComponentContext {
  registry: Registry;
  logger: Logger;
}

export interface Wiring {
  components: Component[];
  routers: Router[];
  status: StatusSources;
}

export function createComponents(ctx: ComponentContext): Wiring {
  const credentials = new CredentialWatcher({ registry: ctx.registry, logger: ctx.logger });
  return {
    components: [credentials],
    routers: [],
    status: { targets: () => [], credentials: () => credentials.status() },
  };
}
