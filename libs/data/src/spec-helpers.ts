/** Test-only helpers: small generated images (sharp), temp folders, batch collection, python cross-checks. */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import type { Batch, Split } from './types';

export function tempDir(prefix: string): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(path.join(os.tmpdir(), `marl-hpo-data-${prefix}-`));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Writes an image whose pixel (x, y, c) is `px(x, y, c)`; format from the extension. */
export async function writeImage(file: string, w: number, h: number, c: 1 | 3 | 4, px: (x: number, y: number, c: number) => number): Promise<void> {
  mkdirSync(path.dirname(file), { recursive: true });
  const raw = Buffer.alloc(w * h * c);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) for (let k = 0; k < c; k++) raw[(y * w + x) * c + k] = px(x, y, k);
  let img = sharp(raw, { raw: { width: w, height: h, channels: c } });
  if (c === 1) img = img.toColourspace('b-w');
  const ext = path.extname(file).toLowerCase();
  const out = ext === '.png' ? img.png() : ext === '.webp' ? img.webp({ lossless: true }) : img.jpeg({ quality: 95 });
  await out.toFile(file);
}

export function solid(rgb: number[]): (x: number, y: number, c: number) => number {
  return (_x, _y, c) => rgb[c] ?? 255;
}

export function writeText(file: string, text: string | Buffer): void {
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, text);
}

export async function collect(split: Split, batchSize: number, shuffleSeed?: number): Promise<{ x: number[][]; y: number[][]; sizes: number[] }> {
  const x: number[][] = [];
  const y: number[][] = [];
  const sizes: number[] = [];
  for await (const b of split.batches(batchSize, shuffleSeed === undefined ? {} : { shuffleSeed })) {
    sizes.push(b.n);
    const xs = b.x.length / b.n;
    const ys = b.y.length / b.n;
    for (let i = 0; i < b.n; i++) {
      x.push(Array.from(b.x.subarray(i * xs, (i + 1) * xs)));
      y.push(Array.from(b.y.subarray(i * ys, (i + 1) * ys)));
    }
  }
  return { x, y, sizes };
}

export async function firstBatch(split: Split, batchSize: number): Promise<Batch> {
  for await (const b of split.batches(batchSize)) return b;
  throw new Error('empty split');
}

/** Runs a python snippet with the system python (numpy, torch available) and parses its JSON stdout. */
export function python(code: string, args: string[] = []): unknown {
  const r = spawnSync('/usr/bin/python3', ['-c', code, ...args], { encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`python failed: ${r.stderr}`);
  return JSON.parse(r.stdout);
}
