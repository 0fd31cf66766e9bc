// Generates the bench's PKI with the openssl CLI: a CA, a server certificate for the mTLS target, a client certificate.
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';

/** The name the mTLS target's certificate is issued for; both exporters verify it via server_name. */
export const SERVER_NAME = 'target.bench';

function openssl(args, cwd) {
  execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
}

/**
 * Writes ca.crt/ca.key, server.crt/server.key and client.crt/client.key into `dir`.
 * RSA 2048 because that is what kubeadm and most in-cluster CAs issue; the key type decides most of a handshake's cost.
 */
export function generateCerts(dir, { ecdsa = false } = {}) {
  // The scale section uses ECDSA P-256, what cert-manager and most service meshes issue by now.
  const newKey = ecdsa ? ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256'] : ['-newkey', 'rsa:2048'];
  const ext = path.join(dir, 'ext.cnf');
  writeFileSync(
    ext,
    [
      '[server]',
      `subjectAltName=DNS:${SERVER_NAME},IP:127.0.0.1`,
      'extendedKeyUsage=serverAuth',
      '[client]',
      'extendedKeyUsage=clientAuth',
      '',
    ].join('\n'),
  );
  openssl(['req', '-x509', ...newKey, '-nodes', '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '2', '-subj', '/CN=bench-ca'], dir);
  for (const [name, cn] of [['server', SERVER_NAME], ['client', 'prometheus']]) {
    openssl(['req', ...newKey, '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${cn}`], dir);
    openssl(
      ['x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', `${name}.crt`, '-days', '2', '-extfile', 'ext.cnf', '-extensions', name],
      dir,
    );
  }
  return {
    ca: path.join(dir, 'ca.crt'),
    serverCert: path.join(dir, 'server.crt'),
    serverKey: path.join(dir, 'server.key'),
    clientCert: path.join(dir, 'client.crt'),
    clientKey: path.join(dir, 'client.key'),
  };
}
