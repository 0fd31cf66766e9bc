// Exposes which jobs of the imported prometheus.yml are not probed, and why.
import { Gauge, type Registry } from 'prom-client';
import type { ImportedPrometheusConfig, LoadedConfig } from '../config/load.js';
import type { Component } from '../runtime.js';

/** Built from the running config on every scrape, so a job fixed in prometheus.yml loses its series. */
export class PrometheusImportStatus implements Component {
  readonly name = 'prometheus-import-status';
  private imported: ImportedPrometheusConfig | undefined;
  /** Label-less gauges always print a value in prom-client: registered only while prometheus.yml is imported. */
  private readonly jobsGauge: Gauge;

  constructor(private readonly registry: Registry) {
    const state = () => this.imported;
    new Gauge({
      name: 'scrape_auth_prometheus_job_skipped',
      help: 'A job of the imported prometheus.yml that is not probed: 1, with the reason (sigv4, azuread, google_iam, unsupported_config).',
      labelNames: ['scrape_job', 'reason'],
      registers: [registry],
      collect() {
        this.reset();
        for (const s of state()?.skipped ?? []) this.set({ scrape_job: s.job, reason: s.reason }, 1);
      },
    });
    new Gauge({
      name: 'scrape_auth_prometheus_unknown_field_info',
      help: 'A field of the imported prometheus.yml this exporter does not know, accepted for a newer Prometheus: 1 (scrape_job is empty for global and top-level fields).',
      labelNames: ['scrape_job', 'field'],
      registers: [registry],
      collect() {
        this.reset();
        for (const u of state()?.unknownFields ?? []) this.set({ scrape_job: u.job, field: u.field }, 1);
      },
    });
    this.jobsGauge = new Gauge({
      name: 'scrape_auth_prometheus_jobs',
      help: 'Jobs imported from prometheus.yml and probed (a job of our own config with the same name is not counted).',
      registers: [],
      collect() {
        this.reset();
        const imported = state();
        if (imported) this.set(imported.jobs.length);
      },
    });
  }

  async apply(loaded: LoadedConfig): Promise<void> {
    this.imported = loaded.imported;
    const present = this.registry.getSingleMetric('scrape_auth_prometheus_jobs') !== undefined;
    if (loaded.imported && !present) this.registry.registerMetric(this.jobsGauge);
    if (!loaded.imported && present) this.registry.removeSingleMetric('scrape_auth_prometheus_jobs');
  }

  async stop(): Promise<void> {}
}
