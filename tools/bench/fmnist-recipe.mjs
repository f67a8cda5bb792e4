#!/usr/bin/env node
// The trainer's default recipe against PyTorch with the same recipe (tools/bench/train_fashion_torch.py
// --recipe): the bench vgg arch on Fashion-MNIST, every training image (60,000, no validation
// split), test accuracy on the 10,000 test images, per seed, torch and ours interleaved. Prints one
// JSON document: accuracies, means, and ours - torch in points (the goal: within 0.5).
//
// usage: node tools/bench/fmnist-recipe.mjs [--seeds 0,1,2] [--epochs 3] [--arch vgg] [--train 60000]
//        [--lr 0.001] [--dir /usr/share/datasets/fashion-mnist]   (needs `npm run build` first; long)
import { execFileSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const { values } = parseArgs({
  options: {
    seeds: { type: 'string', default: '0,1,2' },
    epochs: { type: 'string', default: '3' },
    arch: { type: 'string', default: 'vgg' },
    train: { type: 'string', default: '60000' },
    lr: { type: 'string', default: '0.001' },
    dir: { type: 'string', default: '/usr/share/datasets/fashion-mnist' },
  },
});
const last = (out) => JSON.parse(out.trim().split('\n').pop());
const run = (cmd, args, env = process.env) => last(execFileSync(cmd, args, { encoding: 'utf8', env, stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 1 << 26 }));
const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;
const torchRef = path.join(root, 'tools/bench/train_fashion_torch.py');
const cli = path.join(root, 'dist/apps/cli/main.js');
const torch = [];
const ours = [];
const started = Date.now();
for (const seed of values.seeds.split(',')) {
  const t = run('/usr/bin/python3', [torchRef, '--recipe', '--arch', values.arch, '--train', values.train, '--epochs', values.epochs, '--lr', values.lr, '--seeds', seed, '--dir', values.dir], { ...process.env, TORCH_REFERENCE_DIR: process.env.TORCH_REFERENCE_DIR ?? path.resolve(root, '../shared/bench') });
  const o = run(process.execPath, [cli, 'bench', 'train', '--arch', values.arch, '--data', `idx:${values.dir}`, '--val-fraction', '0', '--train-limit', values.train, '--epochs', values.epochs, '--lr', values.lr, '--seed', seed, '--json']);
  torch.push(t.testAccuracy[0]);
  ours.push(o.test.accuracy);
  process.stderr.write(`seed ${seed}: torch ${t.testAccuracy[0].toFixed(4)}, ours ${o.test.accuracy.toFixed(4)} (${o.trainSamplesPerSec.toFixed(0)} samples/s)\n`);
}
console.log(
  JSON.stringify({
    arch: values.arch,
    train: Number(values.train),
    epochs: Number(values.epochs),
    lr: Number(values.lr),
    recipe: { init: 'he', warmup: 0.05, schedule: 'cosine', clipNorm: 1 },
    seeds: values.seeds.split(',').map(Number),
    torch,
    ours,
    torchMean: mean(torch),
    oursMean: mean(ours),
    differencePoints: Number((100 * (mean(ours) - mean(torch))).toFixed(3)),
    cpu: os.cpus()[0]?.model,
    minutes: Number(((Date.now() - started) / 60000).toFixed(1)),
  }),
);
