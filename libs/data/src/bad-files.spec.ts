import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { DataError } from './errors';
import { loadDataset } from './load';
import { solid, tempDir, writeImage, writeText } from './spec-helpers';
import type { DataOptions } from './types';

let dir: string;
let cacheDir: string;
let cleanup: () => void;
let root: string;

beforeAll(async () => {
  ({ dir, cleanup } = tempDir('bad'));
  cacheDir = path.join(dir, 'cache');
  root = path.join(dir, 'pets');
  for (const cls of ['cat', 'dog']) for (let i = 0; i < 4; i++) await writeImage(path.join(root, cls, `${i}.png`), 8, 8, 3, solid([i * 10, 50, 90]));
  writeText(path.join(root, 'cat', 'junk.png'), 'this is not a png');
  writeText(path.join(root, 'cat', 'empty.jpg'), '');
  await writeImage(path.join(dir, 'tmp', 'big.png'), 64, 64, 3, (x, y, c) => (x * y + c * 7) & 255);
  const png = readFileSync(path.join(dir, 'tmp', 'big.png'));
  writeFileSync(path.join(root, 'dog', 'truncated.png'), png.subarray(0, Math.floor(png.length / 2)));
  await writeImage(path.join(dir, 'tmp', 'big.jpg'), 64, 64, 3, (x, y, c) => (x * y + c * 7) & 255);
  const jpg = readFileSync(path.join(dir, 'tmp', 'big.jpg'));
  writeFileSync(path.join(root, 'dog', 'truncated.jpg'), jpg.subarray(0, Math.floor(jpg.length * 0.6)));
  writeText(path.join(root, 'fish', 'readme.txt'), 'no images here');
});
afterAll(() => cleanup());

async function loadError(spec: string, opts: DataOptions = {}): Promise<DataError> {
  try {
    await loadDataset(spec, { cacheDir, ...opts });
  } catch (e) {
    expect(e).toBeInstanceOf(DataError);
    expect((e as DataError).userError).toBe(true);
    expect((e as Error).message).not.toContain('\n');
    return e as DataError;
  }
  throw new Error(`loading ${spec} did not fail`);
}

describe('bad input', () => {
  it('fails on the first bad file by default, naming it', async () => {
    const e = await loadError(`folder:${root}`);
    // Files decode in sorted order; the scan-time problems (empty class) come first.
    expect(e.message).toBe(`${path.join(root, 'fish')}: empty class: no .png, .jpg, .jpeg, .webp files`);
  });

  it("with onBadFile 'skip' loads the rest and warns with the list and count", async () => {
    const warnings: string[] = [];
    const ds = await loadDataset(`folder:${root}`, { cacheDir, onBadFile: 'skip', valFraction: 0, warn: (m) => warnings.push(m) });
    expect(ds.classes).toEqual(['cat', 'dog', 'fish']);
    expect(ds.counts.train).toEqual({ cat: 4, dog: 4, fish: 0 });
    expect(ds.skipped.map((s) => path.relative(root, s.file))).toEqual(['fish', 'cat/empty.jpg', 'cat/junk.png', 'dog/truncated.jpg', 'dog/truncated.png']);
    const reasons = Object.fromEntries(ds.skipped.map((s) => [path.relative(root, s.file), s.reason]));
    expect(reasons['cat/junk.png']).toBe('not an image in a supported format (png, jpg, webp)');
    expect(reasons['cat/empty.jpg']).toBe('empty file');
    expect(reasons['dog/truncated.png']).toBe('truncated PNG (no IEND chunk)');
    expect(reasons['dog/truncated.jpg']).toBe('truncated JPEG (no end-of-image marker)');
    expect(warnings).toHaveLength(1);
    expect(warnings[0].split('\n')[0]).toBe(`folder:${root}: skipped 5 bad files:`);
    expect(warnings[0]).toContain(`\n  ${path.join(root, 'dog', 'truncated.png')}: truncated PNG (no IEND chunk)`);
  });

  it("still fails with 'error' when the cache was built with 'skip'", async () => {
    await loadDataset(`folder:${root}`, { cacheDir, onBadFile: 'skip', warn: () => undefined });
    const e = await loadError(`folder:${root}`);
    expect(e.message).toMatch(/fish: empty class/);
  });

  it('rejects a colour image in a dataset whose first image is grey', async () => {
    const r = path.join(dir, 'channels');
    await writeImage(path.join(r, 'a', '0.png'), 4, 4, 1, solid([3]));
    await writeImage(path.join(r, 'a', '1.png'), 4, 4, 3, solid([3, 4, 5]));
    const e = await loadError(`folder:${r}`);
    expect(e.message).toBe(`${path.join(r, 'a', '1.png')}: wrong channel count: colour image in a greyscale dataset (set shape [H, W, 1] to convert colour to grey)`);
  });

  it('rejects a val class that train does not have, and a missing folder', async () => {
    const r = path.join(dir, 'split');
    await writeImage(path.join(r, 'train', 'a', '0.png'), 4, 4, 3, solid([1, 2, 3]));
    await writeImage(path.join(r, 'val', 'b', '0.png'), 4, 4, 3, solid([1, 2, 3]));
    expect((await loadError(`folder:${r}`)).message).toBe(`${path.join(r, 'val', 'b')}: class 'b' is not in train/`);
    expect((await loadError(`folder:${path.join(dir, 'nope')}`)).message).toBe(`${path.join(dir, 'nope')}: folder not found`);
    expect((await loadError(`folder:${path.join(dir, 'tmp')}`)).message).toBe(`${path.join(dir, 'tmp')}: no class folders (expected <class>/*.png|*.jpg|*.jpeg|*.webp)`);
  });

  it('rejects bad specs and options, naming them', async () => {
    expect((await loadError('images/cats')).message).toMatch(/^dataset 'images\/cats': unknown kind; expected folder:<dir>/);
    expect((await loadError('folder:')).message).toBe(`dataset 'folder:': missing path (expected folder:<dir>)`);
    expect((await loadError('builtin:cifar')).message).toMatch(/unknown built-in 'cifar'/);
    expect((await loadError('builtin:shapes?count=0')).message).toBe(`builtin:shapes?count=0: 'count' must be an integer >= 1, got '0'`);
    expect((await loadError('builtin:shapes?size=3')).message).toMatch(/unknown parameter 'size'/);
    expect((await loadError(`folder:${root}`, { shape: [8, 8, 2] as never })).message).toMatch(/^data option 'shape': expected \[H, W, C\]/);
    expect((await loadError(`folder:${root}`, { valFraction: 1 })).message).toBe(`data option 'valFraction': expected a number in [0, 1), got 1`);
    expect((await loadError(`folder:${root}`, { limit: { train: -1 } })).message).toMatch(/^data option 'limit.train'/);
    expect((await loadError(`folder:${root}`, { normalize: { mean: [0.5], std: [0] } })).message).toMatch(/^data option 'normalize.std'/);
    expect((await loadError(`folder:${root}`, { onBadFile: 'ignore' as never })).message).toMatch(/^data option 'onBadFile'/);
    expect((await loadError(`folder:${root}`, { palette: [[0, 0, 0]] })).message).toMatch(/^data option 'palette': only seg:/);
    expect((await loadError(`folder:${root}`, { onBadFile: 'skip', warn: () => undefined, normalize: { mean: [0, 0], std: [1, 1] } })).message).toBe(
      `data option 'normalize.mean': 2 values for 3 channels`,
    );
  });
});
