import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { asDiskError, fsyncDir, tempFileOf, writeAll } from './atomic';

/** Who holds a folder: the content of its lock file. */
export interface LockHolder {
  pid: number;
  host: string;
  /** ISO time the lock was taken. */
  started: string;
  /** What the process runs, e.g. "search" (for the message a second process prints). */
  command: string;
  /** Linux: the boot and the process's start tick, so a pid reused after a crash or a reboot is not taken for the holder. */
  boot?: string;
  procStart?: string;
  /** Random, so a lock is told apart from a later one of the same pid. */
  nonce: string;
}

/** Another live process holds the folder. */
export class FolderLockedError extends Error {
  readonly userError = true;
  constructor(
    message: string,
    readonly holder: LockHolder,
  ) {
    super(message);
    this.name = 'FolderLockedError';
  }
}

export const LOCK_FILE = 'run.lock';

const readText = (file: string) => {
  try {
    return fs.readFileSync(file, 'utf8').trim();
  } catch {
    return undefined;
  }
};
const bootId = () => readText('/proc/sys/kernel/random/boot_id');
/** Field 22 of /proc/<pid>/stat (start time in ticks since boot); the name field before it may hold spaces. */
function procStartOf(pid: number): string | undefined {
  const stat = readText(`/proc/${pid}/stat`);
  return stat?.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
}

/** Whether the process of a lock may still run. On another host it cannot be told: assume it does. */
export function holderAlive(h: LockHolder): boolean {
  if (h.host !== os.hostname()) return true;
  const boot = bootId();
  if (h.boot && boot && h.boot !== boot) return false;
  try {
    process.kill(h.pid, 0);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ESRCH') return false;
  }
  const start = h.procStart && procStartOf(h.pid);
  return !(start && start !== h.procStart);
}

/** Same-host liveness of a pid alone (for temporary files named by pid). */
export function pidAlive(pid: number): boolean {
  return holderAlive({ pid, host: os.hostname(), started: '', command: '', nonce: '' });
}

function parseHolder(text: string | undefined): LockHolder | undefined {
  try {
    const h = JSON.parse(text ?? '') as LockHolder;
    return Number.isInteger(h.pid) && typeof h.host === 'string' && typeof h.nonce === 'string' ? h : undefined;
  } catch {
    return undefined;
  }
}

const describe = (h: LockHolder) => `${h.command} pid ${h.pid} on ${h.host}, started ${h.started}`;

/**
 * One process writes a folder at a time: `<dir>/run.lock` holds the pid, host and start time of
 * the process that writes it, from `acquire` until `release` (or the process's exit). A second
 * process is refused with a FolderLockedError naming the holder. A lock whose process is gone
 * (same host, pid dead or reused, or the host rebooted) is taken over, and `log` says so.
 *
 * The lock file appears whole or not at all (written beside it, then hard-linked to its name,
 * which fails if it exists). A stale lock is moved aside before it is replaced, and the moved
 * file checked to be the stale one, so two processes taking over at once cannot both win.
 */
export class FolderLock {
  private released = false;
  private readonly onExit = () => this.release();

  private constructor(
    readonly file: string,
    readonly holder: LockHolder,
  ) {
    process.once('exit', this.onExit);
  }

  static acquire(dir: string, command: string, log?: (line: string) => void): FolderLock {
    const file = path.join(dir, LOCK_FILE);
    const me: LockHolder = { pid: process.pid, host: os.hostname(), started: new Date().toISOString(), command, boot: bootId(), procStart: procStartOf(process.pid), nonce: randomBytes(8).toString('hex') };
    const tmp = tempFileOf(file);
    try {
      writeLockFile(tmp, me);
      for (let attempt = 0; attempt < 10; attempt++) {
        try {
          fs.linkSync(tmp, file);
          fsyncDir(dir);
          return new FolderLock(file, me);
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
        }
        const text = readText(file);
        if (text === undefined) continue; // released meanwhile
        const holder = parseHolder(text);
        // An unreadable lock file was not written by us (ours appear whole): someone else's, kept.
        if (!holder) throw new FolderLockedError(`${dir}: locked by ${file}, which is not a marl-hpo lock; remove it if no process uses the folder`, me);
        if (holderAlive(holder)) {
          const hint = holder.host === me.host ? 'wait for it to end or stop it' : `if it is gone, remove ${file}`;
          throw new FolderLockedError(`${dir}: in use by ${describe(holder)} (${LOCK_FILE}); ${hint}`, holder);
        }
        if (takeOverStale(file, text)) log?.(`${dir}: took over the lock of ${describe(holder)}: that process is gone`);
      }
      throw new FolderLockedError(`${dir}: the lock keeps changing hands (${file}); is another process starting on this folder?`, me);
    } catch (e) {
      throw asDiskError(e, file);
    } finally {
      fs.rmSync(tmp, { force: true });
    }
  }

  /** Removes the lock file if it is still this lock (idempotent). */
  release(): void {
    if (this.released) return;
    this.released = true;
    process.off('exit', this.onExit);
    if (parseHolder(readText(this.file))?.nonce === this.holder.nonce) fs.rmSync(this.file, { force: true });
  }
}

function writeLockFile(file: string, holder: LockHolder): void {
  const fd = fs.openSync(file, 'w');
  try {
    writeAll(fd, Buffer.from(JSON.stringify(holder) + '\n'));
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * Moves the stale lock (content `stale`) out of the way. If what was moved is not it (another
 * process took the stale lock over just before), it is put back. True if the stale lock is gone.
 */
function takeOverStale(file: string, stale: string): boolean {
  const aside = `${file}.${process.pid}.stale`;
  try {
    fs.renameSync(file, aside);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw e;
  }
  if (readText(aside) === stale) {
    fs.rmSync(aside, { force: true });
    return true;
  }
  try {
    fs.linkSync(aside, file);
  } catch {
    // a third process locked the folder meanwhile: it keeps it
  }
  fs.rmSync(aside, { force: true });
  return false;
}
