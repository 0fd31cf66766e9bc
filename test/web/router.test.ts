import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROBE_RESULTS } from '../../src/status/types.js';
import { serveStatus, type Served } from './helpers/app.js';
import { CANARY, everyStateSources, XSS_LABEL } from './helpers/fixtures.js';
import { request } from './helpers/http.js';

const NOW = Date.parse('2025-01-02T03:04:05Z');
let served: Served;

beforeAll(async () => {
  served = await serveStatus(everyStateSources(NOW), { now: () => NOW });
});
afterAll(() => served.close());

async function get(path: string) {
  const answer = await request(`${served.url}${path}`);
  if (!answer.ok) throw new Error(`GET ${path}: ${answer.code}`);
  return answer;
}

describe('GET /', () => {
  it('serves one self-contained HTML page that refreshes itself and loads nothing from elsewhere', async () => {
    const page = await get('/');
    expect(page.status).toBe(200);
    expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(page.headers['content-security-policy']).toContain("default-src 'none'");
    expect(page.body).toContain('<meta http-equiv="refresh" content="30">');
    expect(page.body).not.toMatch(/<script|<link|src="http|href="http|@import|url\(/i);
  });

  it('shows every result state, each row tagged and coloured by its result', async () => {
    const page = await get('/');
    for (const result of [...PROBE_RESULTS, 'pending']) {
      expect(page.body).toContain(`data-result="${result}"`);
      expect(page.body).toContain(`<span class="badge r-${result}"`);
    }
    expect(page.body).toContain('server returned HTTP status 401 Unauthorized');
    expect(page.body).toContain('missing permission: <code>get</code> on <code>nodes/metrics</code> for <code>system:serviceaccount:monitoring:prometheus</code>');
  });

  it('shows each cause in words with the colour of its result, and the fix under it', async () => {
    const page = await get('/');
    const row = page.body.slice(page.body.indexOf('<tr class="target" data-instance="127.0.0.1:9102" data-result="forbidden">'));
    expect(row).toMatch(/^[\s\S]*?<td class="cause" data-cause="permission_denied"><span class="badge r-forbidden cause-words"[^>]*>permission denied<\/span><div class="summary">summary of permission_denied<\/div><div class="fix">fix for permission_denied<\/div><\/td>/);
    expect(page.body).toContain('<td class="cause" data-cause="pending"><span class="badge r-pending">pending</span></td>');
    expect(page.body).toContain('<th>Cause</th>');
  });

  it('filters by ?cause= without JavaScript, with a link per cause that has targets', async () => {
    const page = await get('/?cause=login_page');
    expect(page.body.match(/data-result="[a-z_]+"/g)).toEqual(['data-result="invalid_response"']);
    expect(page.body).toContain('<a href="?cause=login_page" class="c-login_page" aria-current="page"');
    expect(page.body).toContain('<a href="?cause=credentials_rejected"');
    expect(page.body).not.toContain('<a href="?cause=token_expired"');
  });

  it('groups targets by job', async () => {
    const page = await get('/');
    expect(page.body.match(/<section class="job" data-job="[^"]+">/g)).toEqual([
      '<section class="job" data-job="secured-app">',
      '<section class="job" data-job="kubelet">',
      '<section class="job" data-job="hostile">',
    ]);
  });

  it('escapes a label that holds markup, so it shows as text and never runs', async () => {
    const page = await get('/');
    expect(page.body).not.toContain(XSS_LABEL);
    expect(page.body).not.toContain('<script>window');
    expect(page.body).not.toContain('<img src=x');
    expect(page.body).toContain('&lt;script&gt;window.__pwned=1&lt;/script&gt;&lt;img src=x onerror=&quot;window.__pwned=2&quot;&gt;');
  });

  it('shows the credential files with readable, age, expiry, rotations and world-readable', async () => {
    const page = await get('/');
    const row = page.body.slice(page.body.indexOf('data-path="/var/run/secrets/kubernetes.io/serviceaccount/token"'));
    expect(row).toMatch(/<span class="good">yes<\/span>[\s\S]*?>jwt<[\s\S]*?>1h<\/time>[\s\S]*?>in 3d<\/time>[\s\S]*?<td class="num">4/);
    expect(page.body).toContain('<span class="bad">missing</span>');
    expect(page.body).toContain('<div class="error">permission denied</div>');
    expect(page.body).toContain('expired 2h ago');
    expect(page.body).toContain('title="anyone on the host may read it; the guide asks for 0640">yes</span>');
  });

  it('filters by ?result= without JavaScript, with a link per result that has targets', async () => {
    const page = await get('/?result=forbidden');
    expect(page.body.match(/data-result="[a-z_]+"/g)).toEqual(['data-result="forbidden"']);
    expect(page.body).toContain('<a href="?result=forbidden" class="f-forbidden" aria-current="page"');
    expect(page.body).toContain('<a href="?result=dns_error"');
    expect(page.body).toContain('<a href="?">all (13)</a>');
  });

  it('says so when no target has the result asked for', async () => {
    const empty = await serveStatus({ targets: () => [], credentials: () => [] });
    try {
      const answer = await request(`${empty.url}/?result=timeout`);
      expect(answer.ok && answer.body).toContain('No target has result timeout.');
    } finally {
      await empty.close();
    }
  });

  it('answers 400 for an unknown result', async () => {
    const page = await get('/?result=%3Cscript%3E');
    expect(page.status).toBe(400);
    expect(page.headers['content-type']).toBe('text/plain; charset=utf-8');
  });

  it('never shows a secret a producer left in a URL or an error', async () => {
    expect((await get('/')).body).not.toContain(CANARY);
  });
});

