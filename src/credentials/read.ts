// Reads a credential file safely: stat first, only regular files, never more than a size cap.
import { constants } from 'node:fs';
import { open, stat, type FileHandle } from 'node:fs/promises';

/** Credential files larger than this are not read (a token, a key or a CA bundle is far smaller). */
export const MAX_CREDENTIAL_BYTES = 1024 * 1024;

export type ReadOutcome =
  | { ok: true; content: Buffer; size: number; mtimeMs: number; mode: number }
  | { ok: false; exists: boolean; problem: string };

/**
 * Opens `path` only when it is a regular file (after following symlinks, as Kubernetes' `..data` links need),
 * and reads at most MAX_CREDENTIAL_BYTES. A FIFO, socket, device or directory is reported, never opened.
 */
export async function readCredentialFile(path: string, maxBytes = MAX_CREDENTIAL_BYTES): Promise<ReadOutcome> {
  let info;
  try {
    info = await stat(path);
  } catch (err) {
    return { ok: false, exists: false, problem: describeErrno(err) };
  }
  const kind = nonRegularKind(info);
  if (kind) return { ok: false, exists: true, problem: `is a ${kind}, not a regular file` };
  if (info.size > maxBytes) return { ok: false, exists: true, problem: `is ${info.size} bytes, more than the ${maxBytes}-byte limit` };
  let handle: FileHandle | undefined;
  try {
    // O_NONBLOCK: if the path was swapped for a FIFO after the stat, open must not hang.
    handle = await open(path, constants.O_RDONLY | constants.O_NONBLOCK);
    const opened = await handle.stat();
    const openedKind = nonRegularKind(opened);
    if (openedKind) return { ok: false, exists: true, problem: `is a ${openedKind}, not a regular file` };
    const buffer = Buffer.alloc(Math.min(maxBytes + 1, Math.max(opened.size, 0) + 1));
    let length = 0;
    while (length < buffer.length) {
      const { bytesRead } = await handle.read(buffer, length, buffer.length - length, length);
      if (bytesRead === 0) break;
      length += bytesRead;
    }
    if (length > maxBytes) return { ok: false, exists: true, problem: `is more than the ${maxBytes}-byte limit` };
    return { ok: true, content: buffer.subarray(0, length), size: length, mtimeMs: opened.mtimeMs, mode: opened.mode };
  } catch (err) {
    return { ok: false, exists: true, problem: describeErrno(err) };
  } finally {
    await handle?.close();
  }
}

/** Reads a secret the way Prometheus does: re-read on every use, surrounding white space trimmed. */
export async function readSecretFile(path: string): Promise<{ ok: true; value: string } | { ok: false; problem: string }> {
  const outcome = await readCredentialFile(path);
  if (!outcome.ok) return { ok: false, problem: outcome.problem };
  return { ok: true, value: outcome.content.toString('utf8').trim() };
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
