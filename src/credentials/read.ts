// Reads a credential file safely: stat first, only regular files, never more than a size cap.
import { close, constants, fstat, open, read, stat, type Stats } from 'node:fs';
import { SecretFiles } from './secret-files.js';

/** Credential files larger than this are not read (a token, a key or a CA bundle is far smaller). */
export const MAX_CREDENTIAL_BYTES = 1024 * 1024;
/** Buffer growth step for a file whose stat size is unknown (0, as /proc files report it). */
const READ_CHUNK_BYTES = 4096;

/** What identifies one version of a file's content: any write, chmod, chown or `..data` swap changes one of these. */
export interface FileVersion {
  dev: number;
  ino: number;
  size: number;
  mtimeMs: number;
  ctimeMs: number;
  mode: number;
}

export function fileVersion(info: Stats): FileVersion {
  return { dev: info.dev, ino: info.ino, size: info.size, mtimeMs: info.mtimeMs, ctimeMs: info.ctimeMs, mode: info.mode };
}

export type ReadOutcome =
  | { ok: true; content: Buffer; size: number; mtimeMs: number; mode: number; file: FileVersion }
  | { ok: false; exists: boolean; problem: string };

/**
 * Opens `path` only when it is a regular file (after following symlinks, as Kubernetes' `..data` links need),
 * and reads at most MAX_CREDENTIAL_BYTES. A FIFO, socket, device or directory is reported, never opened.
 */
export function readCredentialFile(path: string, maxBytes = MAX_CREDENTIAL_BYTES): Promise<ReadOutcome> {
  // Plain callbacks, not fs/promises' FileHandle: this runs for every credential file of every probe, and the
  // FileHandle machinery cost about as much CPU as the system calls themselves (docs/benchmarks.md).
  return new Promise<ReadOutcome>((resolve) => {
    const problem = (exists: boolean, text: string) => resolve({ ok: false, exists, problem: text });
    const onStat = (statErr: NodeJS.ErrnoException | null, info: Stats) => {
      if (statErr) return problem(false, describeErrno(statErr));
      const kind = nonRegularKind(info);
      if (kind) return problem(true, `is a ${kind}, not a regular file`);
      if (info.size > maxBytes) return problem(true, `is ${info.size} bytes, more than the ${maxBytes}-byte limit`);
      // O_NONBLOCK: if the path was swapped for a FIFO after the stat, open must not hang.
      open(path, constants.O_RDONLY | constants.O_NONBLOCK, (openErr, fd) => {
        if (openErr) return problem(true, describeErrno(openErr));
        const finish = (outcome: ReadOutcome) => close(fd, () => resolve(outcome));
        fstat(fd, (fstatErr, opened) => {
          if (fstatErr) return finish({ ok: false, exists: true, problem: describeErrno(fstatErr) });
          const openedKind = nonRegularKind(opened);
          if (openedKind) return finish({ ok: false, exists: true, problem: `is a ${openedKind}, not a regular file` });
          // One byte more than the file's size, at most one more than the cap: a full buffer means over the cap.
          let buffer = Buffer.allocUnsafe(Math.min(maxBytes + 1, Math.max(opened.size, 0) + 1));
          let total = 0;
          const next = () =>
            read(fd, buffer, total, buffer.length - total, total, (readErr, length) => {
              if (readErr) return finish({ ok: false, exists: true, problem: describeErrno(readErr) });
              total += length;
              if (total > maxBytes) return finish({ ok: false, exists: true, problem: `is more than the ${maxBytes}-byte limit` });
              // Usually one read: exactly the size stat gave, with room to spare, is the end. A file whose stat
              // size lies (0 for /proc-style files, or one still growing) is read on until EOF, never past the cap.
              const done = length === 0 || (opened.size > 0 && total === opened.size && total < buffer.length);
              if (!done) {
                if (total === buffer.length) {
                  const bigger = Buffer.allocUnsafe(Math.min(maxBytes + 1, Math.max(buffer.length * 2, READ_CHUNK_BYTES)));
                  buffer.copy(bigger, 0, 0, total);
                  buffer = bigger;
                }
                return next();
              }
              // Only the bytes read are handed out: the rest of an unsafe allocation never leaves here.
              finish({ ok: true, content: buffer.subarray(0, total), size: total, mtimeMs: opened.mtimeMs, mode: opened.mode, file: fileVersion(opened) });
            });
          next();
        });
      });
    };
    try {
      stat(path, onStat);
    } catch (err) {
      // A path Node refuses outright (a NUL byte in it) is a problem to report, not an exception.
      problem(false, describeErrno(err));
    }
  });
}

/** Reads a secret the way Prometheus does: checked on every use, surrounding white space trimmed (secret-files.ts). */
export function readSecretFile(path: string): Promise<{ ok: true; value: string } | { ok: false; problem: string }> {
  return sharedSecretFiles.read(path);
}

/** "FIFO", "socket", "device", "directory": what a path is when it is not a regular file. */
export function nonRegularKind(info: { isFile(): boolean; isDirectory(): boolean; isFIFO(): boolean; isSocket(): boolean; isCharacterDevice(): boolean; isBlockDevice(): boolean }): string | undefined {
  if (info.isFile()) return undefined;
  if (info.isDirectory()) return 'directory';
  if (info.isFIFO()) return 'FIFO';
  if (info.isSocket()) return 'socket';
  if (info.isCharacterDevice() || info.isBlockDevice()) return 'device';
  return 'special file';
}

/** "no such file or directory", "permission denied": the words Go's os package uses, as Prometheus logs them. */
export function describeErrno(err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code;
  switch (code) {
    case 'ENOENT':
      return 'no such file or directory';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'ELOOP':
      return 'too many levels of symbolic links';
    case 'ENOTDIR':
      return 'not a directory';
    case 'EISDIR':
      return 'is a directory';
    default:
      return code ? code.toLowerCase() : 'unreadable';
  }
}

const sharedSecretFiles = new SecretFiles({ read: readCredentialFile });
