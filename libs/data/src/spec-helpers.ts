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

/** Python `decode(path)`: a minimal PNG decoder (8-bit, non-interlaced, colour types 0/2/4/6), alpha dropped, independent of libvips/libpng; imports sys, json. */
export const PYTHON_PNG_DECODER = String.raw`
import sys, zlib, struct, json
def decode(path):
    data = open(path, 'rb').read()
    assert data[:8] == b'\x89PNG\r\n\x1a\n'
    pos, idat = 8, b''
    while pos < len(data):
        n, kind = struct.unpack('>I4s', data[pos:pos+8]); body = data[pos+8:pos+8+n]; pos += 12 + n
        if kind == b'IHDR': w, h, depth, ctype, _, _, interlace = struct.unpack('>IIBBBBB', body)
        elif kind == b'IDAT': idat += body
    assert depth == 8 and interlace == 0
    bpp = {0: 1, 2: 3, 4: 2, 6: 4}[ctype]
    raw, stride, out, prev = zlib.decompress(idat), w * bpp, [], bytearray(w * bpp)
    for y in range(h):
        f = raw[y * (stride + 1)]; line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0; b = prev[i]; c = prev[i - bpp] if i >= bpp else 0
            if f == 1: line[i] = (line[i] + a) & 255
            elif f == 2: line[i] = (line[i] + b) & 255
            elif f == 3: line[i] = (line[i] + (a + b) // 2) & 255
            elif f == 4:
                p = a + b - c; pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        prev = line
        keep = bpp - (1 if ctype in (4, 6) else 0)
        for x in range(w): out.extend(line[x * bpp:x * bpp + keep])
    return out
`;