describe('GET /api/v1/status', () => {
  it('answers the same status as JSON', async () => {
    const api = await get('/api/v1/status');
    expect(api.status).toBe(200);
    expect(api.headers['content-type']).toBe('application/json; charset=utf-8');
    const body = JSON.parse(api.body);
    expect(body.status).toBe('success');
    expect(Object.keys(body.data)).toEqual(['generatedAt', 'config', 'resultCounts', 'filter', 'causeCounts', 'causeFilter', 'targets', 'credentialFiles']);
    expect(body.data.targets).toHaveLength(13);
    expect(body.data.targets[1]).toEqual({
      job: 'kubelet',
      instance: '127.0.0.1:9101',
      url: 'https://127.0.0.1:9101/metrics',
      labels: { env: 'test' },
      result: 'unauthorized',
      statusCode: 401,
      lastError: 'server returned HTTP status 401 Unauthorized',
      lastProbe: '2025-01-02T03:03:53.000Z',
      lastProbeAgeSeconds: 12,
      durationSeconds: 0.042,
      authEnforced: null,
      unauthenticatedStatusCode: null,
      forbidden: null,
      tlsCertExpiry: null,
      tlsCertExpiresInSeconds: null,
      diagnosis: { cause: 'credentials_rejected', summary: 'summary of credentials_rejected', fix: 'fix for credentials_rejected' },
    });
    expect(body.data.targets[11]).toMatchObject({ result: 'pending', diagnosis: null });
    expect(body.data.credentialFiles).toHaveLength(7);
  });

  it('filters by ?cause= like ?result=, and refuses an unknown cause with 400', async () => {
    const filtered = JSON.parse((await get('/api/v1/status?cause=permission_denied,pending')).body);
    expect(filtered.data.targets.map((t: { result: string }) => t.result)).toEqual(['forbidden', 'pending']);
    expect(filtered.data.causeFilter).toEqual(['permission_denied', 'pending']);
    expect(filtered.data.causeCounts).toMatchObject({ ok: 1, credentials_rejected: 2, pending: 1, token_expired: 0 });
    const both = JSON.parse((await get('/api/v1/status?cause=credentials_rejected&result=unauthorized')).body);
    expect(both.data.targets).toHaveLength(2);
    const bad = await get('/api/v1/status?cause=nope');
    expect(bad.status).toBe(400);
    expect(JSON.parse(bad.body)).toMatchObject({ status: 'error', errorType: 'bad_data', error: expect.stringContaining('unknown cause "nope"') });
    const page = await get('/?cause=%3Cscript%3E');
    expect(page.status).toBe(400);
    expect(page.headers['content-type']).toBe('text/plain; charset=utf-8');
  });

  it('filters like the page and refuses an unknown result the Prometheus API way', async () => {
    const filtered = JSON.parse((await get('/api/v1/status?result=ok,pending')).body);
    expect(filtered.data.targets.map((t: { result: string }) => t.result)).toEqual(['ok', 'pending']);
    const bad = await get('/api/v1/status?result=nope');
    expect(bad.status).toBe(400);
    expect(JSON.parse(bad.body)).toMatchObject({ status: 'error', errorType: 'bad_data' });
  });

  it('escapes markup in JSON and never carries a secret', async () => {
    const api = await get('/api/v1/status');
    expect(api.body).not.toContain('<script>');
    expect(api.body).not.toContain(CANARY);
    expect(JSON.parse(api.body).data.targets[12].labels.team).toBe(XSS_LABEL);
  });
});
