// The plain-text trace of one probe for /probe?debug=true: requests, redacted headers, TLS, timings, result.
import type { ProbeResult, ProbeTarget } from './probe.js';

const ms = (n: number | undefined) => (n === undefined ? '-' : `${n.toFixed(1)}ms`);
const time = (t: number) => new Date(t).toISOString();

/** Headers were redacted when the trace was recorded: credentials are already "<secret>" here. */
export function formatDebug(target: ProbeTarget, result: ProbeResult, metricsText: string): string {
  const lines: string[] = [];
  lines.push(`Probing ${target.url} for module "${target.job}" (instance ${target.instance})`, '');
  result.hops.forEach((hop, i) => {
    lines.push(`Request ${i + 1}: ${hop.method ?? 'GET'} ${hop.url}${hop.proxy ? ` via proxy ${hop.proxy}` : ''}`);
    for (const [name, value] of hop.requestHeaders) lines.push(`> ${name}: ${value}`);
    if (hop.remote) lines.push(`Remote address: ${hop.remote}`);
    if (hop.tls) {
      lines.push(`TLS: ${hop.tls.protocol ?? 'unknown'} ${hop.tls.cipher}, chain verified: ${hop.tls.authorized ? 'yes' : `no (${hop.tls.authorizationError ?? 'unknown'})`}`);
      hop.tls.chain.forEach((c, n) => {
        lines.push(`  certificate ${n}: subject "${c.subject}", issuer "${c.issuer}", not before ${time(c.notBeforeMs)}, not after ${time(c.notAfterMs)}${c.subjectAltName ? `, ${c.subjectAltName}` : ''}`);
      });
    }
    if (hop.statusCode !== undefined) lines.push(`< HTTP ${hop.statusCode}`);
    for (const [name, value] of hop.responseHeaders ?? []) lines.push(`< ${name}: ${value}`);
    const t = hop.timings;
    lines.push(`Timings: dns ${ms(t.dnsMs)}, connect ${ms(t.connectMs)}, tls ${ms(t.tlsMs)}, first byte ${ms(t.firstByteMs)}, total ${ms(t.totalMs)}`);
    if (hop.error) lines.push(`Error: ${hop.error}`);
    lines.push('');
  });
  lines.push(`Result: ${result.result}`);
  lines.push(`Status code: ${result.statusCode}`);
  if (result.error) lines.push(`Error: ${result.error}`);
  if (result.forbidden) {
    const f = result.forbidden;
    lines.push(`Forbidden: user ${f.user} may not ${f.verb} ${f.resource}${f.subresource ? `/${f.subresource}` : ''}`);
  }
  if (result.unauthenticated) {
    const u = result.unauthenticated;
    lines.push(`Without credentials: ${u.result}, status ${u.statusCode}, auth enforced: ${u.authEnforced === undefined ? 'unknown' : u.authEnforced ? 'yes' : 'no'}`);
  }
  lines.push(`Body bytes read: ${result.bodyBytesRead}`, `Duration: ${result.durationSeconds.toFixed(3)}s`, '', 'Metrics that would be returned:', '', metricsText);
  return lines.join('\n');
}
