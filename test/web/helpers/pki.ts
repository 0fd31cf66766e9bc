// Test certificates made by the openssl CLI: a CA, server and client certificates, and a stranger CA.
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { tempDirSync } from '../../helpers/tmp.js';
import { tmpdir } from 'node:os';
import path from 'node:path';

export interface Pki {
  dir: string;
  caCert: string;
  serverCert: string;
  serverKey: string;
  clientCert: string;
  clientKey: string;
  /** A client certificate from a CA the server does not trust. */
  strangerCert: string;
  strangerKey: string;
  /** Issues another server certificate (for rotation tests) and returns its paths. */
  issueServer(name: string, commonName: string): { cert: string; key: string };
}

function openssl(args: string[], cwd: string): void {
  execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
}

function issue(dir: string, name: string, subject: string, ca: { cert: string; key: string }, ext: string): { cert: string; key: string } {
  const key = path.join(dir, `${name}.key`);
  const csr = path.join(dir, `${name}.csr`);
  const cert = path.join(dir, `${name}.crt`);
  const extFile = path.join(dir, `${name}.ext`);
  writeFileSync(extFile, ext);
  openssl(['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', key, '-out', csr, '-subj', subject], dir);
  openssl(['x509', '-req', '-in', csr, '-CA', ca.cert, '-CAkey', ca.key, '-CAcreateserial', '-out', cert, '-days', '2', '-extfile', extFile], dir);
  return { cert, key };
}

function selfSignedCa(dir: string, name: string): { cert: string; key: string } {
  const key = path.join(dir, `${name}.key`);
  const cert = path.join(dir, `${name}.crt`);
  openssl(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', key, '-out', cert, '-days', '2', '-subj', `/CN=${name}`], dir);
  return { cert, key };
}

export function createPki(): Pki {
  const dir = tempDirSync('web-pki-');
  const ca = selfSignedCa(dir, 'test-ca');
  const stranger = selfSignedCa(dir, 'stranger-ca');
  const serverExt = 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n';
  const server = issue(dir, 'server', '/CN=server-one', ca, serverExt);
  const client = issue(dir, 'client', '/CN=prometheus', ca, 'subjectAltName=DNS:prometheus.monitoring\nextendedKeyUsage=clientAuth\n');
  const strangerClient = issue(dir, 'stranger-client', '/CN=stranger', stranger, 'extendedKeyUsage=clientAuth\n');
  return {
    dir,
    caCert: ca.cert,
    serverCert: server.cert,
    serverKey: server.key,
    clientCert: client.cert,
    clientKey: client.key,
    strangerCert: strangerClient.cert,
    strangerKey: strangerClient.key,
    issueServer: (name, commonName) => issue(dir, name, `/CN=${commonName}`, ca, serverExt),
  };
}
