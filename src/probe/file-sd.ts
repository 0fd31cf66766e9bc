// file_sd_configs: JSON/YAML target groups from globbed files, re-read on change and every refresh_interval.
import { createHash } from 'node:crypto';
import { readdir as fsReaddir, type Dirent } from 'node:fs';
import path from 'node:path';
import { watch, type FSWatcher } from 'chokidar';
import { glob, isDynamicPattern } from 'tinyglobby';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import type { Logger } from 'pino';
import { checkYamlDepth } from '../config/yaml-depth.js';
import { readCredentialFile } from '../credentials/read.js';
import type { Timers } from './scheduler.js';
import type { TargetGroup } from './targets.js';

/** SD files are bigger than credentials but still bounded. */
const MAX_SD_FILE_BYTES = 16 * 1024 * 1024;
/** Editors write in bursts; one re-read after the burst is enough. */
const DEBOUNCE_MS = 100;
/**
 * Directory entries one glob may walk past. A glob of every .json under / walked the whole file system (RSS 3.9 GB,
 * not listening after 89 s); past this the glob is an error naming it, and the last good targets stay.
 */
export const MAX_SD_WALK_ENTRIES = 100_000;
/** Directory levels below a glob's fixed prefix. */
export const MAX_SD_WALK_DEPTH = 16;
/** Files one glob may match (each is read and parsed every refresh). */
export const MAX_SD_FILES_PER_GLOB = 10_000;
/** Kernel and device trees: never SD files, and walking them is slow or endless. */
const NEVER_WALKED = ['/proc', '/sys', '/dev'];
/** How long start-up waits for the first discovery before it goes on without it (targets appear when it ends). */
export const FILE_SD_STARTUP_WAIT_MS = 1_000;

const targetGroups = z.array(
  z.strictObject({
    targets: z.array(z.string()),
    labels: z.record(z.string(), z.string()).optional(),
  }),
);

/**
 * Where a file failed to parse, never what it says there: JSON.parse quotes the text around the error, and an SD
 * file may sit next to secrets or be one by mistake.
 */
function parseErrorText(ext: string, err: unknown): string {
  if (ext === '.json') {
    const at = /at position (\d+)/.exec(err instanceof Error ? err.message : '');
    const end = err instanceof Error && /end of JSON input/.test(err.message);
    return `cannot parse JSON${at ? ` at position ${at[1]}` : end ? ': unexpected end of input' : ''}`;
  }
  const yamlErr = err as { code?: unknown; linePos?: { line: number; col: number }[] };
  const pos = yamlErr.linePos?.[0];
  return `cannot parse YAML${pos ? ` at line ${pos.line}, column ${pos.col}` : ''}${typeof yamlErr.code === 'string' ? ` (${yamlErr.code})` : ''}`;
}

