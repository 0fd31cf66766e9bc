// What must never happen: a credential's content in a metric, a log line (even at debug) or the status page.
import { execFileSync } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CredentialWatcher, nextCredentialEvent } from '../../src/credentials/watcher.js';
import { createLogger } from '../../src/log.js';
import { configIn, jwt, selfSigned, tempDir, write } from './helpers.js';

const CANARY = 'CANARY-7f3a9c-never-show-me';

describe('credential contents', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  beforeAll(async () => ({ dir, cleanup } = await tempDir()));
  afterAll(() => cleanup());

  it('never appear in /metrics, the status page or the logs at debug level', async () => {
    const token = await write(path.join(dir, 'token'), `${CANARY}\n`);
    await write(path.join(dir, 'password'), CANARY);
    const claims = await write(path.join(dir, 'claims.jwt'), await jwt({ sub: 'robot', secret: CANARY, exp: 1_900_000_000 }));
    const pair = await selfSigned(dir, 'client', '/CN=client', 30);
    const fifo = path.join(dir, 'fifo');
    execFileSync('mkfifo', [fifo]);
    const keyText = await readFile(pair.key, 'utf8');
    const keyBody = keyText.split('\n')[1]!;
    const logs: string[] = [];
    const registry = new Registry();
    const watcher = new CredentialWatcher({ registry, logger: createLogger('debug', 'logfmt', { write: (l) => logs.push(l) }) });
    try {
      await watcher.apply(
        configIn(
          dir,
          `
scrape_configs:
  - job_name: app
    authorization: { credentials_file: token }
    tls_config: { cert_file: client.crt, key_file: client.key }
  - job_name: basic
    basic_auth: { username: u, password_file: password }
credential_files: [ { path: claims.jwt }, { path: fifo } ]
`,
        ),
      );
      const rotated = nextCredentialEvent(watcher, token);
      await writeFile(token, `${CANARY}-rotated`);
      await rotated;
      await watcher.pollNow();
      const output = [await registry.metrics(), JSON.stringify(watcher.status()), ...logs].join('\n');
      expect(logs.some((l) => l.includes('level=debug'))).toBe(true);
      expect(output).toContain('scrape_auth_credential_file_changes_total');
      expect(output).not.toContain(CANARY);
      expect(output).not.toContain(keyBody);
    } finally {
      await watcher.stop();
    }
  });
});
