import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { cli } from './cli-helpers';

let dir: string;
let cache: string;

/** Writes an image (format from the extension: png, jpg, webp) whose byte i is value(i). */
async function png(file: string | Buffer, w: number, h: number, channels: 1 | 3, value: (i: number) => number): Promise<void> {
  fs.mkdirSync(typeof file === 'string' ? path.dirname(file) : file.subarray(0, file.lastIndexOf('/')), { recursive: true });
  const raw = Buffer.alloc(w * h * channels);
  for (let i = 0; i < raw.length; i++) raw[i] = value(i);
  let img = sharp(raw, { raw: { width: w, height: h, channels } });
  if (channels === 1) img = img.toColourspace('b-w');
  const ext = path.extname(file.toString());
  fs.writeFileSync(file, await (ext === '.jpg' ? img.jpeg() : ext === '.webp' ? img.webp() : img.png()).toBuffer());
}

const inspect = (spec: string, ...flags: string[]) => cli(['data', 'inspect', spec, '--cache-dir', cache, ...flags]);

/** Exit 2 with exactly one line on stderr, and nothing on stdout. */
function oneLineError(r: { code: number | null; stdout: string; stderr: string }): string {
  expect([r.code, r.stdout, r.stderr.split('\n').length]).toEqual([2, '', 2]);
  return r.stderr.trim();
}

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'data-e2e-'));
  cache = path.join(dir, 'cache');
  for (const [cls, n] of [
    ['ant', 3],
    ['bee', 2],
  ] as const) {
    for (let i = 0; i < n; i++) await png(path.join(dir, 'bugs', 'train', cls, `${i}.png`), 10, 6, 3, (k) => (k * (i + 3)) & 255);
    await png(path.join(dir, 'bugs', 'val', cls, 'v.png'), 7, 7, 3, (k) => k & 255);
  }
  fs.writeFileSync(path.join(dir, 'bugs', 'train', 'bee', 'broken.png'), 'not a png');
  for (const stem of ['a', 'b']) {
    await png(path.join(dir, 'road', 'images', `${stem}.png`), 8, 8, 3, (k) => k & 255);
    await png(path.join(dir, 'road', 'masks', `${stem}.png`), 8, 8, 3, (k) => (Math.floor(k / 3) % 8 < 4 ? 0 : [255, 0, 0][k % 3]));
  }
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

test('data inspect --json prints exactly classes, counts, shape and skipped', () => {
  const r = cli(['data', 'inspect', `folder:${path.join(dir, 'bugs')}`, '--json', '--cache-dir', cache]);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  expect(JSON.parse(r.stdout)).toEqual({
    classes: ['ant', 'bee'],
    counts: { train: { ant: 3, bee: 2 }, val: { ant: 1, bee: 1 } },
    shape: [6, 10, 3],
    skipped: [{ file: path.join(dir, 'bugs', 'train', 'bee', 'broken.png'), reason: 'not an image in a supported format (png, jpg, webp)' }],
    // The two 7x7 val images are resized to the size of most images.
    conversions: { greyToRgb: 0, colourToGrey: 0, alphaDropped: 0, resized: 2 },
    unusableTemplates: [],
  });
  // The second run reads the cache and reports the same.
  expect(cli(['data', 'inspect', `folder:${path.join(dir, 'bugs')}`, '--json', '--cache-dir', cache]).stdout).toBe(r.stdout);
});

test('data inspect prints a table; --on-bad-file error makes a bad file a one-line error with exit 2', () => {
  const r = cli(['data', 'inspect', `folder:${path.join(dir, 'bugs')}`, '--cache-dir', cache, '--shape', '4x4x1']);
  expect(r.code).toBe(0);
  expect(r.stdout).toContain(`folder:${path.join(dir, 'bugs')}: classification, 2 classes, shape [4, 4, 1]`);
  expect(r.stdout).toMatch(/^ant\s+3\s+1$/m);
  expect(r.stdout).toMatch(/^\(samples\)\s+5\s+2$/m);
  expect(r.stdout).toContain(`skipped 1 file:\n  ${path.join(dir, 'bugs', 'train', 'bee', 'broken.png')}: not an image`);

  const e = cli(['data', 'inspect', `folder:${path.join(dir, 'bugs')}`, '--cache-dir', cache, '--on-bad-file', 'error']);
  expect(e.code).toBe(2);
  expect(e.stdout).toBe('');
  expect(e.stderr).toBe(`marl-hpo: ${path.join(dir, 'bugs', 'train', 'bee', 'broken.png')}: not an image in a supported format (png, jpg, webp)\n`);

  const missing = cli(['data', 'inspect', `folder:${path.join(dir, 'nope')}`, '--cache-dir', cache]);
  expect(missing.code).toBe(2);
  expect(missing.stderr).toBe(`marl-hpo: ${path.join(dir, 'nope')}: folder not found\n`);
  expect(cli(['data', 'inspect', 'nope:x']).code).toBe(2);
});

test('data inspect reads palette masks and the built-in sets offline', () => {
  const seg = cli(['data', 'inspect', `seg:${path.join(dir, 'road')}`, '--json', '--cache-dir', cache, '--palette', '[[0,0,0],[255,0,0]]', '--classes', 'bg,car', '--val-fraction', '0']);
  expect(seg.code).toBe(0);
  expect(JSON.parse(seg.stdout)).toEqual({
    classes: ['bg', 'car'],
    counts: { train: { bg: 2, car: 2 }, val: { bg: 0, car: 0 } },
    shape: [8, 8, 3],
    skipped: [],
    conversions: { greyToRgb: 0, colourToGrey: 0, alphaDropped: 0, resized: 0 },
    unusableTemplates: [],
  });

  const shapes = cli(['data', 'inspect', 'builtin:shapes?count=20', '--json', '--cache-dir', cache]);
  expect(shapes.code).toBe(0);
  const s = JSON.parse(shapes.stdout);
  expect(s.classes).toEqual(['background', 'circle', 'square', 'triangle']);
  expect(s.counts.train.background + s.counts.val.background).toBe(20);
  expect(s.shape).toEqual([64, 64, 3]);
});