/** Parses one SD file's content by extension, as Prometheus does (.json, .yml, .yaml). */
export function parseTargetGroups(file: string, text: string): { ok: true; groups: TargetGroup[] } | { ok: false; error: string } {
  const ext = path.extname(file).toLowerCase();
  let raw: unknown;
  try {
    if (ext === '.json') raw = JSON.parse(text);
    else if (ext === '.yml' || ext === '.yaml') {
      const tooDeep = checkYamlDepth(text);
      if (tooDeep) return { ok: false, error: `cannot parse: ${tooDeep.message}` };
      raw = parseYaml(text, { maxAliasCount: 100 });
    }
    else return { ok: false, error: `unsupported file extension "${ext}": use .json, .yml or .yaml` };
  } catch (err) {
    return { ok: false, error: parseErrorText(ext, err) };
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
  /** The last problem logged per file or glob: each is logged once per change, not every refresh. */
  private readonly problems = new Map<string, string>();

  constructor(private readonly options: FileSdOptions) {}

  groups(): TargetGroup[] {
    return [...this.byFile.values()].flat();
  }

  async start(): Promise<void> {
    // Discovery runs beside start-up: a slow or huge walk must not keep the exporter from listening. A quick
    // one (the usual case) is waited for, so the first probe round already has its targets.
    const first = this.refreshAndNotify();
    let waited: unknown;
    await Promise.race([first, new Promise<void>((resolve) => (waited = this.options.timers.setTimeout(resolve, FILE_SD_STARTUP_WAIT_MS)))]);
    this.options.timers.clearTimeout(waited);
    if (this.stopped) return;
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
    if (this.stopped) return;
    const files = new Set<string>();
    const failedGlobs = new Set<string>();
    for (const pattern of this.options.patterns) {
      const matched = await matchPattern(pattern);
      if (matched.error !== undefined) {
        failedGlobs.add(pattern);
        this.problem(`glob:${pattern}`, matched.error, () => this.options.logger.error({ glob: pattern, err: matched.error }, 'Error in file_sd glob, keeping its last good targets'));
      } else {
        this.problems.delete(`glob:${pattern}`);
      }
      for (const file of matched.files) files.add(file);
    }
    // A glob that failed keeps the files it matched last time.
    for (const file of [...this.byFile.keys()]) if (!files.has(file) && !this.fromGlobs(file, failedGlobs)) this.byFile.delete(file);
    for (const file of [...files].sort()) {
      if (this.stopped) return;
      const read = await readCredentialFile(file, MAX_SD_FILE_BYTES);
      if (!read.ok) {
        if (!read.exists) this.byFile.delete(file);
        else this.problem(file, read.problem, () => this.options.logger.error({ file, err: read.problem }, 'Error reading file_sd file, keeping its last good targets'));
        continue;
      }
      const parsed = parseTargetGroups(file, read.content.toString('utf8'));
      if (!parsed.ok) {
        // Once per content: an unchanged broken file is not logged again every refresh.
        const digest = createHash('sha256').update(read.content).digest('hex');
        this.problem(file, `${digest}:${parsed.error}`, () => this.options.logger.error({ file, err: parsed.error }, 'Error reading file_sd file, keeping its last good targets'));
        continue;
      }
      this.problems.delete(file);
      this.byFile.set(file, parsed.groups);
    }
  }

  /** Runs `log` only when `key`'s problem differs from the one last logged for it. */
  private problem(key: string, problem: string, log: () => void): void {
    if (this.problems.get(key) === problem) return;
    this.problems.set(key, problem);
    log();
  }

  private fromGlobs(file: string, globs: Set<string>): boolean {
    return [...globs].some((g) => file.startsWith(watchRoot(g)));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.options.timers.clearTimeout(this.timer);
    this.options.timers.clearTimeout(this.debounce);
    await this.watcher?.close();
  }
}

/** The files a pattern matches now, from a walk bounded in entries, depth and place; an error names the glob. */
export async function matchPattern(pattern: string, limits = { entries: MAX_SD_WALK_ENTRIES, files: MAX_SD_FILES_PER_GLOB }): Promise<{ files: string[]; error?: string }> {
  if (!isDynamicPattern(pattern)) return { files: [pattern] };
  const root = watchRoot(pattern);
  const rest = path.relative(root, pattern);
  const controller = new AbortController();
  let seen = 0;
  // Counts every directory entry the walk reads, and stops it past the limit; the kernel trees are never read.
  const readdir = ((dir: string, options: unknown, callback: (err: NodeJS.ErrnoException | null, entries: Dirent[]) => void) => {
    const resolved = path.resolve(root, dir);
    if (NEVER_WALKED.some((p) => resolved === p || resolved.startsWith(`${p}/`))) return callback(null, []);
    fsReaddir(dir, options as { withFileTypes: true }, (err, entries) => {
      seen += entries?.length ?? 0;
      if (seen > limits.entries) controller.abort();
      callback(err, entries ?? []);
    });
  }) as unknown as typeof fsReaddir;
  let files: string[];
  try {
    files = await glob(rest, { cwd: root, absolute: true, onlyFiles: true, dot: false, deep: MAX_SD_WALK_DEPTH, signal: controller.signal, fs: { readdir } });
  } catch (err) {
    if (!controller.signal.aborted) return { files: [], error: `cannot walk "${pattern}": ${err instanceof Error ? err.message.split('\n')[0] : String(err)}` };
    files = [];
  }
  if (controller.signal.aborted) return { files: [], error: `glob "${pattern}" walks more than ${limits.entries} directory entries: use a narrower pattern` };
  if (files.length > limits.files) return { files: [], error: `glob "${pattern}" matches ${files.length} files, more than the limit of ${limits.files}: use a narrower pattern` };
  return { files };
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
