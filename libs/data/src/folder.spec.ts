import { utimesSync } from 'node:fs';
import path from 'node:path';
import { loadDataset } from './load';
import { collect, firstBatch, python, PYTHON_PNG_DECODER, solid, tempDir, writeImage, writeText } from './spec-helpers';
import type { Progress } from './types';

// Three classes, six images each, every image one solid colour that encodes (class, index).
const COLOURS: Record<string, number[]> = { bird: [200, 10, 10], cat: [10, 200, 10], dog: [10, 10, 200] };
const colourOf = (cls: string, i: number) => COLOURS[cls].map((v) => v + i * 5);

let dir: string;
let cacheDir: string;
let cleanup: () => void;

beforeAll(async () => {
  ({ dir, cleanup } = tempDir('folder'));
  cacheDir = path.join(dir, 'cache');
  for (const cls of Object.keys(COLOURS)) {
    for (let i = 0; i < 6; i++) {
      // Lossless formats only here, so every pixel is exact; one webp per class.
      await writeImage(path.join(dir, 'flat', cls, `${i}.${i === 5 ? 'webp' : 'png'}`), 12, 10, 3, solid(colourOf(cls, i)));
    }
    writeText(path.join(dir, 'flat', cls, 'notes.txt'), 'not an image');
  }
});
afterAll(() => cleanup());

