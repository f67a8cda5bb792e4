// Image modes and sizes: every image is converted to the dataset's shape, as torchvision and Keras do.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { DataError } from './errors';
import { loadDataset } from './load';
import { collect, python, PYTHON_PNG_DECODER, solid, tempDir, writeImage } from './spec-helpers';
import type { DataOptions } from './types';

let dir: string;
let cacheDir: string;
let cleanup: () => void;

beforeAll(() => {
  ({ dir, cleanup } = tempDir('modes'));
  cacheDir = path.join(dir, 'cache');
});
afterAll(() => cleanup());

/** A grey 28x28 pattern that differs per (class, index), like a Fashion-MNIST item. */
const pattern = (k: number) => (x: number, y: number) => (x * 9 + y * 5 + k * 31 + ((x * y) % 7) * 13) & 255;

async function load(root: string, opts: DataOptions = {}) {
  return loadDataset(`folder:${root}`, { cacheDir, valFraction: 0, warn: () => undefined, ...opts });
}

async function loadError(root: string, opts: DataOptions = {}): Promise<string> {
  try {
    await load(root, opts);
  } catch (e) {
    expect(e).toBeInstanceOf(DataError);
    expect((e as Error).message).not.toContain('\n');
    return (e as Error).message;
  }
  throw new Error(`loading ${root} did not fail`);
}

describe('image modes', () => {
  it('loads every file of a grey PNG/JPG/WebP folder as grey: WebP, which has no grey mode, is converted', async () => {
    const root = path.join(dir, 'grey');
    const files: string[] = [];
    for (const cls of ['coat', 'shirt']) {
      // Sorted file order starts with a .jpg, so no format decides the mode by sorting first.
      for (const [i, ext] of ['jpg', 'png', 'webp', 'jpg', 'png', 'webp'].entries()) {
        const file = path.join(root, cls, `${i}.${ext}`);
        // Lossy WebP is the case sharp decodes as RGB with a channel spread of 1.
        if (ext === 'webp' && i === 5) {
          const raw = Buffer.alloc(28 * 28);
          for (let p = 0; p < raw.length; p++) raw[p] = pattern(i)(p % 28, Math.floor(p / 28));
          await sharp(raw, { raw: { width: 28, height: 28, channels: 1 } }).webp({ quality: 80 }).toFile(file);
        } else {
          await writeImage(file, 28, 28, 1, pattern(i));
        }
        files.push(file);
      }
    }
    const ds = await load(root);
    expect(ds.skipped).toEqual([]);
    expect(ds.shape).toEqual([28, 28, 1]);
    expect(ds.train.size).toBe(12);
    expect(ds.conversions).toEqual({ greyToRgb: 0, colourToGrey: 4, alphaDropped: 0, resized: 0 });
    // PNG and lossless WebP (files 1, 2, 4) come back exactly; lossy JPG/WebP close to the pattern.
    const { x, y } = await collect(ds.train, 12);
    for (let s = 0; s < 12; s++) {
      const i = s % 6;
      const want = Array.from({ length: 28 * 28 }, (_, p) => pattern(i)(p % 28, Math.floor(p / 28)));
      const got = x[s].map((v) => Math.round(v * 255));
      const worst = Math.max(...got.map((v, p) => Math.abs(v - want[p])));
      expect([ds.classes[y[s][0]], i, worst <= ([1, 2, 4].includes(i) ? 0 : 40)]).toEqual([s < 6 ? 'coat' : 'shirt', i, true]);
    }
  });

  it('makes the dataset RGB when one image has colour pixels, replicating the grey ones', async () => {
    const root = path.join(dir, 'one-colour');
    await writeImage(path.join(root, 'a', '0.png'), 6, 6, 1, pattern(1));
    await writeImage(path.join(root, 'a', '1.webp'), 6, 6, 1, pattern(2));
    // An RGB file whose pixels are grey does not decide it; the colour one does.
    await writeImage(path.join(root, 'b', '0.png'), 6, 6, 3, (x, y) => pattern(3)(x, y));
    await writeImage(path.join(root, 'b', '1.png'), 6, 6, 3, solid([200, 30, 90]));
    const ds = await load(root);
    expect(ds.shape).toEqual([6, 6, 3]);
    expect(ds.conversions).toEqual({ greyToRgb: 1, colourToGrey: 0, alphaDropped: 0, resized: 0 });
    const { x } = await collect(ds.train, 4);
    const px = (s: number, p: number) => x[s].slice(p * 3, p * 3 + 3).map((v) => Math.round(v * 255));
    expect(px(0, 7)).toEqual(Array(3).fill(pattern(1)(1, 1)));
    expect(px(3, 7)).toEqual([200, 30, 90]);

    // Without the colour file the same folder is grey.
    const { cleanup: done, dir: d } = tempDir('grey-rgb');
    try {
      await writeImage(path.join(d, 'a', '0.png'), 6, 6, 1, pattern(1));
      await writeImage(path.join(d, 'b', '0.png'), 6, 6, 3, (xx, yy) => pattern(3)(xx, yy));
      expect((await load(d)).shape).toEqual([6, 6, 1]);
    } finally {
      done();
    }
  });

  it('makes RGB and RGBA grey with ITU-R 601 luma, alpha dropped, as numpy computes it from an independent PNG decode', async () => {
    const root = path.join(dir, 'luma');
    const noise = (x: number, y: number, c: number) => (x * 97 + y * 57 + c * 101 + ((x * y * (c + 3)) % 23) * 7) & 255;
    await writeImage(path.join(root, 'a', 'rgb.png'), 16, 16, 3, noise);
    await writeImage(path.join(root, 'b', 'rgba.png'), 16, 16, 4, (x, y, c) => noise(y, x, c));
    const ds = await load(root, { shape: [16, 16, 1] });
    expect(ds.conversions).toEqual({ greyToRgb: 0, colourToGrey: 2, alphaDropped: 1, resized: 0 });
    const ours = (await collect(ds.train, 2)).x.map((x) => x.map((v) => Math.round(v * 255)));
    const theirs = python(
      `${PYTHON_PNG_DECODER}
import numpy as np
out = []
for p in sys.argv[1:]:
    rgb = np.array(decode(p), dtype=np.float64).reshape(-1, 3)
    out.append((rgb @ np.array([0.299, 0.587, 0.114])).tolist())
print(json.dumps(out))`,
      [path.join(root, 'a', 'rgb.png'), path.join(root, 'b', 'rgba.png')],
    ) as number[][];
    let exact = 0;
    for (let s = 0; s < 2; s++) {
      for (let p = 0; p < 256; p++) {
        const l = theirs[s][p];
        // PIL's fixed-point weights (19595, 38470, 7471) / 2^16 move L by < 0.003: only values that close to .5 may round the other way.
        if (Math.abs((l % 1) - 0.5) > 0.005) {
          expect([s, p, ours[s][p]]).toEqual([s, p, Math.round(l)]);
          exact++;
        } else {
          expect(Math.abs(ours[s][p] - l)).toBeLessThanOrEqual(0.51);
        }
      }
    }
    expect(exact).toBeGreaterThan(480); // of 512: the window is not hiding the comparison
  });
});

