// Sidecar mode's config load: our own file, then prometheus.yml's jobs merged in (ours win), as one Config.
import type { Logger } from 'pino';
import { loadConfigFile, type LoadedConfig } from '../config/load.js';
import { probeTiming, type PrometheusSidecarConfig, type ScrapeConfig } from '../config/schema.js';
import { importPrometheusConfig, type PrometheusImport } from './import.js';

/**
 * The `load()` the Runtime calls at start and on every reload. A broken prometheus.yml throws like a broken
 * own file does, so the reload fails, the previous config keeps running and the reload metrics say so.
 */
export function createConfigLoader(file: string, logger: Logger): () => Promise<LoadedConfig> {
  return async () => {
    const own = await loadConfigFile(file);
    const configFile = own.config.prometheus?.config_file;
    if (configFile === undefined) return own;
    const imported = await importPrometheusConfig(configFile);
    return mergePrometheusImport(own, imported, logger);
  };
}

export function mergePrometheusImport(own: LoadedConfig, imported: PrometheusImport, logger?: Logger): LoadedConfig {
  const sidecar: Partial<PrometheusSidecarConfig> = own.config.prometheus ?? {};
  const filter = sidecar.jobs === undefined ? undefined : new Set(sidecar.jobs);
  const ownNames = new Set(own.config.scrape_configs.map((job) => job.job_name));
  const wanted = (name: string) => filter === undefined || filter.has(name);

  const jobs: ScrapeConfig[] = [];
  const excluded: string[] = [];
  for (const job of imported.jobs) {
    if (!wanted(job.job_name) || ownNames.has(job.job_name)) {
      excluded.push(job.job_name);
      continue;
    }
    const probed: ScrapeConfig = { ...job, probe: sidecar.probe && { ...sidecar.probe } };
    // With a Prometheus URL, its active targets are the truth: they are what relabelling left and rewrote, and
    // probing the static list as well would probe each target twice.
    if (sidecar.url !== undefined) {
      probed.static_configs = [];
      probed.file_sd_configs = [];
    }
    jobs.push(clampTimeout(probed, own, logger));
  }
  const skipped = imported.skipped.filter((s) => wanted(s.job) && !ownNames.has(s.job));
  for (const s of imported.skipped) if (!skipped.includes(s)) excluded.push(s.job);
  for (const s of skipped) {
    logger?.info({ file: imported.file, scrape_job: s.job, reason: s.reason, detail: s.detail }, 'Not probing a job of prometheus.yml');
  }
  for (const u of imported.unknownFields) {
    logger?.warn({ file: imported.file, scrape_job: u.job, field: u.field, where: u.where }, 'Unknown field in prometheus.yml accepted (a newer Prometheus?); it does not change the probe');
  }
  const known = new Set([...imported.jobs.map((j) => j.job_name), ...imported.skipped.map((s) => s.job)]);
  for (const name of filter ?? []) {
    if (!known.has(name) && !ownNames.has(name)) logger?.warn({ file: imported.file, scrape_job: name }, 'prometheus.jobs names a job prometheus.yml does not have');
  }
  return {
    ...own,
    config: { ...own.config, scrape_configs: [...own.config.scrape_configs, ...jobs] },
    imported: {
      file: imported.file,
      digest: imported.digest,
      jobs: jobs.map((j) => j.job_name),
      skipped,
      excluded,
      unknownFields: imported.unknownFields,
      files: imported.files,
      scrapeConfigFiles: imported.scrapeConfigFiles,
    },
  };
}

/**
 * Prometheus keeps scrape_timeout within its own scrape_interval, not within our probe interval: a job with a
 * 1m timeout probed every 30s gets a 30s timeout rather than failing the whole import.
 */
function clampTimeout(job: ScrapeConfig, own: LoadedConfig, logger?: Logger): ScrapeConfig {
  const { intervalMs } = probeTiming(job, own.config.global);
  const timeoutMs = job.probe?.timeout ?? job.scrape_timeout ?? own.config.global.probe_timeout;
  if (timeoutMs <= intervalMs) return job;
  logger?.info({ scrape_job: job.job_name, timeout_ms: timeoutMs, interval_ms: intervalMs }, 'Probe timeout of an imported job cut to the probe interval');
  return { ...job, probe: { check_unauthenticated: false, ...job.probe, timeout: intervalMs } };
}

/** What --config.check says about the import: how many jobs came in, and each skipped one with its reason. */
export function describeImport(loaded: LoadedConfig): string[] {
  const imported = loaded.imported;
  if (!imported) return [];
  return [
    `  ${imported.file}: ${imported.jobs.length} job(s) imported, ${imported.skipped.length} skipped, ${imported.excluded.length} left out (prometheus.jobs or a job of ours with the same name)`,
    ...imported.files.slice(1).map((f) => `  scrape_config_files: ${f}`),
    ...imported.skipped.map((s) => `  SKIPPED: job "${s.job}" (${s.reason}): ${s.detail}`),
    ...imported.unknownFields.map((u) => `  WARNING: ${u.where}: unknown field "${u.field}"${u.job ? ` in job "${u.job}"` : ''} accepted for a newer Prometheus`),
  ];
}