test('a folder of grey PNG, JPG and WebP images loads every file as grey, and the conversions are counted', async () => {
  // As Fashion-MNIST written out by an image library: WebP has no grey mode, so sharp decodes it as RGB.
  const root = path.join(dir, 'fashion');
  for (let i = 0; i < 30; i++) await png(path.join(root, ['coat', 'shirt', 'bag'][i % 3], `${i}.${['png', 'jpg', 'webp'][Math.floor(i / 3) % 3]}`), 28, 28, 1, (k) => (k * 7 + i * 13) & 255);
  const r = inspect(`folder:${root}`, '--json');
  expect(r.stderr).toBe('');
  const report = JSON.parse(r.stdout);
  expect(report.shape).toEqual([28, 28, 1]);
  expect(report.skipped).toEqual([]);
  expect(report.counts.train.coat + report.counts.val.coat + report.counts.train.shirt + report.counts.val.shirt + report.counts.train.bag + report.counts.val.bag).toBe(30);
  expect(report.conversions).toEqual({ greyToRgb: 0, colourToGrey: 9, alphaDropped: 0, resized: 0 });
  const text = inspect(`folder:${root}`);
  expect(text.stdout).toContain("converted to the dataset's shape: 9 colour -> grey (ITU-R 601 luma, as PIL's convert('L'))");

  // One huge image among small ones does not set the size: it is resized like the odd one out.
  await png(path.join(root, 'bag', '!huge.png'), 2000, 1500, 1, (k) => k & 255);
  const sized = JSON.parse(inspect(`folder:${root}`, '--json').stdout);
  expect([sized.shape, sized.conversions.resized]).toEqual([[28, 28, 1], 1]);
});

test('bad names, caches, shapes and single classes: one line, exit 2', async () => {
  const root = path.join(dir, 'odd');
  await png(path.join(root, 'a', '0.png'), 4, 4, 3, (k) => k);
  await png(Buffer.concat([Buffer.from(path.join(root, 'caf')), Buffer.from([0xe9]), Buffer.from('/0.png')]), 4, 4, 3, (k) => k * 3);
  expect(oneLineError(inspect(`folder:${root}`))).toBe(`marl-hpo: ${path.join(root, 'caf\\xe9')}: folder name is not valid UTF-8; rename it (e.g. convmv -f latin1 -t utf8)`);

  const bugs = `folder:${path.join(dir, 'bugs')}`;
  const file = path.join(dir, 'plain-file');
  fs.writeFileSync(file, 'x');
  expect(oneLineError(cli(['data', 'inspect', bugs, '--cache-dir', path.join(file, 'c')]))).toMatch(
    new RegExp(`^marl-hpo: data cache folder ${file}/c \\(--cache-dir\\): cannot create it \\(ENOTDIR: .*\\); set --cache-dir or \\$MARL_HPO_CACHE_DIR to a writable folder`),
  );
  // A read-only $XDG_CACHE_HOME (root ignores file modes, so it gets /sys, read-only for everyone).
  const ro = path.join(dir, 'ro');
  fs.mkdirSync(ro);
  fs.chmodSync(ro, 0o555);
  const xdg = process.getuid?.() === 0 ? '/sys/marl-hpo-e2e' : ro;
  const env = { ...process.env, XDG_CACHE_HOME: xdg, MARL_HPO_CACHE_DIR: '' };
  expect(oneLineError(cli(['data', 'inspect', bugs], { env }))).toMatch(/^marl-hpo: data cache folder .*marl-hpo\/data \(\$XDG_CACHE_HOME\): cannot create it \((EACCES|EPERM|EROFS): /);

  expect(oneLineError(inspect(bugs, '--shape', '100000x100000x1'))).toBe(
    'marl-hpo: --shape: [100000, 100000, 1] is 10000000000 values per image, more than the limit of 50331648 (4096x4096x3)',
  );
  const single = path.join(dir, 'single');
  for (let i = 0; i < 3; i++) await png(path.join(single, 'cat', `${i}.png`), 4, 4, 3, (k) => k + i);
  expect(oneLineError(inspect(`folder:${single}`))).toBe(`marl-hpo: folder:${single}: only class 'cat' has training images; classification needs at least 2 classes`);
});

test('data inspect says which templates cannot take images this small', async () => {
  const root = path.join(dir, 'tiny');
  for (const cls of ['a', 'b']) for (let i = 0; i < 2; i++) await png(path.join(root, cls, `${i}.png`), 1, 1, 1, () => (cls === 'a' ? 10 : 200));
  const r = inspect(`folder:${root}`);
  expect(r.code).toBe(0);
  const vgg = "layer 'b1pool' (maxPool): spatial size 1 with kernel 2, stride 2, padding 'valid' gives 0 (must be > 0)";
  expect(r.stdout).toContain(`template vgg cannot take these images: ${vgg}`);
  expect(r.stdout).not.toContain('template inception');
  expect(JSON.parse(inspect(`folder:${root}`, '--json').stdout).unusableTemplates).toEqual([{ template: 'vgg', problem: vgg }]);
});
