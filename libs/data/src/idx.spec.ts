import { existsSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { DataError } from './errors';
import { loadDataset } from './load';
import { collect, python, tempDir, writeText } from './spec-helpers';
import type { Split } from './types';

let dir: string;
let cacheDir: string;
let cleanup: () => void;

function idx(dims: number[], data: number[]): Buffer {
  const head = Buffer.alloc(4 + 4 * dims.length);
  head[2] = 0x08;
  head[3] = dims.length;
  dims.forEach((d, i) => head.writeUInt32BE(d, 4 + 4 * i));
  return Buffer.concat([head, Buffer.from(data)]);
}

// Image i of a 3x4 set: pixel p = (i * 16 + p) mod 256; labels cycle 0, 1, 2.
const pixels = (n: number, offset: number) => Array.from({ length: n * 12 }, (_, k) => (Math.floor(k / 12) * 16 + (k % 12) + offset) & 255);
const labels = (n: number) => Array.from({ length: n }, (_, i) => i % 3);

beforeAll(() => {
  ({ dir, cleanup } = tempDir('idx'));
  cacheDir = path.join(dir, 'cache');
  const d = path.join(dir, 'small');
  writeText(path.join(d, 'train-images-idx3-ubyte'), idx([6, 3, 4], pixels(6, 0)));
  writeText(path.join(d, 'train-labels-idx1-ubyte'), idx([6], labels(6)));
  writeText(path.join(d, 't10k-images-idx3-ubyte.gz'), gzipSync(idx([3, 3, 4], pixels(3, 100))));
  writeText(path.join(d, 't10k-labels-idx1-ubyte.gz'), gzipSync(idx([3], [2, 0, 1])));
});
afterAll(() => cleanup());

async function failure(spec: string, opts = {}): Promise<string> {
  const e = await loadDataset(spec, { cacheDir, ...opts }).catch((err: Error) => err);
  expect(e).toBeInstanceOf(DataError);
  return (e as Error).message;
}

describe('idx:', () => {
  it('reads plain and gzipped IDX files into train and test', async () => {
    const ds = await loadDataset(`idx:${path.join(dir, 'small')}`, { cacheDir, valFraction: 0 });
    expect(ds.shape).toEqual([3, 4, 1]);
    expect(ds.classes).toEqual(['0', '1', '2']);
    expect(ds.counts).toEqual({ train: { 0: 2, 1: 2, 2: 2 }, val: { 0: 0, 1: 0, 2: 0 }, test: { 0: 1, 1: 1, 2: 1 } });
    const train = await collect(ds.train, 4);
    expect(train.x.flat().map((v) => Math.round(v * 255))).toEqual(pixels(6, 0));
    expect(train.y.flat()).toEqual(labels(6));
    const test = await collect(ds.test!, 4);
    expect(test.x.flat().map((v) => Math.round(v * 255))).toEqual(pixels(3, 100));
    expect(test.y.flat()).toEqual([2, 0, 1]);
  });

  it('resizes and expands to RGB on request, and takes class names from classes.txt', async () => {
    const d = path.join(dir, 'named');
    writeText(path.join(d, 'train-images-idx3-ubyte'), idx([2, 2, 2], [10, 10, 10, 10, 200, 200, 200, 200]));
    writeText(path.join(d, 'train-labels-idx1-ubyte'), idx([2], [0, 1]));
    writeText(path.join(d, 'classes.txt'), 'dark\nlight\n');
    const ds = await loadDataset(`idx:${d}`, { cacheDir, valFraction: 0, shape: [4, 4, 3] });
    expect(ds.classes).toEqual(['dark', 'light']);
    const { x } = await collect(ds.train, 2);
    expect(x[0].map((v) => Math.round(v * 255))).toEqual(Array(48).fill(10));
    expect(x[1].map((v) => Math.round(v * 255))).toEqual(Array(48).fill(200));
  });

  it('reports truncated, corrupt and mismatched files, naming them', async () => {
    const d = path.join(dir, 'broken');
    writeText(path.join(d, 'train-images-idx3-ubyte'), idx([5, 3, 4], pixels(5, 0)).subarray(0, 16 + 12 * 3 + 5));
    writeText(path.join(d, 'train-labels-idx1-ubyte'), idx([5], [0, 1, 0, 1, 0]));
    const gz = gzipSync(idx([3, 3, 4], pixels(3, 0)));
    writeText(path.join(d, 't10k-images-idx3-ubyte.gz'), gz.subarray(0, gz.length - 10));
    writeText(path.join(d, 't10k-labels-idx1-ubyte.gz'), gzipSync(idx([3], [0, 1, 1])));
    expect(await failure(`idx:${d}`)).toBe(`${path.join(d, 'train-images-idx3-ubyte')}: truncated: 3 of 5 records`);
    const warnings: string[] = [];
    const ds = await loadDataset(`idx:${d}`, { cacheDir, onBadFile: 'skip', valFraction: 0, warn: (w) => warnings.push(w) });
    expect(ds.train.size).toBe(3);
    expect(ds.skipped.map((s) => path.basename(s.file))).toEqual(['train-images-idx3-ubyte', 't10k-images-idx3-ubyte.gz']);
    expect(ds.skipped[1].reason).toMatch(/^corrupt gzip data after \d records \(unexpected end of file\)$/);
    expect(warnings[0]).toMatch(/skipped 2 bad files/);

    const m = path.join(dir, 'mismatch');
    writeText(path.join(m, 'train-images-idx3-ubyte'), idx([2, 3, 4], pixels(2, 0)));
    writeText(path.join(m, 'train-labels-idx1-ubyte'), idx([3], [0, 1, 2]));
    expect(await failure(`idx:${m}`)).toBe(`${path.join(m, 'train-labels-idx1-ubyte')}: 3 labels for 2 images in train-images-idx3-ubyte`);
    writeText(path.join(m, 'train-labels-idx1-ubyte'), Buffer.from('PK\u0003\u0004 not idx'));
    expect(await failure(`idx:${m}`)).toBe(`${path.join(m, 'train-labels-idx1-ubyte')}: not an IDX file (bad magic number)`);

    expect(await failure(`idx:${dir}`)).toBe(`${dir}: no IDX files (expected train-images-idx3-ubyte[.gz] and train-labels-idx1-ubyte[.gz])`);
  });

  it('checks labels against the configured classes', async () => {
    const msg = await failure(`idx:${path.join(dir, 'small')}`, { classes: ['a', 'b'] });
    expect(msg).toBe(`${path.join(dir, 'small', 'train-labels-idx1-ubyte')}[2]: label 2 out of range (2 classes)`);
  });

  const FASHION = '/usr/share/datasets/fashion-mnist';
  (existsSync(FASHION) ? it : it.skip)('loads Fashion-MNIST as python (gzip + numpy) reads it', async () => {
    const ds = await loadDataset(`idx:${FASHION}`, { cacheDir });
    expect(ds.classes[0]).toBe('T-shirt/top');
    const stats = async (split: Split) => {
      const hist = new Array(10).fill(0);
      let sum = 0;
      let first: number[] | undefined;
      for await (const b of split.batches(1000)) {
        // No globals (Math) in this hot loop: they are slow inside jest's vm context.
        const x = b.x;
        for (let i = 0; i < x.length; i++) sum += (x[i] * 255 + 0.5) | 0;
        for (const l of b.y) hist[l]++;
        first ??= Array.from(b.x.subarray(0, 784), (v) => Math.round(v * 255));
      }
      return { hist, sum, first };
    };
    const test = await stats(ds.test!);
    const train = await stats(ds.train);
    const val = await stats(ds.val);
    const ref = python(
      `
import gzip, json, sys, numpy as np
def load(prefix):
    x = np.frombuffer(gzip.open(f'{sys.argv[1]}/{prefix}-images-idx3-ubyte.gz').read()[16:], np.uint8)
    y = np.frombuffer(gzip.open(f'{sys.argv[1]}/{prefix}-labels-idx1-ubyte.gz').read()[8:], np.uint8)
    return {'hist': np.bincount(y, minlength=10).tolist(), 'sum': int(x.astype(np.int64).sum()), 'first': x[:784].tolist()}
print(json.dumps({'train': load('train'), 'test': load('t10k')}))
`,
      [FASHION],
    ) as Record<'train' | 'test', { hist: number[]; sum: number; first: number[] }>;
    expect(test).toEqual(ref.test);
    expect(train.hist.map((h, i) => h + val.hist[i])).toEqual(ref.train.hist);
    expect(train.sum + val.sum).toBe(ref.train.sum);
    expect(val.hist).toEqual(Array(10).fill(600));
  });
});

