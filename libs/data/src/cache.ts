/**
 * The binary cache of decoded samples: the streaming source of every split.
 *
 * Layout: MAGIC (8 bytes) | n fixed-size records (uint8 image H*W*C, then uint8 mask H*W for
 * segmentation) | n fixed-size stats entries (int32 LE label, or a 256-bit class-presence mask)
 * | JSON trailer (CacheMeta) | footer: uint64 LE trailer offset, uint32 LE trailer length, FOOTER_MAGIC.
 * Records are written as they are decoded (the trailer, whose size is unknown until the end,
 * goes last), so building never holds the dataset in memory; the file is written under a
 * temporary name and renamed, so a reader never sees a half-written cache.
 */
import { createHash, randomBytes } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DataError } from './errors';
import type { Conversions, SplitName, Task } from './types';

const MAGIC = Buffer.from('MHPODAT1', 'latin1');
const FOOTER_MAGIC = Buffer.from('MHPD', 'latin1');
const FOOTER_BYTES = 16;
/** Bump when the decoded bytes for the same inputs change (decoder, layout, generator). */
export const CACHE_VERSION = 2;
export const HEADER_BYTES = MAGIC.length;
/** Stats entry of a segmentation record: one bit per possible class id (masks are uint8). */
export const PRESENCE_BYTES = 32;

export interface CacheMeta {
  version: number;
  key: string;
  task: Task;
  shape: [number, number, number];
  classes: string[];
  n: number;
  /** Contiguous record ranges per source part, in the order train, val, test. */
  parts: Partial<Record<SplitName, { start: number; count: number }>>;
  imageBytes: number;
  maskBytes: number;
  statsBytes: number;
  /** Files are relative to the dataset root. */
  skipped: { file: string; reason: string }[];
  /** Images that each conversion was applied to. */
  conversions: Conversions;
}

export interface CacheLayout {
  imageBytes: number;
  maskBytes: number;
  statsBytes: number;
}

export function recordBytes(m: CacheLayout): number {
  return m.imageBytes + m.maskBytes;
}

export function defaultCacheDir(): string {
  return cacheDirOrigin().dir;
}

/** The default cache folder and what chose it, for error messages. */
export function cacheDirOrigin(): { dir: string; from: string } {
  if (process.env.MARL_HPO_CACHE_DIR) return { dir: process.env.MARL_HPO_CACHE_DIR, from: '$MARL_HPO_CACHE_DIR' };
  if (process.env.XDG_CACHE_HOME) return { dir: path.join(process.env.XDG_CACHE_HOME, 'marl-hpo', 'data'), from: '$XDG_CACHE_HOME' };
  return { dir: path.join(os.homedir(), '.cache', 'marl-hpo', 'data'), from: 'the default ~/.cache' };
}

/** File-system failures that the user fixes by pointing the cache elsewhere or freeing space. */
const CACHE_FAULTS: Record<string, string> = {
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EROFS: 'read-only file system',
  ENOTDIR: 'a path component is a file, not a folder',
  EEXIST: 'a file is in the way',
  EISDIR: 'a folder is in the way',
  ENAMETOOLONG: 'name too long',
  ELOOP: 'too many symbolic links',
  ENOSPC: 'no space left on the device',
  EDQUOT: 'disk quota exceeded',
};

/** A one-line DataError for a cache write that failed for a reason the user can fix; anything else is rethrown as it is. */
export function cacheFault(e: unknown, dir: string, from: string, doing: string, field: string): unknown {
  const code = (e as NodeJS.ErrnoException)?.code;
  if (!code || !(code in CACHE_FAULTS)) return e;
  return new DataError(
    `data cache folder ${dir} (${from}): cannot ${doing} (${code}: ${CACHE_FAULTS[code]}); set ${field} or $MARL_HPO_CACHE_DIR to a writable folder with free space`,
  );
}

/** Hash of everything that decides the decoded bytes; the cache file name. */
export function cacheFileName(label: string, keyMaterial: unknown): { key: string; name: string } {
  const key = createHash('sha256')
    .update(JSON.stringify({ v: CACHE_VERSION, keyMaterial }))
    .digest('hex')
    .slice(0, 24);
  const safe = label.replace(/[^A-Za-z0-9_.-]+/g, '_').slice(0, 60);
  return { key, name: `${safe}-${key}.bin` };
}

