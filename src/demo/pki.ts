// Certificates for the demo's HTTPS target, made in-process (no openssl binary in the container image).
import { generateKeyPairSync } from 'node:crypto';
import forge from 'node-forge';

export interface DemoPki {
  caCert: string;
  serverCert: string;
  serverKey: string;
}

const DAY_MS = 24 * 3600_000;

function keyPair(): { forgeKey: forge.pki.rsa.PrivateKey; publicKey: forge.pki.rsa.PublicKey; pem: string } {
  // node:crypto generates the key in C; forge only signs and encodes.
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048, privateKeyEncoding: { type: 'pkcs1', format: 'pem' }, publicKeyEncoding: { type: 'spki', format: 'pem' } });
  const forgeKey = forge.pki.privateKeyFromPem(privateKey) as forge.pki.rsa.PrivateKey;
  return { forgeKey, publicKey: forge.pki.setRsaPublicKey(forgeKey.n, forgeKey.e), pem: privateKey };
}

function certificate(options: {
  subject: string;
  issuer: string;
  publicKey: forge.pki.PublicKey;
  signer: forge.pki.rsa.PrivateKey;
  now: number;
  lifetimeMs: number;
  ca: boolean;
  serial: string;
}): forge.pki.Certificate {
  const cert = forge.pki.createCertificate();
  cert.publicKey = options.publicKey;
  cert.serialNumber = options.serial;
  cert.validity.notBefore = new Date(options.now - 3600_000);
  cert.validity.notAfter = new Date(options.now + options.lifetimeMs);
  cert.setSubject([{ name: 'commonName', value: options.subject }, { name: 'organizationName', value: 'scrape-auth-exporter demo' }]);
  cert.setIssuer([{ name: 'commonName', value: options.issuer }, { name: 'organizationName', value: 'scrape-auth-exporter demo' }]);
  cert.setExtensions(
    options.ca
      ? [
          { name: 'basicConstraints', cA: true, critical: true },
          { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
        ]
      : [
          { name: 'basicConstraints', cA: false },
          { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
          { name: 'extKeyUsage', serverAuth: true },
          { name: 'subjectAltName', altNames: [{ type: 7, ip: '127.0.0.1' }, { type: 2, value: 'localhost' }] },
        ],
  );
  cert.sign(options.signer, forge.md.sha256.create());
  return cert;
}

/** A CA valid for a year and a server certificate for 127.0.0.1 that expires in `serverLifetimeDays`. */
export function createDemoPki(now = Date.now(), serverLifetimeDays = 20): DemoPki {
  const ca = keyPair();
  const server = keyPair();
  const caCert = certificate({ subject: 'demo CA', issuer: 'demo CA', publicKey: ca.publicKey, signer: ca.forgeKey, now, lifetimeMs: 365 * DAY_MS, ca: true, serial: '01' });
  const serverCert = certificate({ subject: 'demo target', issuer: 'demo CA', publicKey: server.publicKey, signer: ca.forgeKey, now, lifetimeMs: serverLifetimeDays * DAY_MS, ca: false, serial: '02' });
  return { caCert: forge.pki.certificateToPem(caCert), serverCert: forge.pki.certificateToPem(serverCert), serverKey: server.pem };
}
