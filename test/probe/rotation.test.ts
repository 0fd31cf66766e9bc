// A rotated credential is probed at once: the scheduler's runSoon and the probe component's probeUsersOf.
import { writeFileSync } from 'node:fs';
import { tempDirSync } from '../helpers/tmp.js';
import path from 'node:path';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { silentLogger } from '../../src/log.js';
import { ProbeComponent } from '../../src/probe/component.js';
import type { ProbeResult } from '../../src/probe/probe.js';
import { Scheduler } from '../../src/probe/scheduler.js';
import { FakeClock, flush } from './fake-clock.js';

describe('Scheduler.runSoon', () => {
  it('runs the named tasks now, outside their slot, and keeps their slot', async () => {
    const clock = new FakeClock();
    const runs: string[] = [];
    const s = new Scheduler(clock.now, clock, 10);
    s.sync(['a', 'b'].map((key) => ({ key, intervalMs: 60_000, run: async () => void runs.push(key) })));
    s.runSoon(['a', 'unknown']);
    await flush();
    expect(runs).toEqual(['a']);
    await clock.advance(60_000);
    expect(runs.filter((k) => k === 'a')).toHaveLength(2);
    s.stop();
  });

  it('runs a task that was running at the time once more when it finishes, not twice at once', async () => {
    const clock = new FakeClock();
    let running = 0;
    let peak = 0;
    let runs = 0;
    const release: (() => void)[] = [];
    const s = new Scheduler(clock.now, clock, 10);
    s.sync([{ key: 'a', intervalMs: 60_000, run: () => {
      runs++;
      running++;
      peak = Math.max(peak, running);
      return new Promise<void>((resolve) => release.push(() => { running--; resolve(); }));
    } }]);
    s.runSoon(['a']);
    await flush();
    s.runSoon(['a']);
    s.runSoon(['a']);
    release.shift()!();
    await flush();
    expect(runs).toBe(2);
    release.shift()!();
    await flush();
    expect(runs).toBe(2);
    expect(peak).toBe(1);
    s.stop();
  });

  it('keeps to max_concurrent_probes', async () => {
    const clock = new FakeClock();
    let running = 0;
    let peak = 0;
    const release: (() => void)[] = [];
    const s = new Scheduler(clock.now, clock, 2);
    const keys = Array.from({ length: 6 }, (_, i) => `t${i}`);
    s.sync(keys.map((key) => ({ key, intervalMs: 60_000, run: () => {
      running++;
      peak = Math.max(peak, running);
      return new Promise<void>((resolve) => release.push(() => { running--; resolve(); }));
    } })));
    s.runSoon(keys);
    for (let i = 0; i < 6; i++) {
      await flush();
      release.shift()?.();
    }
    expect(peak).toBe(2);
    s.stop();
  });
});

describe('ProbeComponent.probeUsersOf', () => {
  it('probes at once every target of the jobs that use the rotated file, and no other', async () => {
    const dir = tempDirSync('probe-rotation-');
    const clock = new FakeClock();
    const probed: string[] = [];
    const probes = new ProbeComponent({
      registry: new Registry(),
      logger: silentLogger(),
      timers: clock,
      now: clock.now,
      watchFiles: false,
      probe: async (target): Promise<ProbeResult> => {
        probed.push(target.job);
        return { result: 'ok', statusCode: 200, error: undefined, durationSeconds: 0.001, finishedMs: clock.nowMs } as unknown as ProbeResult;
      },
    });
    const file = path.join(dir, 'scrape-auth.yml');
    const yaml = `global: { probe_interval: 1h }
scrape_configs:
  - job_name: a
    authorization: { credentials_file: token }
    static_configs: [ { targets: ["127.0.0.1:1", "127.0.0.1:2"] } ]
  - job_name: b
    static_configs: [ { targets: ["127.0.0.1:3"] } ]
`;
    writeFileSync(file, yaml);
    await probes.apply(parseConfig(yaml, file));
    expect(probes.probeUsersOf(path.join(dir, 'token'))).toBe(2);
    expect(probes.probeUsersOf(path.join(dir, 'unrelated'))).toBe(0);
    await flush();
    expect(probed).toEqual(['a', 'a']);
    await probes.stop();
  });
});
