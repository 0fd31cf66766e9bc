// Writes the config files of both exporters for each bench scenario: same targets, same credentials, same TLS.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { stringify } from 'yaml';
import { SERVER_NAME } from './certs.mjs';

function tlsConfig(certs) {
  return { ca_file: certs.ca, cert_file: certs.clientCert, key_file: certs.clientKey, server_name: SERVER_NAME };
}

/** Our two jobs: `bearer` over HTTP with a token file, `mtls` over HTTPS with a client certificate. */
function jobs({ tokenFile, certs, bearerTargets = [], mtlsTargets = [], interval }) {
  // The /probe scenarios name targets blackbox-style (not the jobs' own): opt in, as a blackbox user would.
  const probe = { probe: { allow_any_target: true, ...(interval ? { interval, timeout: interval } : {}) } };
  return [
    {
      job_name: 'bearer',
      authorization: { type: 'Bearer', credentials_file: tokenFile },
      static_configs: bearerTargets.length ? [{ targets: bearerTargets }] : [],
      ...probe,
    },
    {
      job_name: 'mtls',
      scheme: 'https',
      tls_config: tlsConfig(certs),
      static_configs: mtlsTargets.length ? [{ targets: mtlsTargets }] : [],
      ...probe,
    },
  ];
}

export function writeOurConfig(file, { tokenFile, certs, bearerTargets, mtlsTargets, interval, credentialFiles = [], global = {} }) {
  const config = {
    global: { probe_timeout: '5s', ...global },
    scrape_configs: jobs({ tokenFile, certs, bearerTargets, mtlsTargets, interval }),
    credential_files: credentialFiles.map((p) => ({ path: p })),
  };
  writeFileSync(file, stringify(config));
  return file;
}

/** blackbox_exporter modules doing what our jobs do: the http prober with the same token file and TLS files. */
export function writeBlackboxConfig(file, { tokenFile, certs }) {
  const http = { method: 'GET', valid_status_codes: [200], preferred_ip_protocol: 'ip4', ip_protocol_fallback: false };
  const config = {
    modules: {
      bearer: { prober: 'http', timeout: '5s', http: { ...http, authorization: { type: 'Bearer', credentials_file: tokenFile } } },
      mtls: { prober: 'http', timeout: '5s', http: { ...http, tls_config: tlsConfig(certs) } },
    },
  };
  writeFileSync(file, stringify(config));
  return file;
}

export function configPath(dir, name) {
  return path.join(dir, name);
}
