// Shared test helpers for the credential tests: temp dirs, configs, certificates, JWTs and metric samples.
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { SignJWT } from 'jose';
import { parseConfig, type LoadedConfig } from '../../src/config/load.js';

export async function tempDir(prefix = 'creds-'): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), prefix));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/** A loaded config as the runtime would hand it over; relative paths resolve against `dir`. */
export function configIn(dir: string, yaml: string): LoadedConfig {
  return parseConfig(yaml, path.join(dir, 'scrape-auth.yml'));
}

/** A config that only lists credential files (with a long poll, so only the watcher can see changes). */
export function credentialFilesConfig(dir: string, files: string[], poll = '1h', labels?: Record<string, string>): LoadedConfig {
  const label = labels ? `, labels: ${JSON.stringify(labels)}` : '';
  return configIn(dir, `global: { credential_poll_interval: ${poll} }\ncredential_files:\n${files.map((f) => `  - { path: ${JSON.stringify(f)}${label} }`).join('\n')}\n`);
}

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** Parses the Prometheus text exposition into samples (enough for our own output). */
export function parseSamples(text: string): Sample[] {
  const out: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m) throw new Error(`unparsable exposition line: ${line}`);
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) {
      labels[l[1]!] = l[2]!.replace(/\\n/g, '\n').replace(/\\"/g, '"').replace(/\\\\/g, '\\');
    }
    out.push({ name: m[1]!, labels, value: Number(m[3]) });
  }
  return out;
}

/** The samples of `name` whose labels include `labels`. */
export function select(samples: Sample[], name: string, labels: Record<string, string> = {}): Sample[] {
  return samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
}

/** The single value of `name` for `labels`, or undefined when absent. */
export function valueOf(samples: Sample[], name: string, labels: Record<string, string> = {}): number | undefined {
  const found = select(samples, name, labels);
  if (found.length > 1) throw new Error(`${found.length} samples of ${name} match ${JSON.stringify(labels)}`);
  return found[0]?.value;
}

/** Polls `check` until it is true or the deadline passes; returns the elapsed milliseconds. */
export async function until(check: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<number> {
  const start = performance.now();
  for (;;) {
    if (await check()) return performance.now() - start;
    if (performance.now() - start > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** A signed JWT (HS256, random key): the exporter decodes it without verifying. */
export async function jwt(claims: Record<string, unknown>): Promise<string> {
  const key = crypto.getRandomValues(new Uint8Array(32));
  return new SignJWT(claims).setProtectedHeader({ alg: 'HS256', typ: 'JWT' }).sign(key);
}

export interface CertFiles {
  cert: string;
  key: string;
}

/** A self-signed EC certificate made with the openssl CLI; `days` may be negative for an expired one. */
export async function selfSigned(dir: string, name: string, subject: string, days: number): Promise<CertFiles> {
  const key = path.join(dir, `${name}.key`);
  const csr = path.join(dir, `${name}.csr`);
  const cert = path.join(dir, `${name}.crt`);
  execFileSync('openssl', ['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', key], { stdio: 'pipe' });
  execFileSync('openssl', ['req', '-new', '-key', key, '-subj', subject, '-out', csr], { stdio: 'pipe' });
  execFileSync('openssl', ['x509', '-req', '-in', csr, '-signkey', key, '-days', String(days), '-out', cert], { stdio: 'pipe' });
  await rm(csr);
  return { cert, key };
}

/** notAfter of a certificate file as Unix seconds, read back with openssl (independent of the code under test). */
export function notAfterSeconds(cert: string): number {
  const out = execFileSync('openssl', ['x509', '-in', cert, '-noout', '-enddate'], { encoding: 'utf8' });
  return Date.parse(out.trim().replace(/^notAfter=/, '')) / 1000;
}

export async function write(file: string, content: string | Buffer, mode?: number): Promise<string> {
  await writeFile(file, content, mode === undefined ? undefined : { mode });
  return file;
}
