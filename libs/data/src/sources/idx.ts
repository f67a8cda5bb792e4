/**
 * idx:<dir> — IDX files as MNIST and Fashion-MNIST ship them, gzipped or not:
 * `train-images-idx3-ubyte[.gz]` + `train-labels-idx1-ubyte[.gz]`, and `t10k-` (or `test-`) for test.
 * Images stream through gunzip record by record, so the decompressed file is never held in memory.
 */
import { createReadStream, promises as fsp } from 'node:fs';
import path from 'node:path';
import { createGunzip } from 'node:zlib';
import { checkImageSize, resampleRaw } from '../decode';
import { BadFile, DataError } from '../errors';
import { fileStamps, listDir, readClassesFile, requireDir } from '../fsutil';
import type { ResolvedOptions } from '../options';
import type { Plan, PlanItem } from '../plan';
import type { SplitName } from '../types';

const FILE_RE = /^(train|t10k|test)-(images|labels)[.-]idx(\d)-ubyte(\.gz)?$/;
const UBYTE = 0x08;

/** Class names of Fashion-MNIST, used when the folder is named like it and has no classes.txt. */
const FASHION_MNIST = ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot'];

interface IdxHeader {
  dims: number[];
  headerBytes: number;
}

/** Decompressed bytes of a file (gzip detected by its magic number, not its name). */
async function* byteStream(abs: string): AsyncGenerator<Buffer> {
  const fh = await fsp.open(abs, 'r');
  const magic = Buffer.alloc(2);
  await fh.read(magic, 0, 2, 0);
  await fh.close();
  const raw = createReadStream(abs, { highWaterMark: 1 << 20 });
  const stream = magic[0] === 0x1f && magic[1] === 0x8b ? raw.pipe(createGunzip()) : raw;
  try {
    for await (const chunk of stream) yield chunk as Buffer;
  } finally {
    raw.destroy();
    stream.destroy();
  }
}

function parseHeader(buf: Buffer, rel: string): IdxHeader | undefined {
  if (buf.length < 4) return undefined;
  if (buf[0] !== 0 || buf[1] !== 0) throw new BadFile(rel, 'not an IDX file (bad magic number)');
  if (buf[2] !== UBYTE) throw new BadFile(rel, `IDX data type 0x${buf[2].toString(16)} is not supported (only unsigned bytes, 0x08)`);
  const nd = buf[3];
  const headerBytes = 4 + 4 * nd;
  if (buf.length < headerBytes) return undefined;
  const dims = Array.from({ length: nd }, (_, i) => buf.readUInt32BE(4 + 4 * i));
  return { dims, headerBytes };
}

/** Streams an IDX file: its header, then fixed-size records; truncation and gzip damage are reported, not thrown. */
async function* idxRecords(abs: string, rel: string, recordsFrom?: (h: IdxHeader) => number): AsyncGenerator<{ header: IdxHeader } | { record: Buffer } | { bad: BadFile }> {
  let pending: Buffer = Buffer.alloc(0);
  let header: IdxHeader | undefined;
  let size = 0;
  let count = 0;
  try {
    for await (const chunk of byteStream(abs)) {
      pending = pending.length ? Buffer.concat([pending, chunk]) : chunk;
      if (!header) {
        header = parseHeader(pending, rel);
        if (!header) continue;
        pending = pending.subarray(header.headerBytes);
        size = recordsFrom ? recordsFrom(header) : 0;
        yield { header };
        if (!recordsFrom) return;
      }
      let off = 0;
      while (pending.length - off >= size && count < header.dims[0]) {
        yield { record: pending.subarray(off, off + size) };
        off += size;
        count++;
      }
      pending = pending.subarray(off);
      if (count === header.dims[0]) return;
    }
  } catch (e) {
    if (e instanceof BadFile) {
      yield { bad: e };
      return;
    }
    const code = (e as NodeJS.ErrnoException).code ?? '';
    if (!code.startsWith('Z_') && code !== 'ERR_BUFFER_TOO_LARGE') throw e;
    yield { bad: new BadFile(rel, `corrupt gzip data after ${count} records (${(e as Error).message})`) };
    return;
  }
  if (!header) yield { bad: new BadFile(rel, 'truncated: the IDX header is incomplete') };
  else yield { bad: new BadFile(rel, `truncated: ${count} of ${header.dims[0]} records`) };
}

async function readHeader(abs: string, rel: string): Promise<IdxHeader | BadFile> {
  for await (const r of idxRecords(abs, rel)) {
    if ('header' in r) return r.header;
    if ('bad' in r) return r.bad;
  }
  return new BadFile(rel, 'truncated: the IDX header is incomplete');
}

