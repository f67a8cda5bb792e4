import path from 'node:path';
import { DataError } from './errors';
import { loadDataset } from './load';
import { collect, tempDir, writeImage, writeText } from './spec-helpers';

let dir: string;
let cacheDir: string;
let cleanup: () => void;

// Mask of image k: class 1 on the left half, class 2 (or 0 for k = 0) on the right half, class 0 on the top row.
const maskId = (k: number) => (x: number, y: number) => (y === 0 ? 0 : x < 4 ? 1 : k === 0 ? 0 : 2);
const imagePx = (k: number) => (x: number, y: number, c: number) => (x * 20 + y * 3 + c * 50 + k) & 255;
const PALETTE: [number, number, number][] = [
  [0, 0, 0],
  [255, 0, 0],
  [0, 128, 255],
];

beforeAll(async () => {
  ({ dir, cleanup } = tempDir('seg'));
  cacheDir = path.join(dir, 'cache');
  for (let k = 0; k < 3; k++) {
    await writeImage(path.join(dir, 'idx', 'images', `s${k}.png`), 8, 8, 3, imagePx(k));
    await writeImage(path.join(dir, 'idx', 'masks', `s${k}.png`), 8, 8, 1, maskId(k));
    await writeImage(path.join(dir, 'pal', 'images', `s${k}.jpg`), 8, 8, 3, imagePx(k));
    await writeImage(path.join(dir, 'pal', 'masks', `s${k}.png`), 8, 8, 3, (x, y, c) => PALETTE[maskId(k)(x, y)][c]);
  }
  writeText(path.join(dir, 'idx', 'classes.txt'), 'sky\nroad\ncar\n');
});
afterAll(() => cleanup());

describe('seg:', () => {
  it('pairs images with index masks by stem; y is the mask', async () => {
    const ds = await loadDataset(`seg:${path.join(dir, 'idx')}`, { cacheDir, valFraction: 0 });
    expect(ds.task).toBe('segmentation');
    expect(ds.classes).toEqual(['sky', 'road', 'car']);
    expect(ds.shape).toEqual([8, 8, 3]);
    expect(ds.counts.train).toEqual({ sky: 3, road: 3, car: 2 });
    const { x, y } = await collect(ds.train, 2);
    for (let k = 0; k < 3; k++) {
      const wantY: number[] = [];
      const wantX: number[] = [];
      for (let yy = 0; yy < 8; yy++) {
        for (let xx = 0; xx < 8; xx++) {
          wantY.push(maskId(k)(xx, yy));
          for (let c = 0; c < 3; c++) wantX.push(imagePx(k)(xx, yy, c));
        }
      }
      expect(y[k]).toEqual(wantY);
      expect(x[k].map((v) => Math.round(v * 255))).toEqual(wantX);
    }
  });

  it('resizes masks nearest-neighbour: no class id is invented', async () => {
    const ds = await loadDataset(`seg:${path.join(dir, 'idx')}`, { cacheDir, valFraction: 0, shape: [4, 4, 1] });
    const { x, y } = await collect(ds.train, 3);
    expect(x[1]).toHaveLength(16);
    // 8x8 -> 4x4: the left two columns are class 1, the right two class 2, except the top row's share.
    for (let r = 1; r < 4; r++) expect(y[1].slice(r * 4, r * 4 + 4)).toEqual([1, 1, 2, 2]);
    for (const m of y) for (const v of m) expect([0, 1, 2]).toContain(v);
  });

  it('maps colour masks through a palette', async () => {
    const ds = await loadDataset(`seg:${path.join(dir, 'pal')}`, { cacheDir, valFraction: 0, palette: PALETTE, classes: ['bg', 'a', 'b'] });
    const ref = await loadDataset(`seg:${path.join(dir, 'idx')}`, { cacheDir, valFraction: 0 });
    expect(ds.classes).toEqual(['bg', 'a', 'b']);
    expect((await collect(ds.train, 3)).y).toEqual((await collect(ref.train, 3)).y);
    const e = await loadDataset(`seg:${path.join(dir, 'pal')}`, { cacheDir, palette: PALETTE.slice(0, 2) }).catch((err: Error) => err);
    expect(e).toBeInstanceOf(DataError);
    expect((e as Error).message).toBe(`${path.join(dir, 'pal', 'masks', 's1.png')}: colour #0080ff at (4, 1) is not in the palette`);
  });

  it('reports bad masks, naming the file, and skips them on request', async () => {
    const r = path.join(dir, 'bad');
    const ok = async (stem: string) => {
      await writeImage(path.join(r, 'images', `${stem}.png`), 8, 8, 3, imagePx(0));
      await writeImage(path.join(r, 'masks', `${stem}.png`), 8, 8, 1, maskId(0));
    };
    await ok('a_ok');
    await writeImage(path.join(r, 'images', 'b_size.png'), 8, 8, 3, imagePx(0));
    await writeImage(path.join(r, 'masks', 'b_size.png'), 6, 8, 1, () => 1);
    await writeImage(path.join(r, 'images', 'c_range.png'), 8, 8, 3, imagePx(0));
    await writeImage(path.join(r, 'masks', 'c_range.png'), 8, 8, 1, (x, y) => (x === 3 && y === 2 ? 7 : 1));
    await writeImage(path.join(r, 'images', 'd_nomask.png'), 8, 8, 3, imagePx(0));
    await writeImage(path.join(r, 'images', 'e_colour.png'), 8, 8, 3, imagePx(0));
    await writeImage(path.join(r, 'masks', 'e_colour.png'), 8, 8, 3, (_x, _y, c) => (c === 0 ? 1 : 0));
    writeText(path.join(r, 'classes.txt'), 'bg\nfg\nother\n');
    const message = async () => ((await loadDataset(`seg:${r}`, { cacheDir }).catch((e: Error) => e)) as Error).message;
    expect(await message()).toBe(`${path.join(r, 'images', 'd_nomask.png')}: no mask masks/d_nomask.png`);
    const warnings: string[] = [];
    const ds = await loadDataset(`seg:${r}`, { cacheDir, onBadFile: 'skip', valFraction: 0, warn: (w) => warnings.push(w) });
    expect(ds.train.size).toBe(1);
    expect(Object.fromEntries(ds.skipped.map((s) => [path.relative(r, s.file), s.reason]))).toEqual({
      'images/d_nomask.png': 'no mask masks/d_nomask.png',
      'masks/b_size.png': 'mask is 6x8 but its image is 8x8',
      'masks/c_range.png': 'label 7 out of range (3 classes) at (3, 2)',
      'masks/e_colour.png': 'wrong channel count: colour mask without a palette (index masks have one channel)',
    });
    expect(warnings[0]).toMatch(/skipped 4 bad files/);
  });

  it('requires images/ and masks/', async () => {
    const r = path.join(dir, 'nomasks');
    await writeImage(path.join(r, 'images', 'a.png'), 4, 4, 3, imagePx(0));
    const e = await loadDataset(`seg:${r}`, { cacheDir }).catch((err: Error) => err);
    expect(e).toBeInstanceOf(DataError);
    expect((e as Error).message).toBe(`${path.join(r, 'masks')}: folder not found`);
  });
});