describe('folder:', () => {
  it('infers classes and shape, and decodes exactly', async () => {
    const ds = await loadDataset(`folder:${path.join(dir, 'flat')}`, { cacheDir, valFraction: 0.2 });
    expect(ds.task).toBe('classification');
    expect(ds.classes).toEqual(['bird', 'cat', 'dog']);
    expect(ds.shape).toEqual([10, 12, 3]);
    expect(ds.train.size + ds.val.size).toBe(18);
    expect(ds.val.size).toBe(4); // round(0.2 * 18), stratified 2/1/1
    expect(ds.counts.val).toEqual({ bird: 2, cat: 1, dog: 1 });
    expect(ds.counts.train).toEqual({ bird: 4, cat: 5, dog: 5 });
    expect(ds.test).toBeUndefined();
    expect(ds.skipped).toEqual([]);
    const all = await collect(ds.train, 5);
    expect(all.sizes).toEqual([5, 5, 4]);
    const seen = new Set<string>();
    for (let s = 0; s < all.x.length; s++) {
      const cls = ds.classes[all.y[s][0]];
      const px = all.x[s].slice(0, 3).map((v) => Math.round(v * 255));
      const i = (px[0] + px[1] + px[2] - 220) / 15;
      expect(px).toEqual(colourOf(cls, i));
      // Every pixel of the sample is that colour, as float32(v / 255).
      for (let k = 0; k < all.x[s].length; k++) expect(all.x[s][k]).toBe(Math.fround(colourOf(cls, i)[k % 3] / 255));
      seen.add(`${cls}${i}`);
    }
    expect(seen.size).toBe(14);
  });

  it('shuffles deterministically per seed, each sample once per epoch', async () => {
    const ds = await loadDataset(`folder:${path.join(dir, 'flat')}`, { cacheDir });
    const plain = await collect(ds.train, 4);
    const a = await collect(ds.train, 4, 1);
    const b = await collect(ds.train, 4, 1);
    const c = await collect(ds.train, 4, 2);
    expect(a).toEqual(b);
    expect(a.y).not.toEqual(c.y);
    expect(a.y).not.toEqual(plain.y);
    const key = (r: { x: number[][] }) => r.x.map((x) => x.slice(0, 3).join()).sort();
    expect(key(a)).toEqual(key(plain));
    expect(key(c)).toEqual(key(plain));
  });

  it('normalises per channel', async () => {
    const mean = [0.5, 0.4, 0.3];
    const std = [0.2, 0.25, 0.5];
    const ds = await loadDataset(`folder:${path.join(dir, 'flat')}`, { cacheDir, normalize: { mean, std } });
    expect(ds.normalize).toEqual({ mean, std });
    const plain = await firstBatch((await loadDataset(`folder:${path.join(dir, 'flat')}`, { cacheDir })).train, 3);
    const b = await firstBatch(ds.train, 3);
    for (let i = 0; i < b.x.length; i++) expect(b.x[i]).toBeCloseTo((plain.x[i] - mean[i % 3]) / std[i % 3], 5);
  });

  it('reuses the cache until a file changes, whatever the split options', async () => {
    const { dir: d, cleanup: done } = tempDir('cache');
    try {
      for (const cls of ['a', 'b']) for (let i = 0; i < 3; i++) await writeImage(path.join(d, 'data', cls, `${i}.png`), 4, 4, 1, solid([i * 40]));
      const spec = `folder:${path.join(d, 'data')}`;
      const progress: Progress[] = [];
      const first = await loadDataset(spec, { cacheDir: d, onProgress: (p) => progress.push(p) });
      expect(first.cache.hit).toBe(false);
      expect(progress.at(-1)).toEqual({ phase: 'decode', done: 6, total: 6 });
      progress.length = 0;
      const again = await loadDataset(spec, { cacheDir: d, seed: 3, valFraction: 0.5, limit: { train: 2 }, onProgress: (p) => progress.push(p) });
      expect(again.cache).toEqual({ file: first.cache.file, hit: true });
      expect(again.train.size).toBe(2);
      expect(progress).toEqual([]);
      // A new mtime, a new file, or another shape: decode again.
      utimesSync(path.join(d, 'data', 'a', '1.png'), new Date(), new Date(Date.now() + 5000));
      expect((await loadDataset(spec, { cacheDir: d })).cache.hit).toBe(false);
      await writeImage(path.join(d, 'data', 'b', '3.png'), 4, 4, 1, solid([9]));
      const grown = await loadDataset(spec, { cacheDir: d, valFraction: 0 });
      expect(grown.cache.hit).toBe(false);
      expect(grown.train.size).toBe(7);
      expect((await loadDataset(spec, { cacheDir: d, shape: [2, 2, 1] })).cache.hit).toBe(false);
      expect((await loadDataset(spec, { cacheDir: d, shape: [2, 2, 1] })).cache.hit).toBe(true);
    } finally {
      done();
    }
  });

  it('reads train/ val/ test/ subfolders, resizes, and converts colour to grey like PIL when C = 1 is asked for', async () => {
    const root = path.join(dir, 'parts');
    await writeImage(path.join(root, 'train', 'x', '0.png'), 8, 8, 3, solid([255, 0, 0]));
    await writeImage(path.join(root, 'train', 'x', '1.png'), 6, 9, 3, solid([0, 255, 0]));
    await writeImage(path.join(root, 'train', 'y', '0.png'), 8, 8, 3, solid([0, 0, 255]));
    await writeImage(path.join(root, 'val', 'y', '0.png'), 8, 8, 1, solid([77]));
    await writeImage(path.join(root, 'test', 'x', '0.jpg'), 20, 20, 3, solid([100, 100, 100]));
    const ds = await loadDataset(`folder:${root}`, { cacheDir, shape: [4, 5, 1] });
    expect(ds.shape).toEqual([4, 5, 1]);
    expect(ds.counts).toEqual({ train: { x: 2, y: 1 }, val: { x: 0, y: 1 }, test: { x: 1, y: 0 } });
    const train = await collect(ds.train, 10);
    // What PIL 9.4 Image.convert('L') gives for pure red, green and blue.
    expect(train.x.map((x) => Math.round(x[0] * 255))).toEqual([76, 150, 29]);
    for (const x of train.x) expect(new Set(x).size).toBe(1);
    expect((await collect(ds.val, 1)).x[0].map((v) => Math.round(v * 255))).toEqual(Array(20).fill(77));
    const test = (await collect(ds.test!, 1)).x[0].map((v) => v * 255);
    for (const v of test) expect(Math.abs(v - 100)).toBeLessThanOrEqual(2);
  });

  it('replicates grey images into RGB datasets', async () => {
    const root = path.join(dir, 'mixed');
    await writeImage(path.join(root, 'a', '0.png'), 3, 3, 3, solid([10, 120, 200]));
    await writeImage(path.join(root, 'a', '1.png'), 3, 3, 1, (x, y) => x * 10 + y);
    await writeImage(path.join(root, 'b', '0.png'), 3, 3, 1, solid([9]));
    const ds = await loadDataset(`folder:${root}`, { cacheDir, valFraction: 0 });
    expect(ds.shape).toEqual([3, 3, 3]);
    expect(ds.conversions).toEqual({ greyToRgb: 2, colourToGrey: 0, alphaDropped: 0, resized: 0 });
    const { x } = await collect(ds.train, 3);
    const expected: number[] = [];
    for (let y = 0; y < 3; y++) for (let x = 0; x < 3; x++) expected.push(x * 10 + y, x * 10 + y, x * 10 + y);
    expect(x[1].map((v) => Math.round(v * 255))).toEqual(expected);
  });

  it('decodes PNG pixels exactly as an independent decoder (python zlib) does', async () => {
    const root = path.join(dir, 'xcheck');
    const noise = (x: number, y: number, c: number) => (x * 73 + y * 151 + c * 29 + ((x * y) % 17) * 11) & 255;
    await writeImage(path.join(root, 'a', 'rgb.png'), 13, 7, 3, noise);
    await writeImage(path.join(root, 'b', 'rgba.png'), 13, 7, 4, noise);
    const ds = await loadDataset(`folder:${root}`, { cacheDir, valFraction: 0 });
    const ours = (await collect(ds.train, 2)).x.map((x) => x.map((v) => Math.round(v * 255)));
    const theirs = python(`${PYTHON_PNG_DECODER}\nprint(json.dumps([list(decode(p)) for p in sys.argv[1:]]))`, [path.join(root, 'a', 'rgb.png'), path.join(root, 'b', 'rgba.png')]) as number[][];
    expect(ours).toEqual(theirs);
  });
});