/** Appends records in order; `finish` writes stats and trailer, then renames into place. */
export class CacheWriter {
  private fh: fsp.FileHandle | undefined;
  private readonly tmp: string;
  private chunk: Buffer;
  private used = 0;
  private offset = 0;
  private stats: Buffer;
  private count = 0;
  private readonly parts: CacheMeta['parts'] = {};
  private current: { start: number; count: number } | undefined;

  constructor(
    private readonly file: string,
    private readonly layout: CacheLayout,
    /** For error messages: what chose the cache folder ('$XDG_CACHE_HOME'...) and the option that sets it. */
    private readonly origin: { from: string; field: string },
  ) {
    this.tmp = `${file}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
    this.chunk = Buffer.alloc(Math.max(4 << 20, recordBytes(layout)));
    this.stats = Buffer.alloc(layout.statsBytes * 1024);
  }

  /** Runs a file-system step; a failure the user can fix (no permission, disk full...) becomes one DataError line. */
  private async guard<T>(doing: string, step: () => Promise<T>): Promise<T> {
    try {
      return await step();
    } catch (e) {
      throw cacheFault(e, path.dirname(this.file), this.origin.from, doing, this.origin.field);
    }
  }

  async open(): Promise<void> {
    const dir = path.dirname(this.file);
    await this.guard('create it', () => fsp.mkdir(dir, { recursive: true }));
    await removeStaleTemps(dir, path.basename(this.file));
    this.fh = await this.guard('write in it', () => fsp.open(this.tmp, 'w'));
    this.chunk.set(MAGIC, 0);
    this.used = MAGIC.length;
  }

  get size(): number {
    return this.count;
  }

  async add(part: SplitName, image: Uint8Array, mask: Uint8Array | undefined, stats: Uint8Array): Promise<void> {
    const { imageBytes, maskBytes, statsBytes } = this.layout;
    if (image.length !== imageBytes || (mask?.length ?? 0) !== maskBytes || stats.length !== statsBytes) {
      throw new Error(`cache record size mismatch: ${image.length}/${mask?.length ?? 0}/${stats.length}`);
    }
    if (!this.current || this.parts[part] !== this.current) {
      if (this.parts[part]) throw new Error(`cache parts must be contiguous; '${part}' came back`);
      this.current = { start: this.count, count: 0 };
      this.parts[part] = this.current;
    }
    this.current.count++;
    if (this.used + imageBytes + maskBytes > this.chunk.length) await this.flush();
    this.chunk.set(image, this.used);
    if (mask) this.chunk.set(mask, this.used + imageBytes);
    this.used += imageBytes + maskBytes;
    if ((this.count + 1) * statsBytes > this.stats.length) {
      const grown = Buffer.alloc(this.stats.length * 2);
      this.stats.copy(grown);
      this.stats = grown;
    }
    this.stats.set(stats, this.count * statsBytes);
    this.count++;
  }

  private handle(): fsp.FileHandle {
    if (!this.fh) throw new Error('cache writer is not open');
    return this.fh;
  }

  private async flush(): Promise<void> {
    const fh = this.handle();
    await this.guard('write in it', async () => {
      let done = 0;
      while (done < this.used) {
        const { bytesWritten } = await fh.write(this.chunk, done, this.used - done, this.offset);
        done += bytesWritten;
        this.offset += bytesWritten;
      }
    });
    this.used = 0;
  }

  private async append(buf: Buffer): Promise<void> {
    await this.flush();
    this.chunk = buf.length > this.chunk.length ? Buffer.alloc(buf.length) : this.chunk;
    buf.copy(this.chunk);
    this.used = buf.length;
    await this.flush();
  }

  async finish(meta: Omit<CacheMeta, 'n' | 'parts' | 'imageBytes' | 'maskBytes' | 'statsBytes' | 'version'>): Promise<CacheMeta> {
    const full: CacheMeta = { version: CACHE_VERSION, ...meta, n: this.count, parts: this.parts, ...this.layout };
    await this.append(this.stats.subarray(0, this.count * this.layout.statsBytes));
    const trailer = Buffer.from(JSON.stringify(full), 'utf8');
    const trailerOffset = this.offset;
    await this.append(trailer);
    const footer = Buffer.alloc(FOOTER_BYTES);
    footer.writeBigUInt64LE(BigInt(trailerOffset), 0);
    footer.writeUInt32LE(trailer.length, 8);
    FOOTER_MAGIC.copy(footer, 12);
    await this.append(footer);
    const fh = this.handle();
    // On disk before the rename, so a crash never leaves a short file under the final name.
    await this.guard('write in it', () => fh.sync());
    await fh.close();
    this.fh = undefined;
    await this.guard('write in it', () => fsp.rename(this.tmp, this.file));
    return full;
  }

  async abort(): Promise<void> {
    await this.fh?.close().catch(() => undefined);
    this.fh = undefined;
    await fsp.rm(this.tmp, { force: true });
  }
}

/** Removes `<name>.tmp-<pid>-*` files of writers whose process is gone (killed mid-build). */
async function removeStaleTemps(dir: string, name: string): Promise<void> {
  const names = await fsp.readdir(dir).catch(() => [] as string[]);
  for (const n of names) {
    const m = n.startsWith(`${name}.tmp-`) ? /^(\d+)-/.exec(n.slice(name.length + 5)) : null;
    if (m && !processAlive(Number(m[1]))) await fsp.rm(path.join(dir, n), { force: true }).catch(() => undefined);
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export interface OpenCache {
  file: string;
  meta: CacheMeta;
  /** n * statsBytes bytes. */
  stats: Buffer;
}

/** Reads the trailer and stats of a cache file; undefined if it is missing, foreign or damaged (then it is rebuilt). */
export async function openCache(file: string, key: string): Promise<OpenCache | undefined> {
  let fh: fsp.FileHandle;
  try {
    fh = await fsp.open(file, 'r');
  } catch {
    return undefined;
  }
  try {
    const { size } = await fh.stat();
    if (size < HEADER_BYTES + FOOTER_BYTES) return undefined;
    const head = Buffer.alloc(HEADER_BYTES);
    await fh.read(head, 0, HEADER_BYTES, 0);
    const footer = Buffer.alloc(FOOTER_BYTES);
    await fh.read(footer, 0, FOOTER_BYTES, size - FOOTER_BYTES);
    if (!head.equals(MAGIC) || !footer.subarray(12).equals(FOOTER_MAGIC)) return undefined;
    const trailerOffset = Number(footer.readBigUInt64LE(0));
    const trailerLength = footer.readUInt32LE(8);
    if (trailerOffset + trailerLength + FOOTER_BYTES !== size) return undefined;
    const trailer = Buffer.alloc(trailerLength);
    await fh.read(trailer, 0, trailerLength, trailerOffset);
    const meta = JSON.parse(trailer.toString('utf8')) as CacheMeta;
    if (meta.version !== CACHE_VERSION || meta.key !== key) return undefined;
    const statsOffset = HEADER_BYTES + meta.n * recordBytes(meta);
    if (statsOffset + meta.n * meta.statsBytes !== trailerOffset) return undefined;
    const stats = Buffer.alloc(meta.n * meta.statsBytes);
    await fh.read(stats, 0, stats.length, statsOffset);
    return { file, meta, stats };
  } catch {
    return undefined;
  } finally {
    await fh.close();
  }
}

/** Reads the records at `indices` (any order) into `out`, one contiguous read per run of consecutive indices. */
export async function readRecords(fh: fsp.FileHandle, layout: CacheLayout, indices: ArrayLike<number>, out: Buffer): Promise<void> {
  const rb = recordBytes(layout);
  const reads: Promise<unknown>[] = [];
  let i = 0;
  while (i < indices.length) {
    let j = i + 1;
    while (j < indices.length && indices[j] === indices[j - 1] + 1) j++;
    reads.push(readFully(fh, out, i * rb, (j - i) * rb, HEADER_BYTES + indices[i] * rb));
    i = j;
  }
  await Promise.all(reads);
}

async function readFully(fh: fsp.FileHandle, buf: Buffer, offset: number, length: number, position: number): Promise<void> {
  let done = 0;
  while (done < length) {
    const { bytesRead } = await fh.read(buf, offset + done, length - done, position + done);
    if (bytesRead === 0) throw new Error(`cache file ended early at byte ${position + done}`);
    done += bytesRead;
  }
}
