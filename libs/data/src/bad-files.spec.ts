import { chmodSync, copyFileSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
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

const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

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

  it('refuses a dataset with one class, or one class that has images', async () => {
    const one = path.join(dir, 'one-class');
    for (let i = 0; i < 3; i++) await writeImage(path.join(one, 'cat', `${i}.png`), 4, 4, 3, solid([i * 9, 1, 2]));
    expect((await loadError(`folder:${one}`)).message).toBe(`folder:${one}: only class 'cat' has training images; classification needs at least 2 classes`);
    // The other class folder holds only a bad file: skipped, it leaves one class.
    writeText(path.join(one, 'dog', 'x.png'), 'not a png');
    const e = await loadError(`folder:${one}`, { onBadFile: 'skip', warn: () => undefined });
    expect(e.message).toBe(`folder:${one}: only class 'cat' has training images; classification needs at least 2 classes`);
    // Segmentation masks that hold only the background.
    const seg = path.join(dir, 'seg-one');
    for (const stem of ['a', 'b']) {
      await writeImage(path.join(seg, 'images', `${stem}.png`), 4, 4, 3, solid([5, 6, 7]));
      await writeImage(path.join(seg, 'masks', `${stem}.png`), 4, 4, 1, solid([0]));
    }
    expect((await loadError(`seg:${seg}`, { classes: ['background', 'car'] })).message).toBe(
      `seg:${seg}: only class 'background' appears in the training masks; segmentation needs at least 2 classes`,
    );
  });

  it('names folders and files whose names are not valid UTF-8, instead of crashing', async () => {
    const r = path.join(dir, 'latin1');
    for (const cls of ['a', 'b']) for (let i = 0; i < 2; i++) await writeImage(path.join(r, cls, `${i}.png`), 4, 4, 3, solid([i * 50, 9, 9]));
    // 'caf\xe9.png' as Latin-1 wrote it: Linux allows any bytes but a JS string cannot name it.
    const latin1 = (...parts: (string | number[])[]) => Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p) : Buffer.from(p))));
    copyFileSync(path.join(r, 'a', '0.png'), latin1(r, '/a/caf', [0xe9], '.png'));
    const e = await loadError(`folder:${r}`);
    expect(e.message).toBe(`${path.join(r, 'a', 'caf\\xe9.png')}: file name is not valid UTF-8; rename it (e.g. convmv -f latin1 -t utf8)`);
    const ds = await loadDataset(`folder:${r}`, { cacheDir, onBadFile: 'skip', warn: () => undefined, valFraction: 0 });
    expect(ds.train.size).toBe(4);
    expect(ds.skipped.map((s) => s.file)).toEqual([path.join(r, 'a', 'caf\\xe9.png')]);
    // A class folder named so cannot be a class name.
    mkdirSync(latin1(r, '/gr', [0xfc, 0x6e]));
    copyFileSync(path.join(r, 'a', '0.png'), latin1(r, '/gr', [0xfc, 0x6e], '/0.png'));
    expect((await loadError(`folder:${r}`, { onBadFile: 'skip' })).message).toBe(`${path.join(r, 'gr\\xfcn')}: folder name is not valid UTF-8; rename it (e.g. convmv -f latin1 -t utf8)`);
  });

  it('says which cache folder cannot be written, and why, in one line', async () => {
    const spec = `folder:${root}`;
    const file = path.join(dir, 'a-file');
    writeText(file, 'x');
    const under = await loadError(spec, { cacheDir: path.join(file, 'cache') });
    expect(under.message).toBe(
      `data cache folder ${path.join(file, 'cache')} (data option 'cacheDir'): cannot create it (ENOTDIR: a path component is a file, not a folder); set data option 'cacheDir' or $MARL_HPO_CACHE_DIR to a writable folder with free space`,
    );
    // A read-only $XDG_CACHE_HOME (root ignores permissions, so it gets /sys, read-only for everyone).
    const ro = path.join(dir, 'read-only');
    mkdirSync(ro);
    chmodSync(ro, 0o555);
    const xdg = process.getuid?.() === 0 ? '/sys/marl-hpo-test' : ro;
    const saved = { xdg: process.env.XDG_CACHE_HOME, mine: process.env.MARL_HPO_CACHE_DIR };
    try {
      process.env.XDG_CACHE_HOME = xdg;
      delete process.env.MARL_HPO_CACHE_DIR;
      const e = await loadError(spec, { cacheDir: undefined, onBadFile: 'skip', warn: () => undefined });
      expect(e.message).toMatch(
        new RegExp(`^data cache folder ${escapeRe(path.join(xdg, 'marl-hpo', 'data'))} \\(\\$XDG_CACHE_HOME\\): cannot create it \\((EACCES|EPERM|EROFS): [a-z -]+\\); set data option 'cacheDir'`),
      );
    } finally {
      chmodSync(ro, 0o755);
      for (const [k, v] of [['XDG_CACHE_HOME', saved.xdg], ['MARL_HPO_CACHE_DIR', saved.mine]] as const) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
    }
  });

  it('removes the temporary file of a cache build whose process died', async () => {
    const r = path.join(dir, 'stale');
    for (const cls of ['a', 'b']) await writeImage(path.join(r, cls, '0.png'), 4, 4, 3, solid([cls === 'a' ? 10 : 200, 0, 0]));
    const own = path.join(dir, 'stale-cache');
    const first = await loadDataset(`folder:${r}`, { cacheDir: own });
    // A build killed mid-way (its pid is gone) left this; a live process's temp file is kept.
    const dead = `${first.cache.file}.tmp-999999999-abcd`;
    const alive = `${first.cache.file}.tmp-${process.pid}-abcd`;
    writeText(dead, 'half');
    writeText(alive, 'in progress');
    rmSync(first.cache.file);
    await loadDataset(`folder:${r}`, { cacheDir: own });
    expect(readdirSync(own).sort()).toEqual([path.basename(first.cache.file), path.basename(alive)].sort());
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
