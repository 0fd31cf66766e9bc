// file_sd_configs: JSON/YAML target groups from globbed files, re-read on change and every refresh_interval.
import path from 'node:path';
import { watch, type FSWatcher } from 'chokidar';
import { glob, isDynamicPattern } from 'tinyglobby';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import type { Logger } from 'pino';
import { readCredentialFile } from '../credentials/read.js';
import type { Timers } from './scheduler.js';
import type { TargetGroup } from './targets.js';

/** SD files are bigger than credentials but still bounded. */
const MAX_SD_FILE_BYTES = 16 * 1024 * 1024;
/** Editors write in bursts; one re-read after the burst is enough. */
const DEBOUNCE_MS = 100;

const targetGroups = z.array(
  z.strictObject({
    targets: z.array(z.string()),
    labels: z.record(z.string(), z.string()).optional(),
  }),
);

/** Parses one SD file's content by extension, as Prometheus does (.json, .yml, .yaml). */
export function parseTargetGroups(file: string, text: string): { ok: true; groups: TargetGroup[] } | { ok: false; error: string } {
  const ext = path.extname(file).toLowerCase();
  let raw: unknown;
  try {
    if (ext === '.json') raw = JSON.parse(text);
    else if (ext === '.yml' || ext === '.yaml') raw = parseYaml(text, { maxAliasCount: 100 });
    else return { ok: false, error: `unsupported file extension "${ext}": use .json, .yml or .yaml` };
  } catch (err) {
    return { ok: false, error: `cannot parse: ${(err instanceof Error ? err.message : String(err)).split('\n')[0]}` };
  }
  // An empty YAML file is an empty list of groups, as in Prometheus.
  if (raw === null || raw === undefined) return { ok: true, groups: [] };
  const parsed = targetGroups.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const where = issue.path.length > 0 ? `${issue.path.join('.')}: ` : '';
    return { ok: false, error: `not a list of target groups: ${where}${issue.message}` };
  }
  return { ok: true, groups: parsed.data };
}

export interface FileSdOptions {
  patterns: string[];
  refreshIntervalMs: number;
  onChange: () => void;
  logger: Logger;
  timers: Timers;
  /** Watch the directories with chokidar (off in tests that only want the periodic refresh). */
  watch?: boolean;
}

/** One file_sd_configs block: its current target groups, keeping a broken file's last good groups. */
export class FileSd {
  private readonly byFile = new Map<string, TargetGroup[]>();
  private watcher: FSWatcher | undefined;
  private timer: unknown;
  private debounce: unknown;
  private stopped = false;
  private refreshing: Promise<void> = Promise.resolve();

  constructor(private readonly options: FileSdOptions) {}

  groups(): TargetGroup[] {
    return [...this.byFile.values()].flat();
  }

  async start(): Promise<void> {
    await this.refresh();
    if (this.options.watch !== false) {
      const dirs = [...new Set(this.options.patterns.map(watchRoot))];
      this.watcher = watch(dirs, { ignoreInitial: true, depth: 0, persistent: false });
      this.watcher.on('all', () => this.schedule(DEBOUNCE_MS));
      this.watcher.on('error', (err) => this.options.logger.warn({ err: err instanceof Error ? err.message : String(err) }, 'file_sd watcher error'));
      // A change written right after start must not fall before the watcher is listening.
      await new Promise<void>((resolve) => this.watcher!.once('ready', () => resolve()));
    }
    this.armRefresh();
  }

  private armRefresh(): void {
    if (this.stopped) return;
    this.timer = this.options.timers.setTimeout(() => {
      this.armRefresh();
      void this.refreshAndNotify();
    }, this.options.refreshIntervalMs);
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    this.options.timers.clearTimeout(this.debounce);
    this.debounce = this.options.timers.setTimeout(() => void this.refreshAndNotify(), ms);
  }

  private async refreshAndNotify(): Promise<void> {
    const before = JSON.stringify([...this.byFile]);
    await this.refresh();
    if (!this.stopped && JSON.stringify([...this.byFile]) !== before) this.options.onChange();
  }

  /** Re-reads every file the patterns match now; refreshes never overlap. */
  refresh(): Promise<void> {
    this.refreshing = this.refreshing.then(() => this.refreshNow());
    return this.refreshing;
  }

  private async refreshNow(): Promise<void> {
    const files = new Set<string>();
    for (const pattern of this.options.patterns) {
      for (const file of await matchPattern(pattern)) files.add(file);
    }
    for (const file of [...this.byFile.keys()]) if (!files.has(file)) this.byFile.delete(file);
    for (const file of [...files].sort()) {
      const read = await readCredentialFile(file, MAX_SD_FILE_BYTES);
      if (!read.ok) {
        if (!read.exists) this.byFile.delete(file);
        else this.options.logger.error({ file, err: read.problem }, 'Error reading file_sd file, keeping its last good targets');
        continue;
      }
      const parsed = parseTargetGroups(file, read.content.toString('utf8'));
      if (!parsed.ok) {
        this.options.logger.error({ file, err: parsed.error }, 'Error reading file_sd file, keeping its last good targets');
        continue;
      }
      this.byFile.set(file, parsed.groups);
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.options.timers.clearTimeout(this.timer);
    this.options.timers.clearTimeout(this.debounce);
    await this.watcher?.close();
  }
}

async function matchPattern(pattern: string): Promise<string[]> {
  if (!isDynamicPattern(pattern)) return [pattern];
  const root = watchRoot(pattern);
  const rest = path.relative(root, pattern);
  try {
    return await glob(rest, { cwd: root, absolute: true, onlyFiles: true, dot: false });
  } catch {
    return [];
  }
}

/** The deepest directory of a pattern without glob characters: what chokidar watches. */
function watchRoot(pattern: string): string {
  const parts = pattern.split(path.sep);
  const fixed: string[] = [];
  for (const part of parts.slice(0, -1)) {
    if (isDynamicPattern(part)) break;
    fixed.push(part);
  }
  return fixed.join(path.sep) || path.sep;
}
