#!/usr/bin/env node
// Decode throughput of libs/data for folders of PNGs, printed as one JSON document.
// For 28x28 grey and 224x224 RGB PNGs (generated here with sharp):
// - reference: bare sharp decodes of the same files (readFile + raw(), 4 in flight), images/s;
// - cold: loadDataset on an empty cache dir (list, decode, write the cache), images/s;
// - warm: loadDataset again (cache hit) plus reading every sample of train and val as
//   normalised float32 batches, images/s;
// - ratios cold/reference and warm/reference, measured in this same process, since the machine is shared.
//
//   node tools/bench/data-decode.mjs [--small 2000] [--large 300] [--batch 64]
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { build } from 'esbuild';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const { values } = parseArgs({ options: { small: { type: 'string', default: '2000' }, large: { type: 'string', default: '300' }, batch: { type: 'string', default: '64' } } });

fs.mkdirSync(path.join(root, 'tmp'), { recursive: true });
const tmp = fs.mkdtempSync(path.join(root, 'tmp', 'data-bench-'));
await build({ entryPoints: [path.join(root, 'libs/data/src/index.ts')], outfile: path.join(tmp, 'data.cjs'), bundle: true, platform: 'node', format: 'cjs', packages: 'external', logLevel: 'warning' });
const require = createRequire(path.join(root, 'package.json'));
const data = require(path.join(tmp, 'data.cjs'));
const sharp = require('sharp');

/** Smooth gradients plus noise: compresses like a photo-ish PNG, not like a flat colour. */
async function makeFolder(dir, n, side, channels) {
  const classes = ['a', 'b', 'c', 'd'];
  let seed = 12345;
  const rand = () => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 16) & 255;
  const files = [];
  for (let i = 0; i < n; i++) {
    const raw = Buffer.alloc(side * side * channels);
    for (let p = 0; p < side * side; p++) {
      const x = p % side;
      const y = Math.floor(p / side);
      for (let c = 0; c < channels; c++) raw[p * channels + c] = ((x * (c + 1) * 255) / side + (y * 128) / side + (rand() >> 3) + i) & 255;
    }
    const file = path.join(dir, classes[i % classes.length], `${i}.png`);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    let img = sharp(raw, { raw: { width: side, height: side, channels } });
    if (channels === 1) img = img.toColourspace('b-w');
    await img.png().toFile(file);
    files.push(file);
  }
  return files;
}

async function bareSharp(files) {
  let next = 0;
  const worker = async () => {
    while (next < files.length) {
      const f = files[next++];
      await sharp(await fs.promises.readFile(f)).raw().toBuffer();
    }
  };
  const t = performance.now();
  await Promise.all([worker(), worker(), worker(), worker()]);
  return files.length / ((performance.now() - t) / 1000);
}

async function readAll(ds, batch) {
  let n = 0;
  for (const split of [ds.train, ds.val]) for await (const b of split.batches(batch, { shuffleSeed: 1 })) n += b.n;
  return n;
}

const results = {};
for (const [name, n, side, channels] of [
  ['png28x28x1', Number(values.small), 28, 1],
  ['png224x224x3', Number(values.large), 224, 3],
]) {
  const dir = path.join(tmp, name);
  const files = await makeFolder(dir, n, side, channels);
  const spec = `folder:${dir}`;
  const cacheDir = path.join(tmp, `cache-${name}`);
  await bareSharp(files.slice(0, Math.min(50, files.length))); // warm up sharp and the page cache

  const reference = await bareSharp(files);
  let t = performance.now();
  const cold = await data.loadDataset(spec, { cacheDir });
  const coldSeconds = (performance.now() - t) / 1000;
  if (cold.cache.hit) throw new Error('cold run hit the cache');

  t = performance.now();
  const warm = await data.loadDataset(spec, { cacheDir });
  const loadSeconds = (performance.now() - t) / 1000;
  const read = await readAll(warm, Number(values.batch));
  const warmSeconds = (performance.now() - t) / 1000;
  if (!warm.cache.hit || read !== n) throw new Error(`warm run: hit ${warm.cache.hit}, read ${read} of ${n}`);

  results[name] = {
    images: n,
    referenceSharpImagesPerSec: Math.round(reference),
    coldImagesPerSec: Math.round(n / coldSeconds),
    warmImagesPerSec: Math.round(n / warmSeconds),
    warmLoadSeconds: Number(loadSeconds.toFixed(3)),
    coldOverReference: Number((n / coldSeconds / reference).toFixed(2)),
    warmOverReference: Number((n / warmSeconds / reference).toFixed(1)),
    cacheBytes: fs.statSync(cold.cache.file).size,
  };
}
fs.rmSync(tmp, { recursive: true, force: true });
console.log(JSON.stringify({ bench: 'data-decode', node: process.version, cpus: (await import('node:os')).cpus().length, results }, null, 2));
