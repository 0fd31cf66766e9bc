// Renders the status page: one self-contained HTML document (inline CSS, no script, no external assets).
import { CAUSE_MEANINGS, CAUSES } from '../diagnosis/causes.js';
import { PROBE_RESULTS } from '../status/types.js';
import { formatAge, formatDuration, formatExpiresIn, formatSeconds, Html, html } from './html.js';
import type { CauseFilterValue, CredentialFileView, ResultFilterValue, StatusData, TargetView } from './status-view.js';

export interface PageOptions {
  /** Seconds between automatic reloads (meta refresh keeps the ?result= filter, and needs no JavaScript). */
  refreshSeconds: number;
  telemetryPath?: string;
  version?: string;
}

/** A credential expiring sooner than this is shown as a warning. */
const EXPIRY_WARNING_SECONDS = 24 * 3600;

const RESULT_HINTS: Record<ResultFilterValue, string> = {
  ok: 'status 200 with a metrics exposition',
  unauthorized: '401: the credentials are missing, wrong or expired',
  forbidden: '403: authenticated, but not allowed (RBAC)',
  http_error: 'an HTTP status other than 200, 401 or 403',
  tls_error: 'the TLS handshake or certificate verification failed',
  connection_refused: 'nothing listens on the port',
  timeout: 'no answer within the probe timeout',
  dns_error: 'the host name does not resolve',
  network_error: 'the connection failed or was reset',
  invalid_response: 'a 200 whose body is not a metrics exposition',
  credentials_error: 'not sent: a credential file is missing or unreadable',
  pending: 'not probed yet',
};

const CSS = `
:root{--ok:#1a7f37;--bad:#cf222e;--warn:#9a6700;--muted:#57606a;--line:#d0d7de;--bg:#f6f8fa}
*{box-sizing:border-box}
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;color:#1f2328;background:#fff}
header{padding:12px 20px;border-bottom:1px solid var(--line);background:var(--bg)}
header h1{font-size:18px;margin:0 0 4px}
main{padding:8px 20px 24px}
h2{font-size:16px;margin:20px 0 8px}
h3{font-size:14px;margin:16px 0 6px}
.meta,.muted{color:var(--muted)}
.banner{padding:8px 12px;border:1px solid var(--bad);background:#ffebe9;color:var(--bad);margin:8px 0;border-radius:6px}
nav.filter{display:flex;flex-wrap:wrap;gap:6px;margin:8px 0}
nav.filter a{padding:2px 10px;border:1px solid var(--line);border-radius:12px;text-decoration:none;color:inherit;background:#fff}
nav.filter a[aria-current=page]{border-color:#0969da;background:#ddf4ff;font-weight:600}
table{border-collapse:collapse;width:100%;margin-bottom:8px}
th,td{text-align:left;padding:4px 8px;border-bottom:1px solid var(--line);vertical-align:top}
th{background:var(--bg);font-weight:600;white-space:nowrap}
td.num{text-align:right;white-space:nowrap}
code{font:12px ui-monospace,SFMono-Regular,Menlo,monospace;word-break:break-all}
.badge{display:inline-block;padding:0 8px;border-radius:10px;font-weight:600;color:#fff;white-space:nowrap}
.r-ok{background:var(--ok)}
.r-unauthorized,.r-forbidden,.r-credentials_error{background:var(--bad)}
.r-tls_error,.r-invalid_response,.r-http_error{background:#bc4c00}
.r-connection_refused,.r-timeout,.r-dns_error,.r-network_error{background:#8250df}
.r-pending{background:var(--muted)}
.label{display:inline-block;margin:1px 4px 1px 0;padding:0 6px;border-radius:4px;background:var(--bg);border:1px solid var(--line);font-size:12px}
.good{color:var(--ok)}.bad{color:var(--bad);font-weight:600}.warn{color:var(--warn);font-weight:600}
.error{color:var(--bad)}
td.cause{min-width:18em;max-width:44em}
.cause .summary{margin-top:2px}
.cause .fix{margin-top:2px;color:#1f2328}
.cause .fix::before{content:"Fix: ";font-weight:600}
.cause-words{text-transform:none}
footer{padding:12px 20px;border-top:1px solid var(--line);color:var(--muted)}
`;