describe('image sizes', () => {
  it('takes the size of most images, resizes the others and says so', async () => {
    const root = path.join(dir, 'sizes');
    for (let i = 0; i < 4; i++) await writeImage(path.join(root, 'a', `${i}.png`), 12, 10, 1, pattern(i));
    for (let i = 0; i < 3; i++) await writeImage(path.join(root, 'b', `${i}.png`), 12, 10, 1, pattern(i + 4));
    // Sorts first, and is huge: it must not decide the size.
    await writeImage(path.join(root, 'a', '!big.png'), 900, 800, 1, pattern(9));
    const warnings: string[] = [];
    const ds = await load(root, { warn: (m) => warnings.push(m) });
    expect(ds.shape).toEqual([10, 12, 1]);
    expect(ds.train.size).toBe(8);
    expect(ds.conversions.resized).toBe(1);
    expect(warnings).toEqual([`folder:${root}: most images are 12x10, so that is the dataset's size; 1 image of other sizes is resized to it (set data option 'shape' to choose)`]);
    // From the cache, the same.
    const again: string[] = [];
    const hit = await load(root, { warn: (m) => again.push(m) });
    expect(hit.cache.hit).toBe(true);
    expect(again).toEqual(warnings);
    // An explicit shape resizes without a warning.
    const given: string[] = [];
    expect((await load(root, { shape: [5, 6, 1], warn: (m) => given.push(m) })).conversions.resized).toBe(8);
    expect(given).toEqual([]);
  });

  it('requires shape when no size is the size of most images', async () => {
    const root = path.join(dir, 'no-majority');
    await writeImage(path.join(root, 'a', '0.png'), 12, 10, 1, pattern(0));
    await writeImage(path.join(root, 'a', '1.png'), 12, 10, 1, pattern(1));
    await writeImage(path.join(root, 'b', '0.png'), 8, 8, 1, pattern(2));
    await writeImage(path.join(root, 'b', '1.png'), 8, 8, 1, pattern(3));
    expect(await loadError(root)).toBe(
      `${root}: image sizes differ and none is the size of most images (4 images in 2 sizes: 12x10 (2), 8x8 (2)); set data option 'shape' [H, W, C] to resize them all`,
    );
    expect((await load(root, { shape: [8, 8, 1] })).train.size).toBe(4);
  });

  it('refuses shapes whose images would not fit in memory, naming the option and the limit', async () => {
    const root = path.join(dir, 'sizes');
    expect(await loadError(root, { shape: [100000, 100000, 1] })).toBe(
      "data option 'shape': [100000, 100000, 1] is 10000000000 values per image, more than the limit of 50331648 (4096x4096x3)",
    );
    // An IDX file that claims 100000 x 100000 images.
    const idx = path.join(dir, 'huge-idx');
    const header = (dims: number[]) => {
      const b = Buffer.alloc(4 + 4 * dims.length);
      b.writeUInt32BE(0x0800 + dims.length, 0);
      dims.forEach((d, i) => b.writeUInt32BE(d, 4 + 4 * i));
      return b;
    };
    mkdirSync(idx, { recursive: true });
    writeFileSync(path.join(idx, 'train-images-idx3-ubyte'), header([1, 100000, 100000]));
    writeFileSync(path.join(idx, 'train-labels-idx1-ubyte'), Buffer.concat([header([1]), Buffer.from([0])]));
    await expect(loadDataset(`idx:${idx}`, { cacheDir })).rejects.toThrow(
      `${path.join(idx, 'train-images-idx3-ubyte')}: images of shape [100000, 100000, 1] is 10000000000 values per image, more than the limit of 50331648 (4096x4096x3)`,
    );
  });
});
