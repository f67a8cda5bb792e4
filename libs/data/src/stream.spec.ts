import { readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { DataError } from './errors';
import { loadDataset } from './load';
import { collect, tempDir } from './spec-helpers';

let dir: string;
let cleanup: () => void;
beforeAll(() => ({ dir, cleanup } = tempDir('stream')));
afterAll(() => cleanup());

const openFds = () => readdirSync('/proc/self/fd').length;

describe('streaming splits', () => {
  it('closes the cache file when the consumer stops early, and reads the same data again', async () => {
    const ds = await loadDataset('builtin:shapes?count=30', { cacheDir: dir, shape: [16, 16, 3] });
    const full = await collect(ds.train, 4, 9);
    const before = openFds();
    const firstTwo: number[][] = [];
    for await (const b of ds.train.batches(4, { shuffleSeed: 9 })) {
      firstTwo.push(Array.from(b.y.subarray(0, 256)));
      if (firstTwo.length === 2) break;
    }
    expect(openFds()).toBe(before);
    expect(firstTwo).toEqual([full.y[0], full.y[4]]);
  });

  it('segmentation batches carry n*H*W class ids and n*H*W*C pixels', async () => {
    const ds = await loadDataset('builtin:shapes?count=10', { cacheDir: dir, shape: [8, 12, 1], valFraction: 0 });
    const sizes: number[][] = [];
    for await (const b of ds.train.batches(4)) sizes.push([b.n, b.x.length, b.y.length]);
    expect(sizes).toEqual([
      [4, 4 * 96, 4 * 96],
      [4, 4 * 96, 4 * 96],
      [2, 2 * 96, 2 * 96],
    ]);
  });

  it('rejects a bad batch size and yields nothing for an empty split', async () => {
    const ds = await loadDataset('builtin:shapes?count=10', { cacheDir: dir, shape: [8, 8, 3], valFraction: 0 });
    await expect(collect(ds.train, 0)).rejects.toThrow(DataError);
    expect(ds.val.size).toBe(0);
    expect((await collect(ds.val, 3)).sizes).toEqual([]);
  });

  it('rebuilds a damaged cache instead of reading garbage', async () => {
    const ds = await loadDataset('builtin:shapes?count=6', { cacheDir: dir, shape: [8, 8, 3] });
    writeFileSync(ds.cache.file, 'garbage');
    const again = await loadDataset('builtin:shapes?count=6', { cacheDir: dir, shape: [8, 8, 3] });
    expect(again.cache).toEqual({ file: ds.cache.file, hit: false });
    expect(await collect(again.train, 6)).toEqual(await collect(ds.train, 6));
    expect(readdirSync(dir).filter((f) => f.includes('.tmp-'))).toEqual([]);
    expect(path.dirname(again.cache.file)).toBe(dir);
  });
});