export function renderStatusPage(data: StatusData, options: PageOptions): string {
  const total = Object.values(data.resultCounts).reduce((a, b) => a + b, 0);
  const failing = total - data.resultCounts.ok - data.resultCounts.pending;
  const page = html`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="refresh" content="${options.refreshSeconds}">
<title>${failing > 0 ? `(${failing} failing) ` : ''}scrape-auth-exporter status</title>
<style>${new Html(CSS)}</style>
</head>
<body>
<header>
<h1>scrape-auth-exporter</h1>
<div class="meta">Config <code>${data.config.file}</code> · last reload
${data.config.lastReloadSuccessful ? html`<span class="good">successful</span>` : html`<span class="bad">failed</span>`}${
    data.config.lastReloadSuccessTimestamp ? html`, loaded <time datetime="${data.config.lastReloadSuccessTimestamp}">${data.config.lastReloadSuccessTimestamp}</time>` : ''
  } · generated <time datetime="${data.generatedAt}">${data.generatedAt}</time>${options.version ? ` · version ${options.version}` : ''}</div>
${
    data.config.lastReloadSuccessful
      ? ''
      : html`<div class="banner" role="alert">The last config reload failed: the previous config keeps running. See the exporter's log for the error.</div>`
  }
</header>
<main>
<h2 id="targets">Targets <span class="muted">(${total})</span></h2>
${filterNav(data)}
${causeNav(data)}
${targetsSection(data)}
<h2 id="credential-files">Credential files <span class="muted">(${data.credentialFiles.length})</span></h2>
${credentialsSection(data.credentialFiles)}
</main>
<footer>Refreshes every ${options.refreshSeconds}s · <a href="api/v1/status">JSON</a>${
    options.telemetryPath ? html` · <a href="${options.telemetryPath.replace(/^\//, '')}">metrics</a>` : ''
  }</footer>
</body>
</html>
`;
  return page.text;
}

function filterNav(data: StatusData): Html {
  const all = Object.values(data.resultCounts).reduce((a, b) => a + b, 0);
  const current = (values: ResultFilterValue[]) =>
    values.length === data.filter.length && values.every((v) => data.filter.includes(v)) ? 'page' : undefined;
  // Every result with targets, plus any result asked for, so the active filter is always visible.
  const shown = [...PROBE_RESULTS, 'pending' as const].filter((r) => data.resultCounts[r] > 0 || data.filter.includes(r));
  return html`<nav class="filter" aria-label="Filter targets by result">
<a href="?"${attr('aria-current', current([]))}>all (${all})</a>
${shown.map(
  (r) => html`<a href="?result=${r}" class="f-${r}"${attr('aria-current', current([r]))} title="${RESULT_HINTS[r]}"><span class="badge r-${r}">${r}</span> ${data.resultCounts[r]}</a>
`,
)}</nav>`;
}

/** A cause in words: "token_expired" → "token expired". */
export function causeWords(cause: string): string {
  return cause.replace(/_/g, ' ');
}

function causeHint(cause: CauseFilterValue): string {
  return cause === 'pending' ? 'not probed yet' : CAUSE_MEANINGS[cause];
}

function causeNav(data: StatusData): Html | string {
  const shown = [...CAUSES, 'pending' as const].filter((c) => data.causeCounts[c] > 0 || data.causeFilter.includes(c));
  if (shown.length === 0) return '';
  return html`<nav class="filter causes" aria-label="Filter targets by cause">
