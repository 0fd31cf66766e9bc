// The status page in real headless Chromium: every result state, no console errors, escaping, a screenshot.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import bcrypt from 'bcryptjs';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROBE_RESULTS } from '../../src/status/types.js';
import { tempDirSync } from '../helpers/tmp.js';
import { serveStatus, type Served } from './helpers/app.js';
import { startExporter, type RunningExporter } from './helpers/exporter.js';
import { CANARY, everyStateSources, XSS_LABEL } from './helpers/fixtures.js';
import { request } from './helpers/http.js';
import { createPki } from './helpers/pki.js';
import { startTargets, type Targets } from './helpers/targets.js';

const CHROMIUM = '/usr/bin/chromium';
const OUTPUT = path.resolve('test-output/web');
const hasChromium = existsSync(CHROMIUM);
if (!hasChromium) console.warn(`SKIPPING the status page browser tests: ${CHROMIUM} is absent (CI installs Debian's chromium)`);

let browser: Browser;

beforeAll(async () => {
  if (!hasChromium) return;
  mkdirSync(OUTPUT, { recursive: true });
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
});
afterAll(async () => {
  await browser?.close();
});

/** Opens a page that records every console error, page error and failed request. */
async function open(context: BrowserContext): Promise<{ page: Page; problems: string[] }> {
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') problems.push(`console ${m.type()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('requestfailed', (r) => problems.push(`request failed: ${r.url()}`));
  return { page, problems };
}

