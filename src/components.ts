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
  /** Tests only: where the pod's service-account token and CA are (default: the in-cluster path). */
  serviceAccountDir?: string;
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
  sync: PrometheusTargetSync;
}

export function createComponents(ctx: ComponentContext): Wiring {
  const env = ctx.env ?? {};
  const saDir: [] | [string] = ctx.serviceAccountDir !== undefined ? [ctx.serviceAccountDir] : [];
  const probes = new ProbeComponent({ registry: ctx.registry, logger: ctx.logger, env, ...ctx.probes });
  const credentials = new CredentialWatcher({
    registry: ctx.registry,
    logger: ctx.logger,
    namedFiles: (config) => ({ kubernetesTokenFile: kubernetesTokenFile(config.kubernetes, env, ...saDir) }),
  });
  // A rotated, deleted or (re-)created credential is probed at once, so our verdict changes before Prometheus's
  // next scrape does: a file re-created with its old content is no rotation, but the target's cause changes.
  credentials.subscribe((event) => {
    if (event.contentChanged || event.presenceChanged) probes.probeUsersOf(event.path);
  });
  const rbac = new RbacChecker({
    registry: ctx.registry,
    logger: ctx.logger.child({ component: 'kubernetes' }),
    env,
    ...(ctx.serviceAccountDir !== undefined ? { serviceAccountDir: ctx.serviceAccountDir } : {}),
  });
  const tokenFile = () => {
    const config = probes.currentConfig;
    return config ? kubernetesTokenFile(config.kubernetes, env, ...saDir) : undefined;
  };
  // A 403's fix names what the API server denies: the RBAC answers often come after the first probes.
  rbac.onAnswersChanged(() => void probes.rediagnose((r) => r.result === 'forbidden'));
  probes.setEvidenceSources({
    credentialFile: (file) => credentials.file(file),
    clientCertKeyMatch: (job) => credentials.clientCertKeyMatch(job),
    rbac: () => {
      const status = rbac.status();
      if (!status.enabled) return undefined;
      const token = tokenFile();
      const sub = token !== undefined ? credentials.file(token)?.subject : undefined;
      return {
        serviceAccount: sub?.startsWith('system:serviceaccount:') ? sub : undefined,
        denied: status.checks.filter((c) => c.allowed === false).map((c) => ({ verb: c.verb, resource: c.resource, subresource: c.subresource, group: c.group })),
      };
    },
  });
  const sync = new PrometheusTargetSync({ sink: probes, registry: ctx.registry, logger: ctx.logger });
  // Order matters: the probe engine takes the new jobs before the sync hands it Prometheus's targets for them.
  const components: Component[] = [
    credentials,
    probes,
    rbac,
    new PrometheusConfigWatcher({ logger: ctx.logger, requestReload: ctx.requestReload ?? (() => undefined) }),
    new PrometheusImportStatus(ctx.registry),
    sync,
  ];
  return {
    components,
    routers: [createProbeRouter(probes, { allowAnyTarget: ctx.probeAllowAnyTarget === true })],
    status: { targets: () => probes.targets(), credentials: () => credentials.status() },
    probes,
    credentials,
    rbac,
    sync,
  };
}