<span class="muted">Cause:</span>
${shown.map(
  (c) => html`<a href="?cause=${c}" class="c-${c}"${attr('aria-current', data.causeFilter.length === 1 && data.causeFilter[0] === c ? 'page' : undefined)} title="${causeHint(c)}">${causeWords(c)} ${data.causeCounts[c]}</a>
`,
)}</nav>`;
}

function targetsSection(data: StatusData): Html {
  if (data.targets.length === 0) {
    const asked = [...data.filter.map((r) => `result ${r}`), ...data.causeFilter.map((c) => `cause ${c}`)];
    return html`<p class="muted" id="no-targets">${asked.length > 0 ? `No target has ${asked.join(' or ')}.` : 'No targets configured or discovered yet.'}</p>`;
  }
  const jobs = new Map<string, TargetView[]>();
  for (const t of data.targets) {
    const list = jobs.get(t.job) ?? [];
    list.push(t);
    jobs.set(t.job, list);
  }
  return html`${[...jobs].map(
    ([job, targets]) => html`<section class="job" data-job="${job}">
<h3>${job} <span class="muted">(${targets.filter((t) => t.result === 'ok').length}/${targets.length} ok)</span></h3>
<table>
<thead><tr><th>Target</th><th>Result</th><th>Cause</th><th>Status</th><th>Last error</th><th>Last probe</th><th>Duration</th><th>Auth enforced</th></tr></thead>
<tbody>
${targets.map(targetRow)}</tbody>
</table>
</section>
`,
  )}`;
}

function targetRow(t: TargetView): Html {
  const labels = Object.entries(t.labels);
  return html`<tr class="target" data-instance="${t.instance}" data-result="${t.result}">
<td><code>${t.url}</code>${labels.length > 0 ? html`<div>${labels.map(([k, v]) => html`<span class="label">${k}="${v}"</span>`)}</div>` : ''}</td>
<td><span class="badge r-${t.result}" title="${RESULT_HINTS[t.result]}">${t.result}</span></td>
${causeCell(t)}
<td class="num">${t.statusCode === null ? '—' : t.statusCode === 0 ? html`<span class="muted" title="no HTTP response">none</span>` : t.statusCode}</td>
<td>${t.lastError === null ? '' : html`<span class="error">${t.lastError}</span>`}${forbiddenDetail(t)}${tlsDetail(t)}</td>
<td class="num">${t.lastProbeAgeSeconds === null ? html`<span class="muted">never</span>` : html`<time datetime="${t.lastProbe}" title="${t.lastProbe}">${formatAge(t.lastProbeAgeSeconds)}</time>`}</td>
<td class="num">${t.durationSeconds === null ? '—' : formatSeconds(t.durationSeconds)}</td>
<td>${authEnforced(t)}</td>
</tr>
`;
}

/** The cause in words with the colour of its result, what happened, and the fix under it. */
function causeCell(t: TargetView): Html {
  const d = t.diagnosis;
  if (!d) return html`<td class="cause" data-cause="pending"><span class="badge r-pending">pending</span></td>`;
  const showFix = d.cause !== 'ok' || d.fix !== 'Nothing to fix.';
  return html`<td class="cause" data-cause="${d.cause}"><span class="badge r-${t.result} cause-words" title="${CAUSE_MEANINGS[d.cause as keyof typeof CAUSE_MEANINGS] ?? ''}">${causeWords(d.cause)}</span>${
    d.cause === 'ok' ? '' : html`<div class="summary">${d.summary}</div>`
  }${showFix ? html`<div class="fix">${d.fix}</div>` : ''}</td>`;
}

function forbiddenDetail(t: TargetView): Html | string {
  if (!t.forbidden) return '';
  const f = t.forbidden;
  const resource = f.subresource ? `${f.resource}/${f.subresource}` : f.resource;
  return html`<div class="muted">missing permission: <code>${f.verb}</code> on <code>${resource}</code> for <code>${f.user}</code></div>`;
}

function tlsDetail(t: TargetView): Html | string {
  if (t.tlsCertExpiresInSeconds === null) return '';
  const cls = t.tlsCertExpiresInSeconds < 0 ? 'bad' : t.tlsCertExpiresInSeconds < EXPIRY_WARNING_SECONDS ? 'warn' : 'muted';
  return html`<div class="${cls}">server certificate expires <time datetime="${t.tlsCertExpiry}" title="${t.tlsCertExpiry}">${formatExpiresIn(t.tlsCertExpiresInSeconds)}</time></div>`;
}

function authEnforced(t: TargetView): Html | string {
  if (t.authEnforced === null) return html`<span class="muted" title="set probe.check_unauthenticated to find out">not checked</span>`;
  const code = t.unauthenticatedStatusCode === null ? '' : ` (${t.unauthenticatedStatusCode} without credentials)`;
  return t.authEnforced
    ? html`<span class="good">yes</span><span class="muted">${code}</span>`
    : html`<span class="bad" title="metrics are served to anyone">no</span><span class="muted">${code}</span>`;
}

function credentialsSection(files: CredentialFileView[]): Html {
  if (files.length === 0) return html`<p class="muted" id="no-credential-files">No credential files watched.</p>`;
  return html`<table>
