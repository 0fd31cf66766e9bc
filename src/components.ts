// Wires the config-driven parts of the exporter together; main.ts and the tests build the same set.
import type { Router } from 'express';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { CredentialWatcher } from './credentials/watcher.js';
import { kubernetesTokenFile, type Environment } from './kubernetes/in-cluster.js';
import { RbacChecker } from './kubernetes/rbac.js';
import { ProbeComponent, type ProbeComponentOptions } from './probe/component.js';
import { createProbeRouter } from './probe/router.js';
import type { Component } from './runtime.js';
import { PrometheusImportStatus } from './sidecar/import-status.js';
import { PrometheusTargetSync } from './sidecar/sync.js';
import { PrometheusConfigWatcher } from './sidecar/watch.js';
import type { StatusSources } from './status/types.js';

export interface ComponentContext {
  registry: Registry;
  logger: Logger;
  /** Reloads the config as SIGHUP does (e.g. when the imported prometheus.yml changes); main.ts passes the runtime's. */
  requestReload?: () => void;
  /** Edges the probe component takes from tests and the demo (clock, timers, DNS lookup). */
  probes?: Omit<ProbeComponentOptions, 'registry' | 'logger'>;
  /** The process environment (main passes process.env): tells whether we run in a Kubernetes cluster. */
  env?: Environment;
  /** --probe.allow-any-target. */
  probeAllowAnyTarget?: boolean;
}

export interface Wiring {
  components: Component[];
  routers: Router[];
  status: StatusSources;
  probes: ProbeComponent;
  credentials: CredentialWatcher;
  rbac: RbacChecker;
}

export function createComponents(ctx: ComponentContext): Wiring {
  const env = ctx.env ?? {};
  const probes = new ProbeComponent({ registry: ctx.registry, logger: ctx.logger, env, ...ctx.probes });
  const credentials = new CredentialWatcher({
    registry: ctx.registry,
    logger: ctx.logger,
    namedFiles: (config) => ({ kubernetesTokenFile: kubernetesTokenFile(config.kubernetes, env) }),
  });
  // A rotated credential is probed at once, so our verdict changes before Prometheus's next scrape does.
  credentials.subscribe((event) => {
    if (event.contentChanged) probes.probeUsersOf(event.path);
  });
  const rbac = new RbacChecker({ registry: ctx.registry, logger: ctx.logger.child({ component: 'kubernetes' }), env });
  // Order matters: the probe engine takes the new jobs before the sync hands it Prometheus's targets for them.
  const components: Component[] = [
    credentials,
    probes,
    rbac,
    new PrometheusConfigWatcher({ logger: ctx.logger, requestReload: ctx.requestReload ?? (() => undefined) }),
    new PrometheusImportStatus(ctx.registry),
    new PrometheusTargetSync({ sink: probes, registry: ctx.registry, logger: ctx.logger }),
  ];
  return {
    components,
    routers: [createProbeRouter(probes, { allowAnyTarget: ctx.probeAllowAnyTarget === true })],
    status: { targets: () => probes.targets(), credentials: () => credentials.status() },
    probes,
    credentials,
    rbac,
  };
}