describe.skipIf(!hasChromium)('the status page in Chromium, every result state from a StatusSources stub', () => {
  let served: Served;
  let context: BrowserContext;

  beforeAll(async () => {
    served = await serveStatus(everyStateSources(Date.now()));
    context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
  });
  afterAll(async () => {
    await context?.close();
    await served?.close();
  });

  it('loads without console errors and shows each state in its own colour', async () => {
    const { page, problems } = await open(context);
    const response = await page.goto(`${served.url}/`);
    expect(response?.status()).toBe(200);
    const colours = new Map<string, string>();
    for (const result of [...PROBE_RESULTS, 'pending']) {
      const badge = page.locator(`tr.target[data-result="${result}"] .badge`).first();
      await expect.poll(() => badge.isVisible()).toBe(true);
      expect(await badge.textContent()).toBe(result);
      colours.set(result, await badge.evaluate((el) => (globalThis as unknown as { getComputedStyle(e: unknown): { backgroundColor: string } }).getComputedStyle(el).backgroundColor));
    }
    expect(colours.get('ok')).toBe('rgb(26, 127, 55)');
    expect(colours.get('unauthorized')).toBe('rgb(207, 34, 46)');
    expect(colours.get('ok')).not.toBe(colours.get('unauthorized'));
    await page.screenshot({ path: path.join(OUTPUT, 'status-page-every-state.png'), fullPage: true });
    expect(problems).toEqual([]);
  });

  it('shows each cause in words in the colour of its result, with the fix under it, and filters by cause', async () => {
    const { page, problems } = await open(context);
    await page.goto(`${served.url}/`);
    const background = (sel: string) =>
      page.locator(sel).first().evaluate((el) => (globalThis as unknown as { getComputedStyle(e: unknown): { backgroundColor: string } }).getComputedStyle(el).backgroundColor);
    for (const result of ['ok', 'forbidden', 'tls_error', 'timeout']) {
      expect(await background(`tr.target[data-result="${result}"] td.cause .badge`)).toBe(await background(`tr.target[data-result="${result}"] .badge`));
    }
    const forbidden = page.locator('tr.target[data-result="forbidden"] td.cause');
    expect(await forbidden.locator('.badge').textContent()).toBe('permission denied');
    expect(await forbidden.locator('.fix').textContent()).toBe('fix for permission_denied');
    const fixBox = await forbidden.locator('.fix').boundingBox();
    const badgeBox = await forbidden.locator('.badge').boundingBox();
    expect(fixBox!.y).toBeGreaterThan(badgeBox!.y);
    await page.locator('nav.causes a.c-login_page').click();
    await page.waitForURL(/\?cause=login_page$/);
    expect(await page.locator('tr.target').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-result')))).toEqual(['invalid_response']);
    await page.goto(`${served.url}/`);
    await page.screenshot({ path: path.join(OUTPUT, 'status-page-causes.png'), fullPage: true });
    expect(problems).toEqual([]);
  });

  it('shows a label holding <script> as text and never runs it', async () => {
    const { page, problems } = await open(context);
    await page.goto(`${served.url}/`);
    expect(await page.evaluate(() => (globalThis as unknown as { __pwned?: number }).__pwned)).toBeUndefined();
    expect(await page.locator('section[data-job="hostile"] .label').first().textContent()).toBe(`team="${XSS_LABEL}"`);
    expect(await page.content()).not.toContain(CANARY);
    expect(problems).toEqual([]);
  });

  it('filters by result through its links, without JavaScript', async () => {
    const noScript = await browser.newContext({ javaScriptEnabled: false });
    try {
      const { page, problems } = await open(noScript);
      await page.goto(`${served.url}/`);
      await page.locator('nav.filter a.f-forbidden').click();
      await page.waitForURL(/\?result=forbidden$/);
      expect(await page.locator('tr.target').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-result')))).toEqual(['forbidden']);
      expect(await page.locator('nav.filter a[aria-current="page"]').getAttribute('href')).toBe('?result=forbidden');
      expect(problems).toEqual([]);
    } finally {
      await noScript.close();
    }
  });
});

describe.skipIf(!hasChromium)('the status page in Chromium against the running exporter (TLS, basic auth, real targets)', () => {
  const PASSWORD = `${CANARY}-password`;
  const WEB_PASSWORD = `${CANARY}-web`;
  let targets: Targets;
  let exporter: RunningExporter;
  let context: BrowserContext;
  let base: string;
  let ca: Buffer;

  beforeAll(async () => {
    const pki = createPki();
    ca = readFileSync(pki.caCert);
    const dir = tempDirSync('web-browser-');
    // The targets' own TLS certificate comes from a CA the exporter does not trust: a tls_error.
    targets = await startTargets({ cert: readFileSync(pki.strangerCert), key: readFileSync(pki.strangerKey) }, PASSWORD);
    writeFileSync(path.join(dir, 'password'), `${PASSWORD}\n`, { mode: 0o600 });
    const job = (name: string, extra = '') =>
      `  - job_name: ${name}\n    scheme: ${name === 'tls_error' ? 'https' : 'http'}\n    basic_auth: { username: prometheus, password_file: ${name === 'credentials_error' ? 'missing-password' : 'password'} }\n${extra}    static_configs: [ { targets: ["${targets.byResult[name] ?? targets.byResult['ok']}"], labels: { expect: ${name} } } ]\n`;
    const jobs = [...Object.keys(targets.byResult), 'credentials_error'].map((name) => job(name)).join('');
    writeFileSync(path.join(dir, 'scrape-auth.yml'), `global: { probe_interval: 2s, probe_timeout: 1s }\nscrape_configs:\n${jobs}`);
    writeFileSync(
      path.join(dir, 'web.yml'),
      `tls_server_config: { cert_file: ${pki.serverCert}, key_file: ${pki.serverKey} }\nbasic_auth_users:\n  operator: ${bcrypt.hashSync(WEB_PASSWORD, 4)}\n`,
    );
    exporter = await startExporter([`--config.file=${path.join(dir, 'scrape-auth.yml')}`, `--web.config.file=${path.join(dir, 'web.yml')}`]);
    base = `https://127.0.0.1:${exporter.port}`;
    // Chromium cannot be handed the test CA without an NSS database; Node's client checks it in the other tests.
    context = await browser.newContext({ ignoreHTTPSErrors: true, httpCredentials: { username: 'operator', password: WEB_PASSWORD }, viewport: { width: 1400, height: 900 } });
  });
  afterAll(async () => {
    await context?.close();
    expect(await exporter?.stop()).toBe(0);
    await targets?.close();
  });

  async function apiTargets(): Promise<{ job: string; result: string }[]> {
    const answer = await request(`${base}/api/v1/status`, { ca, auth: { user: 'operator', password: WEB_PASSWORD } });
    if (!answer.ok || answer.status !== 200) throw new Error(`GET /api/v1/status: ${answer.ok ? answer.status : answer.code}`);
    return JSON.parse(answer.body).data.targets;
  }

  it('refuses the page without the password', async () => {
    const anonymous = await browser.newContext({ ignoreHTTPSErrors: true });
    try {
      // A page navigation answered 401 ends in Chromium's auth prompt, so ask through the context's own client.
      const answer = await anonymous.request.get(`${base}/`);
      expect([answer.status(), answer.headers()['www-authenticate']]).toEqual([401, 'Basic']);
    } finally {
      await anonymous.close();
    }
  });

  it('loads over HTTPS with basic auth, shows what the exporter reports, and has no console errors', async () => {
    const { page, problems } = await open(context);
    expect((await page.goto(`${base}/`))?.status()).toBe(200);
    await expect.poll(() => page.locator('h1').textContent()).toBe('scrape-auth-exporter');
    const reported = await apiTargets();
    const shown = await page.locator('tr.target').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-result')));
    expect(shown.length).toBe(reported.length);
    await page.screenshot({ path: path.join(OUTPUT, 'status-page-exporter.png'), fullPage: true });
    expect(problems).toEqual([]);
  });

  it('reaches every result state with real probes', async () => {
    const expected = [...Object.keys(targets.byResult), 'credentials_error'];
    const { page, problems } = await open(context);
    await expect
      .poll(async () => (await apiTargets()).filter((t) => t.result === t.job).map((t) => t.job).sort(), { timeout: 15_000, interval: 500 })
      .toEqual([...expected].sort());
    await page.goto(`${base}/`);
    for (const result of expected) {
      expect(await page.locator(`section[data-job="${result}"] tr.target`).getAttribute('data-result'), result).toBe(result);
    }
    await page.screenshot({ path: path.join(OUTPUT, 'status-page-real-probes.png'), fullPage: true });
    expect(problems).toEqual([]);
  });

  it('never shows a secret on the page, in the API or in the log', async () => {
    const { page } = await open(context);
    await page.goto(`${base}/`);
    expect(await page.content()).not.toContain(CANARY);
    const api = await request(`${base}/api/v1/status`, { ca, auth: { user: 'operator', password: WEB_PASSWORD } });
    expect(api.ok && api.body).not.toContain(CANARY);
    expect(exporter.output()).not.toContain(CANARY);
  });
});
