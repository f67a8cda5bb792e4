import { readFileSync } from 'node:fs';
import path from 'node:path';
import { toChannels } from './decode';
import { loadDataset } from './load';
import { collect, tempDir } from './spec-helpers';

let dir: string;
let cleanup: () => void;
beforeAll(() => ({ dir, cleanup } = tempDir('builtin')));
afterAll(() => cleanup());

describe('builtin:mnist', () => {
  it('serves the digits of the mnist package, every sample once, labelled by its file', async () => {
    const ds = await loadDataset('builtin:mnist', { cacheDir: dir });
    expect(ds.classes).toEqual(['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
    expect(ds.shape).toEqual([28, 28, 1]);
    const digits = path.join(path.dirname(require.resolve('mnist/package.json')), 'src', 'digits');
    // Per class: sample count and sum of round(v * 255), read straight from the package's JSON.
    const want = Array.from({ length: 10 }, (_, d) => {
      const data = (JSON.parse(readFileSync(path.join(digits, `${d}.json`), 'utf8')) as { data: number[] }).data;
      let sum = 0;
      for (let i = 0; i < data.length; i++) sum += (data[i] * 255 + 0.5) | 0;
      return { n: data.length / 784, sum };
    });
    const got = Array.from({ length: 10 }, () => ({ n: 0, sum: 0 }));
    for (const split of [ds.train, ds.val]) {
      for await (const b of split.batches(500)) {
        const x = b.x;
        for (let s = 0; s < b.n; s++) {
          const g = got[b.y[s]];
          g.n++;
          for (let i = s * 784; i < (s + 1) * 784; i++) g.sum += (x[i] * 255 + 0.5) | 0;
        }
      }
    }
    expect(got).toEqual(want);
    expect(ds.val.size).toBe(Math.round(0.1 * (ds.train.size + ds.val.size)));
  });
});

describe('builtin:shapes', () => {
  it('is deterministic: the same cache bytes from scratch, and larger counts extend smaller ones', async () => {
    const a = await loadDataset('builtin:shapes?count=12&seed=4', { cacheDir: path.join(dir, 'a'), shape: [24, 32, 3] });
    const b = await loadDataset('builtin:shapes?count=12&seed=4', { cacheDir: path.join(dir, 'b'), shape: [24, 32, 3] });
    expect(readFileSync(a.cache.file)).toEqual(readFileSync(b.cache.file));
    const small = await collect((await loadDataset('builtin:shapes?count=5&seed=4', { cacheDir: dir, valFraction: 0, shape: [24, 32, 3] })).train, 5);
    const large = await collect((await loadDataset('builtin:shapes?count=9&seed=4', { cacheDir: dir, valFraction: 0, shape: [24, 32, 3] })).train, 9);
    expect(large.x.slice(0, 5)).toEqual(small.x);
    expect(large.y.slice(0, 5)).toEqual(small.y);
    const other = await collect((await loadDataset('builtin:shapes?count=5&seed=5', { cacheDir: dir, valFraction: 0, shape: [24, 32, 3] })).train, 5);
    expect(other.y).not.toEqual(small.y);
  });

  it('has every shape class, a visible foreground in every image, and grey = luma of RGB', async () => {
    const ds = await loadDataset('builtin:shapes?count=40', { cacheDir: dir, valFraction: 0 });
    expect(ds.task).toBe('segmentation');
    expect(ds.shape).toEqual([64, 64, 3]);
    expect(ds.classes).toEqual(['background', 'circle', 'square', 'triangle']);
    const counts = ds.counts.train!;
    expect(counts.background).toBe(40);
    for (const c of ['circle', 'square', 'triangle']) expect(counts[c]).toBeGreaterThan(5);
    const rgb = await collect(ds.train, 40);
    for (const m of rgb.y) {
      const fg = m.filter((v) => v > 0).length / m.length;
      expect(fg).toBeGreaterThan(0.01);
      expect(fg).toBeLessThan(0.95);
    }
    const grey = await collect((await loadDataset('builtin:shapes?count=40', { cacheDir: dir, valFraction: 0, shape: [64, 64, 1] })).train, 40);
    expect(grey.y).toEqual(rgb.y);
    const u8 = (x: number[]) => Uint8Array.from(x, (v) => Math.round(v * 255));
    expect(Array.from(u8(grey.x[7]))).toEqual(Array.from(toChannels(u8(rgb.x[7]), 3, 1)));
  });
});
