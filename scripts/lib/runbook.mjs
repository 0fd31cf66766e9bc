// Where the alerts' runbook_url points: one base URL (a copy of docs/runbook.md) plus the alert's section anchor.

/** The runbook in this repository. Point it at your own copy with --runbook-base-url (docs/kubernetes.md). */
export const DEFAULT_RUNBOOK_BASE_URL = 'https://github.com/scrape-auth-exporter/scrape-auth-exporter/blob/main/docs/runbook.md';

/** docs/runbook.md has one `## AlertName` section per alert; GitHub and GitLab anchor it as the lower-cased name. */
export function runbookUrl(base, alert) {
  return `${base}#${alert.toLowerCase()}`;
}

export function checkBaseUrl(base) {
  let url;
  try {
    url = new URL(base);
  } catch {
    throw new Error(`runbook base URL ${JSON.stringify(base)} is not a URL`);
  }
  if (!/^https?:$/.test(url.protocol) || url.hash || url.search) {
    throw new Error(`runbook base URL ${JSON.stringify(base)} must be an http(s) URL without "?" or "#" (the alert's anchor is added)`);
  }
  return base;
}

const ALERT = /^\s*- alert:\s*(\S+)\s*$/;
const RUNBOOK = /^(\s*runbook_url:\s*)(\S+)\s*$/;

/**
 * The rules file with every runbook_url line set to `base#alert`. Only those lines change, as text: the rest of the
 * file (descriptions, comments, layout) stays exactly as written.
 */
export function setRunbookUrls(text, base) {
  let alert;
  return text
    .split('\n')
    .map((line) => {
      const a = ALERT.exec(line);
      if (a) alert = a[1];
      const r = RUNBOOK.exec(line);
      if (!r || alert === undefined) return line;
      return `${r[1]}${runbookUrl(base, alert)}`;
    })
    .join('\n');
}

/** The base URL every rule uses, or the reasons it is not one base with each alert's own anchor. */
export function runbookBaseOf(groups) {
  const problems = [];
  const bases = new Set();
  for (const rule of groups.flatMap((g) => g.rules ?? [])) {
    if (!rule.alert) continue;
    const url = rule.annotations?.runbook_url;
    const suffix = `#${rule.alert.toLowerCase()}`;
    if (typeof url !== 'string' || !url.endsWith(suffix)) problems.push(`${rule.alert}: runbook_url ${JSON.stringify(url)} does not end in ${suffix}`);
    else bases.add(url.slice(0, -suffix.length));
  }
  if (bases.size > 1) problems.push(`runbook_url uses ${bases.size} base URLs: ${[...bases].join(', ')}`);
  return { base: [...bases][0], problems };
}
