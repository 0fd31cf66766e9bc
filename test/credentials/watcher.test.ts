import { execFileSync } from 'node:child_process';
import { chmod, mkdir, readFile, rename, rm, symlink, unlink, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Registry } from 'prom-client';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CredentialWatcher, nextCredentialEvent } from '../../src/credentials/watcher.js';
import { createLogger } from '../../src/log.js';
import { configIn, credentialFilesConfig, jwt, notAfterSeconds, parseSamples, selfSigned, tempDir, until, valueOf, write, type Sample } from './helpers.js';

const P = 'scrape_auth_credential';

describe('CredentialWatcher', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  let registry: Registry;
  let logs: string[];
  let watcher: CredentialWatcher;
  let clock: number | undefined;

  const start = (options: Partial<ConstructorParameters<typeof CredentialWatcher>[0]> = {}) => {
    watcher = new CredentialWatcher({
      registry,
      logger: createLogger('debug', 'json', { write: (line) => logs.push(line) }),
      now: () => clock ?? Date.now(),
      ...options,
    });
    return watcher;
  };
  const samples = async (): Promise<Sample[]> => parseSamples(await registry.metrics());
  const metric = async (name: string, labels: Record<string, string>) => valueOf(await samples(), name, labels);
  /** Waits on the metric itself, with a deadline: no fixed sleeps. */
  const waitFor = (name: string, labels: Record<string, string>, expected: number | undefined, timeoutMs = 1000) =>
    until(async () => (await metric(name, labels)) === expected, timeoutMs, `${name}${JSON.stringify(labels)} == ${expected}`);

  beforeEach(async () => {
    ({ dir, cleanup } = await tempDir());
    registry = new Registry();
    logs = [];
    clock = undefined;
  });
  afterEach(async () => {
    await watcher?.stop();
    await cleanup();
  });

  describe('sees rotations within 1 s, without waiting for the poll (poll interval 1h)', () => {
    it('by a plain write', async () => {
      const token = await write(path.join(dir, 'token'), 'first');
      await start().apply(credentialFilesConfig(dir, [token]));
      expect(await metric(`${P}_file_changes_total`, { path: token })).toBe(0);
      await writeFile(token, 'second');
      const ms = await waitFor(`${P}_file_changes_total`, { path: token }, 1);
      expect(ms).toBeLessThan(1000);
    });

    it('by a rename over the file', async () => {
      const token = await write(path.join(dir, 'token'), 'first');
      await start().apply(credentialFilesConfig(dir, [token]));
      await write(path.join(dir, '.token.tmp'), 'second');
      await rename(path.join(dir, '.token.tmp'), token);
      await waitFor(`${P}_file_changes_total`, { path: token }, 1);
    });

    it("by Kubernetes' AtomicWriter swapping the ..data symlink", async () => {
      // The layout kubelet writes for a Secret or projected volume.
      const old = path.join(dir, '..2026_11_26_10_00_00.000000001');
      await mkdir(old);
      await write(path.join(old, 'token'), await jwt({ sub: 'system:serviceaccount:monitoring:prometheus', exp: 1_900_000_000 }));
      await symlink(path.basename(old), path.join(dir, '..data'));
      await symlink('..data/token', path.join(dir, 'token'));
      const token = path.join(dir, 'token');
      await start().apply(credentialFilesConfig(dir, [token]));
      expect(await metric(`${P}_expiry_timestamp_seconds`, { path: token, type: 'jwt' })).toBe(1_900_000_000);

      const next = path.join(dir, '..2026_11_26_11_00_00.000000002');
      await mkdir(next);
      await write(path.join(next, 'token'), await jwt({ sub: 'system:serviceaccount:monitoring:prometheus', exp: 1_900_003_600 }));
      await symlink(path.basename(next), path.join(dir, '..data_tmp'));
      await rename(path.join(dir, '..data_tmp'), path.join(dir, '..data'));
      await rm(old, { recursive: true });

      await waitFor(`${P}_file_changes_total`, { path: token }, 1);
      expect(await metric(`${P}_expiry_timestamp_seconds`, { path: token, type: 'jwt' })).toBe(1_900_003_600);
    });
  });

  it('watches the directory a symlink leads to when it is elsewhere', async () => {
    const elsewhere = path.join(dir, 'elsewhere');
    const here = path.join(dir, 'here');
    await mkdir(elsewhere);
    await mkdir(here);
    const target = await write(path.join(elsewhere, 'real-token'), 'first');
    const link = path.join(here, 'token');
    await symlink(target, link);
    await start().apply(credentialFilesConfig(dir, [link]));
    await writeFile(target, 'second');
    await waitFor(`${P}_file_changes_total`, { path: link }, 1);
  });

  it('leaves changes_total alone on a touch, while the mtime moves', async () => {
    const token = await write(path.join(dir, 'token'), 'same');
    await start().apply(credentialFilesConfig(dir, [token]));
    const later = new Date(Math.floor(Date.now() / 1000) * 1000 + 60_000);
    await utimes(token, later, later);
    await waitFor(`${P}_file_modified_timestamp_seconds`, { path: token }, later.getTime() / 1000);
    expect(await metric(`${P}_file_changes_total`, { path: token })).toBe(0);
  });

  it('keeps the series of a file that is deleted and re-created, and counts the new content', async () => {
    const token = await write(path.join(dir, 'token'), 'first');
    await start().apply(credentialFilesConfig(dir, [token], '1h', { owner: 'platform' }));
    await unlink(token);
    await waitFor(`${P}_file_exists`, { path: token, owner: 'platform' }, 0);
    expect(await metric(`${P}_file_readable`, { path: token })).toBe(0);
    expect(await metric(`${P}_file_changes_total`, { path: token, owner: 'platform' })).toBe(0);
    expect(await metric(`${P}_file_size_bytes`, { path: token })).toBeUndefined();
    await write(token, 'second');
    await waitFor(`${P}_file_exists`, { path: token, owner: 'platform' }, 1);
    await waitFor(`${P}_file_changes_total`, { path: token, owner: 'platform' }, 1);
    expect(logs.filter((l) => l.includes('"Credential file is not readable"'))).toHaveLength(1);
  });

  it('exposes 1,000 files of one directory, and sees a change among them within 1 s', async () => {
    const files = await Promise.all(Array.from({ length: 1000 }, (_, i) => write(path.join(dir, `token-${String(i).padStart(4, '0')}`), `value-${i}`)));
    const started = performance.now();
    await start().apply(credentialFilesConfig(dir, files));
    const applyMs = performance.now() - started;
    const all = await samples();
    expect(all.filter((s) => s.name === `${P}_file_readable` && s.value === 1)).toHaveLength(1000);
    expect(applyMs).toBeLessThan(5000);
    await writeFile(files[567]!, 'rotated');
    await waitFor(`${P}_file_changes_total`, { path: files[567]! }, 1);
    expect((await samples()).filter((s) => s.name === `${P}_file_changes_total` && s.value > 0)).toHaveLength(1);
  });

  it('follows reloads: a file no longer named stops being watched and its series disappear', async () => {
    const a = await write(path.join(dir, 'a'), 'a');
    const sub = path.join(dir, 'other');
    await mkdir(sub);
    const b = await write(path.join(sub, 'b'), 'b');
    await start().apply(credentialFilesConfig(dir, [a, b]));
    expect(await metric(`${P}_file_exists`, { path: b })).toBe(1);
    await watcher.apply(credentialFilesConfig(dir, [a]));
    expect((await samples()).filter((s) => s.labels.path === b)).toEqual([]);
    const seen: string[] = [];
    watcher.subscribe((e) => seen.push(e.path));
    await writeFile(b, 'changed');
    await writeFile(a, 'changed');
    await waitFor(`${P}_file_changes_total`, { path: a }, 1);
    await watcher.pollNow();
    expect(seen).not.toContain(b);
    expect(watcher.status().map((s) => s.path)).toEqual([a]);
  });

  it('re-checks every file on the poll: the safety net when no event comes', async () => {
    const token = await write(path.join(dir, 'token'), 'first');
    await start({ watch: false }).apply(credentialFilesConfig(dir, [token]));
    await writeFile(token, 'second');
    await watcher.pollNow();
    expect(await metric(`${P}_file_changes_total`, { path: token })).toBe(1);
  });

  it('watches a directory again after it was deleted and re-created', async () => {
    const sub = path.join(dir, 'secret');
    await mkdir(sub);
    const token = await write(path.join(sub, 'token'), 'first');
    await start().apply(credentialFilesConfig(dir, [token]));
    await rm(sub, { recursive: true });
    await waitFor(`${P}_file_exists`, { path: token }, 0);
    await mkdir(sub);
    await write(token, 'second');
    await watcher.pollNow();
    await waitFor(`${P}_file_changes_total`, { path: token }, 1);
    await writeFile(token, 'third');
    await waitFor(`${P}_file_changes_total`, { path: token }, 2);
  });

  it('computes age at scrape time from the injected clock', async () => {
    const token = await write(path.join(dir, 'token'), 'x');
    const mtime = new Date('2026-01-01T00:00:00Z');
    await utimes(token, mtime, mtime);
    clock = mtime.getTime() + 90_000;
    await start().apply(credentialFilesConfig(dir, [token]));
    expect(await metric(`${P}_file_age_seconds`, { path: token })).toBe(90);
    clock += 30_000;
    expect(await metric(`${P}_file_age_seconds`, { path: token })).toBe(120);
    expect(await metric(`${P}_file_modified_timestamp_seconds`, { path: token })).toBe(mtime.getTime() / 1000);
    expect(await metric(`${P}_file_last_change_timestamp_seconds`, { path: token })).toBe(mtime.getTime() / 1000);
  });

  it('says world_readable 1 for 0644 and 0 for 0640', async () => {
    const open = await write(path.join(dir, 'open'), 'x');
    const closed = await write(path.join(dir, 'closed'), 'x');
    await chmod(open, 0o644);
    await chmod(closed, 0o640);
    await start().apply(credentialFilesConfig(dir, [open, closed]));
    expect(await metric(`${P}_file_world_readable`, { path: open })).toBe(1);
    expect(await metric(`${P}_file_world_readable`, { path: closed })).toBe(0);
  });

  it('reports empty and special files: FIFO, directory, /dev/zero, 10 MB, dangling symlink', async () => {
    const empty = await write(path.join(dir, 'empty'), '\n');
    const fifo = path.join(dir, 'fifo');
    execFileSync('mkfifo', [fifo]);
    const sub = path.join(dir, 'subdir');
    await mkdir(sub);
    const big = await write(path.join(dir, 'big'), Buffer.alloc(10 * 1024 * 1024, 'a'));
    const dangling = path.join(dir, 'dangling');
    await symlink('nowhere', dangling);
    await start().apply(credentialFilesConfig(dir, [empty, fifo, sub, '/dev/zero', big, dangling]));
    // Polls again: the reason is logged once, not every poll.
    await watcher.pollNow();
    await watcher.pollNow();
    const s = await samples();
    expect(valueOf(s, `${P}_file_empty`, { path: empty })).toBe(1);
    expect(valueOf(s, `${P}_file_readable`, { path: empty })).toBe(1);
    for (const special of [fifo, sub, '/dev/zero', big]) {
      expect(valueOf(s, `${P}_file_exists`, { path: special })).toBe(1);
      expect(valueOf(s, `${P}_file_readable`, { path: special })).toBe(0);
      expect(valueOf(s, `${P}_file_empty`, { path: special })).toBeUndefined();
      expect(valueOf(s, `${P}_info`, { path: special })).toBeUndefined();
    }
    expect(valueOf(s, `${P}_file_size_bytes`, { path: big })).toBe(10 * 1024 * 1024);
    expect(valueOf(s, `${P}_file_exists`, { path: dangling })).toBe(0);
    const warnings = logs.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l.level === 'warn');
    expect(warnings.map((w) => [w.path, w.problem])).toEqual(
      expect.arrayContaining([
        [fifo, 'is a FIFO, not a regular file'],
        [sub, 'is a directory, not a regular file'],
        ['/dev/zero', 'is a device, not a regular file'],
        [dangling, 'no such file or directory'],
      ]),
    );
    expect(warnings).toHaveLength(5);
  });

  it('exposes expiry, issued, refresh due and info by type', async () => {
    const withExp = await write(path.join(dir, 'jwt'), await jwt({ sub: 'robot', iss: 'issuer', exp: 1_900_000_000, iat: 1_800_000_000 }));
    const noExp = await write(path.join(dir, 'jwt-noexp'), await jwt({ sub: 'robot' }));
    const projected = await write(path.join(dir, 'sa-token'), await jwt({ exp: 1_830_000_000, iat: 1_798_000_000, 'kubernetes.io': { warnafter: 1_798_003_607 } }));
    const malformed = await write(path.join(dir, 'bad-jwt'), 'eyJhbGciOiJIUzI1NiJ9.bm90IGpzb24.c2ln');
    const a = await selfSigned(dir, 'a', '/O=Acme/CN=a', 400);
    const b = await selfSigned(dir, 'b', '/O=Acme/CN=b', 10);
    const expired = await selfSigned(dir, 'expired', '/CN=expired', -1);
    const bundle = await write(path.join(dir, 'bundle.pem'), Buffer.concat([await readFile(a.cert), await readFile(b.cert)]));
    await start().apply(credentialFilesConfig(dir, [withExp, noExp, projected, malformed, bundle, expired.cert, a.key]));
    const s = await samples();
    expect(valueOf(s, `${P}_expiry_timestamp_seconds`, { path: withExp, type: 'jwt' })).toBe(1_900_000_000);
    expect(valueOf(s, `${P}_issued_timestamp_seconds`, { path: withExp, type: 'jwt' })).toBe(1_800_000_000);
    expect(valueOf(s, `${P}_info`, { path: withExp, type: 'jwt', subject: 'robot', issuer: 'issuer' })).toBe(1);
    expect(valueOf(s, `${P}_expiry_timestamp_seconds`, { path: noExp })).toBeUndefined();
    expect(valueOf(s, `${P}_refresh_due_timestamp_seconds`, { path: projected, type: 'jwt' })).toBe(1_798_003_607);
    expect(valueOf(s, `${P}_refresh_due_timestamp_seconds`, { path: withExp })).toBeUndefined();
    expect(valueOf(s, `${P}_info`, { path: malformed, type: 'opaque', subject: '', issuer: '' })).toBe(1);
    expect(valueOf(s, `${P}_expiry_timestamp_seconds`, { path: bundle, type: 'x509' })).toBe(notAfterSeconds(b.cert));
    expect(valueOf(s, `${P}_info`, { path: bundle, type: 'x509', subject: 'CN=b,O=Acme', issuer: 'CN=b,O=Acme' })).toBe(1);
    expect(valueOf(s, `${P}_expiry_timestamp_seconds`, { path: expired.cert, type: 'x509' })!).toBeLessThan(Date.now() / 1000);
    expect(valueOf(s, `${P}_info`, { path: a.key, type: 'private_key' })).toBe(1);
  });

  it("exposes each job's use of a file, and whether its client certificate and key belong together", async () => {
    const good = await selfSigned(dir, 'good', '/CN=client', 30);
    const other = await selfSigned(dir, 'other', '/CN=other', 30);
    await write(path.join(dir, 'password'), 'pw');
    await write(path.join(dir, 'token'), 'tok');
    const config = configIn(
      dir,
      `
scrape_configs:
  - job_name: matched
    scheme: https
    tls_config: { cert_file: good.crt, key_file: good.key, ca_file: other.crt }
    basic_auth: { username: prometheus, password_file: password }
  - job_name: mismatched
    tls_config: { cert_file: good.crt, key_file: other.key }
    authorization: { credentials_file: token }
    http_headers: { X-Token: { files: [token] } }
`,
    );
    await start().apply(config);
    const s = await samples();
    expect(valueOf(s, 'scrape_auth_client_cert_key_match', { scrape_job: 'matched' })).toBe(1);
    expect(valueOf(s, 'scrape_auth_client_cert_key_match', { scrape_job: 'mismatched' })).toBe(0);
    const uses = s.filter((x) => x.name === `${P}_usage_info`).map((x) => `${x.labels.scrape_job} ${x.labels.usage} ${path.basename(x.labels.path!)}`);
    expect(uses.sort()).toEqual(
      [
        'matched client_cert good.crt',
        'matched client_key good.key',
        'matched ca other.crt',
        'matched password password',
        'mismatched client_cert good.crt',
        'mismatched client_key other.key',
        'mismatched bearer_token token',
        'mismatched header token',
      ].sort(),
    );
    // The key is rotated to the matching one: the pair is fixed.
    await writeFile(path.join(dir, 'other.key'), await readFile(good.key));
    await waitFor('scrape_auth_client_cert_key_match', { scrape_job: 'mismatched' }, 1);
  });

  it('gives the status page plain facts about each file', async () => {
    const token = await write(path.join(dir, 'token'), await jwt({ sub: 'robot', exp: 1_900_000_000 }), 0o640);
    await start().apply(credentialFilesConfig(dir, [token], '1h', { owner: 'platform' }));
    expect(watcher.status()).toEqual([
      expect.objectContaining({ path: token, labels: { owner: 'platform' }, exists: true, readable: true, worldReadable: false, type: 'jwt', subject: 'robot', expiresMs: 1_900_000_000_000, changes: 0, usedBy: [] }),
    ]);
  });

  it('emits an event once the new state is visible, for the benchmark to time', async () => {
    const token = await write(path.join(dir, 'token'), 'first');
    await start().apply(credentialFilesConfig(dir, [token]));
    const event = nextCredentialEvent(watcher, token);
    await writeFile(token, 'second');
    expect(await event).toMatchObject({ path: token, contentChanged: true, changes: 1, exists: true, readable: true });
    expect(await metric(`${P}_file_changes_total`, { path: token })).toBe(1);
  });
});