interface PartFiles {
  part: SplitName;
  images: string;
  labels: string;
  /** [n, rows, cols(, channels)], or why the pair is unusable. */
  header: IdxHeader | BadFile;
}

export async function idxPlan(root: string, o: ResolvedOptions): Promise<Plan> {
  if (o.palette) throw new DataError(`${o.field('palette')}: only seg: datasets have masks`);
  const abs = path.resolve(root);
  await requireDir(abs, root);
  const found = new Map<string, string>();
  for (const f of (await listDir(abs)).files) {
    const m = FILE_RE.exec(f);
    if (!m) continue;
    const k = `${m[1] === 'train' ? 'train' : 'test'}/${m[2]}`;
    // Prefer the uncompressed file when both are there: it is the faster read.
    if (!found.has(k) || !m[4]) found.set(k, f);
  }
  const parts: PartFiles[] = [];
  for (const part of ['train', 'test'] as const) {
    const images = found.get(`${part}/images`);
    const labels = found.get(`${part}/labels`);
    if (!images && !labels) continue;
    if (!images || !labels) {
      throw new DataError(`${path.join(root, images ?? labels ?? '')}: no matching ${images ? 'labels' : 'images'} file (${part === 'train' ? 'train' : 't10k'}-${images ? 'labels-idx1' : 'images-idx3'}-ubyte[.gz])`);
    }
    const ih = await readHeader(path.join(abs, images), images);
    const lh = await readHeader(path.join(abs, labels), labels);
    let header: IdxHeader | BadFile = ih;
    if (lh instanceof BadFile) header = lh;
    else if (!(ih instanceof BadFile)) {
      const [n, , , c] = ih.dims;
      if (ih.dims.length !== 3 && !(ih.dims.length === 4 && (c === 1 || c === 3))) {
        header = new BadFile(images, `expected dimensions [n, rows, cols] or [n, rows, cols, 1|3], got [${ih.dims.join(', ')}]`);
      } else if (lh.dims.length !== 1) header = new BadFile(labels, `expected dimensions [n], got [${lh.dims.join(', ')}]`);
      else if (lh.dims[0] !== n) header = new BadFile(labels, `${lh.dims[0]} labels for ${n} images in ${images}`);
    }
    parts.push({ part, images, labels, header });
  }
  if (parts.length === 0) throw new DataError(`${root}: no IDX files (expected train-images-idx3-ubyte[.gz] and train-labels-idx1-ubyte[.gz])`);
  const good = parts.find((p) => !(p.header instanceof BadFile));
  if (!good) {
    const b = parts[0].header as BadFile;
    throw new DataError(`${path.join(root, b.file)}: ${b.reason}`);
  }
  const [, rows, cols, channels = 1] = (good.header as IdxHeader).dims;
  checkImageSize([rows, cols, channels], `${path.join(root, good.images)}: images of shape `);
  const shape = o.shape ?? [rows, cols, channels];
  const classes = o.classes ?? (await readClassesFile(abs, root)) ?? (/fashion/i.test(path.basename(abs)) ? FASHION_MNIST : undefined);
  const stamps = await fileStamps(
    abs,
    parts.flatMap((p) => [p.images, p.labels]),
  );
  return {
    task: 'classification',
    shape,
    classes,
    total: parts.reduce((s, p) => s + (p.header instanceof BadFile ? 1 : p.header.dims[0]), 0),
    key: { kind: 'idx', abs, stamps },
    label: `idx-${path.basename(abs)}`,
    root,
    async *items(shape): AsyncGenerator<PlanItem> {
      for (const p of parts) {
        if (p.header instanceof BadFile) {
          yield p.header;
          continue;
        }
        const labels = await readAllLabels(path.join(abs, p.labels), p.labels, p.header.dims[0]);
        if (labels instanceof BadFile) {
          yield labels;
          continue;
        }
        const [, h, w, c = 1] = p.header.dims;
        let i = 0;
        for await (const r of idxRecords(path.join(abs, p.images), p.images, () => h * w * c)) {
          if ('bad' in r) yield r.bad;
          if (!('record' in r)) continue;
          const label = labels[i];
          if (classes && label >= classes.length) yield new BadFile(`${p.labels}[${i}]`, `label ${label} out of range (${classes.length} classes)`);
          else yield { part: p.part, ...(await resampleRaw(new Uint8Array(r.record), h, w, c, shape)), label };
          i++;
        }
      }
    },
  };
}

async function readAllLabels(abs: string, rel: string, n: number): Promise<Uint8Array | BadFile> {
  const out = new Uint8Array(n);
  let i = 0;
  for await (const r of idxRecords(abs, rel, () => 1)) {
    if ('bad' in r) return r.bad;
    if ('record' in r) out[i++] = r.record[0];
  }
  return out;
}
