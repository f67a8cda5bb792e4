import fs from 'node:fs';
import path from 'node:path';

/** The device is full, over quota or read-only: the user must make room; nothing already written is damaged. */
export class DiskError extends Error {
  readonly userError = true;
  constructor(
    message: string,
    readonly code: string,
  ) {
    super(message);
    this.name = 'DiskError';
  }
}

const DISK_CODES: Record<string, string> = {
  ENOSPC: 'no space left on the device',
  EDQUOT: 'disk quota exceeded',
  EROFS: 'read-only file system',
  EFBIG: 'file too large for the file system',
};

/** A DiskError naming `file` for the errors a user fixes by making room; any other error unchanged. */
export function asDiskError(e: unknown, file: string): unknown {
  const code = (e as NodeJS.ErrnoException)?.code;
  if (e instanceof DiskError || !code || !(code in DISK_CODES)) return e;
  return new DiskError(`${file}: cannot write, ${DISK_CODES[code]} (${code})`, code);
}

/** Writes all of `bytes` at the file's current position: a write may take only part of them. */
export function writeAll(fd: number, bytes: Uint8Array): void {
  for (let off = 0; off < bytes.length; ) {
    const n = fs.writeSync(fd, bytes, off, bytes.length - off);
    if (n <= 0) throw Object.assign(new Error(`write returned ${n}`), { code: 'EIO' });
    off += n;
  }
}

/** Flushes a directory entry change (a rename, a new file) to disk; not every platform can. */
export function fsyncDir(dir: string): void {
  let fd: number | undefined;
  try {
    fd = fs.openSync(dir, 'r');
    fs.fsyncSync(fd);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (!['EINVAL', 'EISDIR', 'EPERM', 'EBADF', 'ENOTSUP', 'EACCES'].includes(code ?? '')) throw e;
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

/** Closes after a failed write: the write's error is the one to report. */
function closeQuietly(fd: number): void {
  try {
    fs.closeSync(fd);
  } catch {
    // already failing
  }
}

/** The temporary name a write to `file` uses before its rename: `.<name>.<pid>.tmp` beside it. */
export const tempFileOf = (file: string, pid = process.pid) => path.join(path.dirname(file), `.${path.basename(file)}.${pid}.tmp`);
const TEMP_FILE = /^\..+\.(\d+)\.tmp$/;

/**
 * Writes a file so that readers (and a crash, a full disk, a killed process) see the old or
 * the new content, never a part: every byte written and checked, fsynced, renamed over the
 * old file, the directory fsynced (unless `syncDir: false`). On any error the temporary file is removed and the old
 * file stays as it was; a full or read-only disk is a DiskError naming the file.
 */
export function writeFileAtomic(file: string, data: string | Uint8Array, opts: { syncDir?: boolean } = {}): void {
  const tmp = tempFileOf(file);
  const bytes = typeof data === 'string' ? Buffer.from(data) : data;
  let fd: number | undefined;
  try {
    fd = fs.openSync(tmp, 'w');
    writeAll(fd, bytes);
    fs.fsyncSync(fd);
    fs.closeSync(fd);
    fd = undefined;
    fs.renameSync(tmp, file);
  } catch (e) {
    if (fd !== undefined) closeQuietly(fd);
    fs.rmSync(tmp, { force: true });
    throw asDiskError(e, file);
  }
  // Several files of one folder written together: the caller fsyncs the folder once after them.
  if (opts.syncDir !== false) fsyncDir(path.dirname(file));
}

/**
 * Removes the temporary files that writes killed half-way left in `dir`: those of processes
 * that are gone (or of this one, whose writes are synchronous). Returns their names.
 */
export function removeStaleTempFiles(dir: string, alive: (pid: number) => boolean): string[] {
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const name of names) {
    const pid = Number(TEMP_FILE.exec(name)?.[1] ?? NaN);
    if (Number.isNaN(pid) || (pid !== process.pid && alive(pid))) continue;
    fs.rmSync(path.join(dir, name), { force: true });
    removed.push(name);
  }
  return removed;
}
