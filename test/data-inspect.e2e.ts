import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { cli } from './cli-helpers';

let dir: string;
let cache: string;

async function png(file: string, w: number, h: number, channels: 1 | 3, value: (i: number) => number): Promise<void> {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const raw = Buffer.alloc(w * h * channels);
  for (let i = 0; i < raw.length; i++) raw[i] = value(i);
  const img = sharp(raw, { raw: { width: w, height: h, channels } });
  await (channels === 1 ? img.toColourspace('b-w') : img).png().toFile(file);
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
  expect(JSON.parse(seg.stdout)).toEqual({ classes: ['bg', 'car'], counts: { train: { bg: 2, car: 2 }, val: { bg: 0, car: 0 } }, shape: [8, 8, 3], skipped: [] });

  const shapes = cli(['data', 'inspect', 'builtin:shapes?count=20', '--json', '--cache-dir', cache]);
  expect(shapes.code).toBe(0);
  const s = JSON.parse(shapes.stdout);
  expect(s.classes).toEqual(['background', 'circle', 'square', 'triangle']);
  expect(s.counts.train.background + s.counts.val.background).toBe(20);
  expect(s.shape).toEqual([64, 64, 3]);
});
