#!/usr/bin/env node
// Streaming check of libs/data, printed as one JSON document: a dataset several times larger
// than the V8 heap limit is decoded into the cache and read back in shuffled batches, in a child
// process started with --max-old-space-size=64. Reports the child's peak RSS against the same
// child's RSS with the lib loaded but no data (the reference), and against the dataset size.
//
//   node tools/bench/data-stream.mjs [--images 300000] [--batch 256]
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { build } from 'esbuild';

const self = fileURLToPath(import.meta.url);
const root = path.resolve(path.dirname(self), '../..');
const { values } = parseArgs({
  options: { images: { type: 'string', default: '300000' }, batch: { type: 'string', default: '256' }, child: { type: 'string' }, dir: { type: 'string' } },
});

if (values.child) {
  // Child: load the bundle, optionally load and stream the dataset, report memory.
  const { createRequire } = await import('node:module');
  const require = createRequire(path.join(root, 'package.json'));
  const data = require(path.join(values.dir, 'data.cjs'));
  const out = { rssBaseline: process.memoryUsage().rss };
  if (values.child === 'run') {
    let t = performance.now();
    const ds = await data.loadDataset(`idx:${path.join(values.dir, 'set')}`, { cacheDir: path.join(values.dir, 'cache'), valFraction: 0.1 });
    out.decodeSeconds = (performance.now() - t) / 1000;
    out.cacheBytes = fs.statSync(ds.cache.file).size;
    t = performance.now();
    let n = 0;
    let check = 0;
    for await (const b of ds.train.batches(Number(values.batch), { shuffleSeed: 3 })) {
      n += b.n;
      check += b.x[0] + b.y[0];
    }
    out.readSeconds = (performance.now() - t) / 1000;
    out.read = n;
    out.checksum = check;
  }
  out.maxRssBytes = process.resourceUsage().maxRSS * 1024;
  console.log(JSON.stringify(out));
  process.exit(0);
}

fs.mkdirSync(path.join(root, 'tmp'), { recursive: true });
const tmp = fs.mkdtempSync(path.join(root, 'tmp', 'data-stream-'));
await build({ entryPoints: [path.join(root, 'libs/data/src/index.ts')], outfile: path.join(tmp, 'data.cjs'), bundle: true, platform: 'node', format: 'cjs', packages: 'external', logLevel: 'warning' });

// An IDX set of n 28x28 images, written in chunks so this parent never holds it either.
const n = Number(values.images);
const set = path.join(tmp, 'set');
fs.mkdirSync(set);
const header = (dims) => {
  const h = Buffer.alloc(4 + 4 * dims.length);
  h[2] = 8;
  h[3] = dims.length;
  dims.forEach((d, i) => h.writeUInt32BE(d, 4 + 4 * i));
  return h;
};
const fd = fs.openSync(path.join(set, 'train-images-idx3-ubyte'), 'w');
fs.writeSync(fd, header([n, 28, 28]));
const chunk = Buffer.alloc(10000 * 784);
for (let done = 0; done < n; done += 10000) {
  const k = Math.min(10000, n - done);
  for (let i = 0; i < k * 784; i++) chunk[i] = (i * 31 + done) & 255;
  fs.writeSync(fd, chunk, 0, k * 784);
}
fs.closeSync(fd);
fs.writeFileSync(path.join(set, 'train-labels-idx1-ubyte'), Buffer.concat([header([n]), Buffer.from(Array.from({ length: n }, (_, i) => i % 10))]));

const child = (mode) =>
  JSON.parse(execFileSync(process.execPath, ['--max-old-space-size=64', self, '--child', mode, '--dir', tmp, '--batch', values.batch], { encoding: 'utf8', maxBuffer: 1 << 20 }));
const reference = child('baseline');
const run = child('run');
const datasetBytes = n * 784;
fs.rmSync(tmp, { recursive: true, force: true });
console.log(
  JSON.stringify(
    {
      bench: 'data-stream',
      images: n,
      datasetBytes,
      heapLimitBytes: 64 << 20,
      cacheBytes: run.cacheBytes,
      float32BytesIfLoadedAtOnce: datasetBytes * 4,
      referenceMaxRssBytes: reference.maxRssBytes,
      runMaxRssBytes: run.maxRssBytes,
      rssGrowthOverDataset: Number(((run.maxRssBytes - reference.maxRssBytes) / datasetBytes).toFixed(3)),
      decodeImagesPerSec: Math.round(n / run.decodeSeconds),
      readImagesPerSec: Math.round(run.read / run.readSeconds),
      trainRead: run.read,
    },
    null,
    2,
  ),
);
