#!/usr/bin/env node
// Accuracy parity of the trainer backends: the same network (the vgg arch of
// ../shared/bench/torch_reference.py, or `--arch small`), the same data (a seeded Fashion-MNIST
// subset, `--train` images), the same recipe (the defaults: Adam, warm-up + cosine, clipping),
// trained by `tfjs` and by `torch` with each seed; each best.onnx is then scored on the 10,000 test
// images by onnxruntime, read and preprocessed here from the IDX files and the model's own
// `preprocessing` metadata (independent of libs/data). Prints one JSON document.
//
// usage: node tools/bench/torch-vs-tfjs-accuracy.mjs [--arch vgg] [--train 12000] [--epochs 2] [--seeds 0,1,2]
//        [--backends tfjs,torch] [--dir /usr/share/datasets/fashion-mnist]   (needs `npm run build`)
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import zlib from 'node:zlib';
import * as ort from 'onnxruntime-node';
import { writeArchTemplate } from './torch-archs.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const { values } = parseArgs({
  options: {
    arch: { type: 'string', default: 'vgg' },
    train: { type: 'string', default: '12000' },
    epochs: { type: 'string', default: '2' },
    seeds: { type: 'string', default: '0,1,2' },
    backends: { type: 'string', default: 'tfjs,torch' },
    dir: { type: 'string', default: '/usr/share/datasets/fashion-mnist' },
    cli: { type: 'string', default: path.join(root, 'dist/apps/cli/main.js') },
  },
});
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'backend-accuracy-'));
const loadavg = () => os.loadavg().map((x) => Number(x.toFixed(2)));

function idx(file) {
  const data = zlib.gunzipSync(fs.readFileSync(path.join(values.dir, file)));
  const nd = data[3];
  const dims = Array.from({ length: nd }, (_, i) => data.readUInt32BE(4 + 4 * i));
  return { dims, bytes: data.subarray(4 + 4 * nd) };
}
const images = idx('t10k-images-idx3-ubyte.gz');
const labels = idx('t10k-labels-idx1-ubyte.gz').bytes;

/** Test accuracy of an ONNX model on the 10,000 test images, fed as its metadata says. */
async function testAccuracy(file) {
  const session = await ort.InferenceSession.create(file);
  const meta = JSON.parse(fs.readFileSync(file.replace(/best\.onnx$/, 'best.json'), 'utf8'));
  const inspect = JSON.parse(execFileSync(process.execPath, [values.cli, 'onnx', 'inspect', file, '--json'], { encoding: 'utf8' }));
  const pre = JSON.parse(inspect.metadata.preprocessing);
  const [n, h, w] = images.dims;
  const batch = 500;
  let correct = 0;
  for (let start = 0; start < n; start += batch) {
    const m = Math.min(batch, n - start);
    const x = new Float32Array(m * h * w);
    for (let i = 0; i < x.length; i++) x[i] = (images.bytes[start * h * w + i] * pre.scale - pre.mean[0]) / pre.std[0];
    const out = (await session.run({ input: new ort.Tensor('float32', x, [m, 1, h, w]) })).probabilities.data;
    for (let i = 0; i < m; i++) {
      let best = 0;
      for (let k = 1; k < 10; k++) if (out[i * 10 + k] > out[i * 10 + best]) best = k;
      if (best === labels[start + i]) correct++;
    }
  }
  await session.release();
  return { test: correct / n, val: meta.metrics.accuracy, trainSeconds: meta.metrics.trainSeconds };
}

const result = { cpu: os.cpus()[0]?.model ?? 'unknown', loadBefore: loadavg(), arch: values.arch, train: Number(values.train), epochs: Number(values.epochs), recipe: 'defaults (adam 1e-3, batch 64, warm-up 5% + cosine, clipNorm 1, he)', backends: {} };
const template = writeArchTemplate(tmp, values.arch, 1);
for (const seed of values.seeds.split(',').map(Number)) {
  for (const backend of values.backends.split(',')) {
    const out = path.join(tmp, `${backend}-${seed}`);
    const config = path.join(tmp, `${backend}-${seed}.json`);
    fs.writeFileSync(config, JSON.stringify({
      template,
      dataset: { spec: `idx:${values.dir}`, limit: { train: Number(values.train) } },
      budget: { episodes: 1 },
      objectives: [{ metric: 'accuracy', goal: 'max' }],
      trainer: { backend, epochs: Number(values.epochs), ...(backend === 'torch' ? { python: '/usr/bin/python3' } : {}) },
      profiler: { backend: 'estimate' },
      seed,
    }));
    execFileSync(process.execPath, [values.cli, 'search', '--config', config, '--out', out], { stdio: ['ignore', 'ignore', 'inherit'] });
    const r = await testAccuracy(path.join(out, 'best.onnx'));
    (result.backends[backend] ??= []).push({ seed, ...r });
    process.stderr.write(`seed ${seed} ${backend}: test ${r.test.toFixed(4)}, val ${r.val.toFixed(4)}, ${r.trainSeconds.toFixed(1)} s; load ${loadavg()[0]}\n`);
  }
}
const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;
result.summary = Object.fromEntries(Object.entries(result.backends).map(([b, rs]) => [b, { meanTestAccuracy: Number(mean(rs.map((r) => r.test)).toFixed(4)), meanTrainSeconds: Number(mean(rs.map((r) => r.trainSeconds)).toFixed(2)) }]));
if (result.summary.tfjs && result.summary.torch) {
  result.summary.torchMinusTfjsPoints = Number(((result.summary.torch.meanTestAccuracy - result.summary.tfjs.meanTestAccuracy) * 100).toFixed(2));
  result.summary.perSeedPoints = result.backends.torch.map((r, i) => Number(((r.test - result.backends.tfjs[i].test) * 100).toFixed(2)));
}
result.loadAfter = loadavg();
fs.rmSync(tmp, { recursive: true, force: true });
console.log(JSON.stringify(result));
