// The attack: 200 concurrent unauthenticated requests, each with a unique wrong password, while Prometheus scrapes
// with the right one. The authenticated scrapes must be answered before the flood's bcrypt work drains.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import bcrypt from 'bcryptjs';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/app.js';
import { silentLogger } from '../../src/log.js';
import { MAX_BCRYPT_IN_FLIGHT, MAX_BCRYPT_QUEUE } from '../../src/web/basic-auth.js';
import { createWebGuards } from '../../src/web/guards.js';
import { WebConfigSource } from '../../src/web/source.js';

const FLOOD = 200;
const AUTHENTICATED = 5;
// Cost 11: one comparison takes well over one of bcryptjs's 100 ms slices, so the flood's queue takes seconds.
const COST = 11;

let dir: string;
let server: http.Server;
let port: number;

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'flood-'));
  const file = path.join(dir, 'web.yml');
  writeFileSync(file, `basic_auth_users:\n  prometheus: ${bcrypt.hashSync('right-password', COST)}\n`);
  const source = await WebConfigSource.open(file, silentLogger());
  const app = createApp({
    registry: new Registry(),
    telemetryPath: '/metrics',
    runtime: { reload: async () => ({ ok: true }), isReady: () => true },
    logger: silentLogger(),
    guards: createWebGuards({ current: () => source.current() }),
  });
  server = http.createServer(app);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as AddressInfo).port;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((r) => server.close(() => r()));
  rmSync(dir, { recursive: true, force: true });
});

/** One GET on a connection of its own; resolves with the status. */
function get(user: string, password: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path: '/metrics', agent: false, headers: { authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}` } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
  });
}

describe('basic auth under a flood of wrong passwords', () => {
  it('answers the authenticated (cached) client before the flood drains, and refuses the excess at once', async () => {
    // Prometheus's first scrape: one bcrypt, then remembered.
    expect(await get('prometheus', 'right-password')).toBe(200);

    const order: string[] = [];
    const statuses: number[] = [];
    const flood = Array.from({ length: FLOOD }, (_, i) =>
      get(i % 4 === 0 ? `nobody-${i}` : 'prometheus', `wrong-${i}-${Math.random()}`).then((status) => {
        order.push(status === 401 ? 'bcrypt' : 'refused');
        statuses.push(status);
      }),
    );
    const scrapes = Array.from({ length: AUTHENTICATED }, () =>
      get('prometheus', 'right-password').then((status) => {
        order.push('scrape');
        return status;
      }),
    );
    expect(await Promise.all(scrapes)).toEqual(Array(AUTHENTICATED).fill(200));
    await Promise.all(flood);

    // Ordering, not wall time: the scrapes did not wait for the flood's bcrypt work. Fewer of the flood's
    // password checks finished before the last scrape than were ever allowed to wait for one.
    const lastScrape = order.lastIndexOf('scrape');
    const checkedBefore = order.slice(0, lastScrape).filter((o) => o === 'bcrypt').length;
    expect(checkedBefore).toBeLessThan(MAX_BCRYPT_IN_FLIGHT + MAX_BCRYPT_QUEUE);
    expect(lastScrape).toBeLessThan(order.lastIndexOf('bcrypt'));
    // No wrong password got in; the excess was refused at once (429) without a bcrypt.
    expect(statuses.every((s) => s === 401 || s === 429)).toBe(true);
    expect(statuses.filter((s) => s === 429).length).toBeGreaterThan(0);
    expect(statuses.filter((s) => s === 401).length).toBeLessThan(FLOOD / 2);
  }, 120_000);
});
