// The exporter's own metrics: build info and config reload state, named as Prometheus names them.
import { collectDefaultMetrics, Gauge, Registry } from 'prom-client';
import { VERSION } from '../version.js';

export interface SelfMetrics {
  reloadSuccessful: Gauge;
  reloadSuccessTimestamp: Gauge;
}

/**
 * How often the event-loop delay histogram samples, in ms. prom-client's default, 10 ms, wakes an idle exporter 100
 * times a second, which was most of its idle CPU (docs/benchmarks.md); a stall shorter than this is still measured
 * by the sample that waits it out.
 */
const EVENT_LOOP_PRECISION_MS = 100;

/** A fresh registry with prom-client's default process and Node.js metrics. */
export function createRegistry(): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: EVENT_LOOP_PRECISION_MS });
  return registry;
}

export function registerSelfMetrics(registry: Registry): SelfMetrics {
  const buildInfo = new Gauge({
    name: 'scrape_auth_build_info',
    help: 'A metric with a constant 1 value labeled by the version of scrape-auth-exporter and of Node.js it runs on.',
    labelNames: ['version', 'nodejs_version'],
    registers: [registry],
  });
  buildInfo.set({ version: VERSION, nodejs_version: process.version }, 1);
  return {
    reloadSuccessful: new Gauge({
      name: 'scrape_auth_config_last_reload_successful',
      help: 'Whether the last configuration reload attempt was successful.',
      registers: [registry],
    }),
    reloadSuccessTimestamp: new Gauge({
      name: 'scrape_auth_config_last_reload_success_timestamp_seconds',
      help: 'Timestamp of the last successful configuration reload.',
      registers: [registry],
    }),
  };
}