<thead><tr><th>File</th><th>Readable</th><th>Type</th><th>Age</th><th>Expires in</th><th>Rotations</th><th>World-readable</th><th>Used by</th></tr></thead>
<tbody>
${files.map(credentialRow)}</tbody>
</table>`;
}

function credentialRow(c: CredentialFileView): Html {
  const labels = Object.entries(c.labels);
  const readable = !c.exists
    ? html`<span class="bad">missing</span>`
    : !c.readable
      ? html`<span class="bad">no</span>`
      : c.empty
        ? html`<span class="bad" title="Prometheus would send an empty credential">empty</span>`
        : html`<span class="good">yes</span>`;
  const expires =
    c.expiresInSeconds === null
      ? html`<span class="muted">—</span>`
      : html`<time datetime="${c.expires}" title="${c.expires}" class="${c.expiresInSeconds < 0 ? 'bad' : c.expiresInSeconds < EXPIRY_WARNING_SECONDS ? 'warn' : ''}">${formatExpiresIn(c.expiresInSeconds)}</time>`;
  return html`<tr class="credential-file" data-path="${c.path}">
<td><code>${c.path}</code>${labels.length > 0 ? html`<div>${labels.map(([k, v]) => html`<span class="label">${k}="${v}"</span>`)}</div>` : ''}${
    c.subject || c.issuer ? html`<div class="muted">${c.subject ? `subject ${c.subject}` : ''}${c.subject && c.issuer ? ' · ' : ''}${c.issuer ? `issuer ${c.issuer}` : ''}</div>` : ''
  }</td>
<td>${readable}${c.problem ? html`<div class="error">${c.problem}</div>` : ''}</td>
<td>${c.type ?? html`<span class="muted">—</span>`}${c.sizeBytes === null ? '' : html`<div class="muted">${c.sizeBytes} bytes</div>`}</td>
<td class="num">${c.ageSeconds === null ? '—' : html`<time datetime="${c.modified}" title="modified ${c.modified}">${formatDuration(c.ageSeconds)}</time>`}</td>
<td class="num">${expires}${c.refreshDue ? html`<div class="muted" title="the kubelet should have replaced it by then">refresh due <time datetime="${c.refreshDue}">${c.refreshDue}</time></div>` : ''}</td>
<td class="num">${c.rotations}${c.lastChangeAgeSeconds === null ? '' : html`<div class="muted"><time datetime="${c.lastChange}" title="last change ${c.lastChange}">last ${formatAge(c.lastChangeAgeSeconds)}</time></div>`}</td>
<td>${c.worldReadable === null ? html`<span class="muted">—</span>` : c.worldReadable ? html`<span class="warn" title="anyone on the host may read it; the guide asks for 0640">yes</span>` : html`<span class="good">no</span>`}</td>
<td>${c.usedBy.map((u) => html`<div><code>${u.job}</code> <span class="muted">${u.usage}</span></div>`)}</td>
</tr>
`;
}

function attr(name: string, value: string | undefined): Html | string {
  return value === undefined ? '' : html` ${new Html(name)}="${value}"`;
}
