/** A split that streams its batches from the cache file by offset: memory use is one or two batches. */
import { promises as fsp } from 'node:fs';
import { readRecords, recordBytes, type CacheMeta } from './cache';
import { DataError } from './errors';
import { rng, shuffle } from './rng';
import type { Batch, Split } from './types';

export class CacheSplit implements Split {
  /** x = lut[c * 256 + pixel]: normalisation as one table lookup per value. */
  private readonly lut: Float32Array;

  constructor(
    private readonly file: string,
    private readonly meta: CacheMeta,
    /** Record indices, ascending. */
    readonly indices: readonly number[],
    private readonly labels: Int32Array | undefined,
    normalize: { mean: number[]; std: number[] },
  ) {
    const C = meta.shape[2];
    this.lut = new Float32Array(C * 256);
    for (let c = 0; c < C; c++) for (let v = 0; v < 256; v++) this.lut[c * 256 + v] = (v / 255 - normalize.mean[c]) / normalize.std[c];
  }

  get size(): number {
    return this.indices.length;
  }

  async *batches(batchSize: number, opts: { shuffleSeed?: number } = {}): AsyncGenerator<Batch> {
    if (!Number.isInteger(batchSize) || batchSize < 1) throw new DataError(`batchSize: expected an integer >= 1, got ${batchSize}`);
    const order = [...this.indices];
    if (opts.shuffleSeed !== undefined) shuffle(order, rng(opts.shuffleSeed, 'batches'));
    const nb = Math.ceil(order.length / batchSize);
    if (nb === 0) return;
    const rb = recordBytes(this.meta);
    const fh = await fsp.open(this.file, 'r');
    const read = async (b: number) => {
      const idx = order.slice(b * batchSize, (b + 1) * batchSize);
      const buf = Buffer.allocUnsafe(idx.length * rb);
      await readRecords(fh, this.meta, idx, buf);
      return { idx, buf };
    };
    // Read batch b + 1 from disk while the consumer works on batch b.
    let next: Promise<{ idx: number[]; buf: Buffer }> | undefined = read(0);
    try {
      for (let b = 0; next; b++) {
        const cur: { idx: number[]; buf: Buffer } = await next;
        next = b + 1 < nb ? read(b + 1) : undefined;
        next?.catch(() => undefined);
        yield this.toBatch(cur.idx, cur.buf);
      }
    } finally {
      await next?.catch(() => undefined);
      await fh.close();
    }
  }

  private toBatch(idx: number[], buf: Buffer): Batch {
    const { imageBytes, maskBytes } = this.meta;
    const C = this.meta.shape[2];
    const n = idx.length;
    const rb = imageBytes + maskBytes;
    const x = new Float32Array(n * imageBytes);
    const y = new Int32Array(this.labels ? n : n * maskBytes);
    const lut = this.lut;
    for (let s = 0; s < n; s++) {
      const src = s * rb;
      const dst = s * imageBytes;
      if (C === 1) for (let i = 0; i < imageBytes; i++) x[dst + i] = lut[buf[src + i]];
      else {
        for (let i = 0; i < imageBytes; i += 3) {
          x[dst + i] = lut[buf[src + i]];
          x[dst + i + 1] = lut[256 + buf[src + i + 1]];
          x[dst + i + 2] = lut[512 + buf[src + i + 2]];
        }
      }
      if (this.labels) y[s] = this.labels[idx[s]];
      else for (let i = 0; i < maskBytes; i++) y[s * maskBytes + i] = buf[src + imageBytes + i];
    }
    return { x, y, n };
  }
}
