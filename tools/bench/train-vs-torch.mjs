#!/usr/bin/env node
// Training throughput of `marl-hpo bench train` against the PyTorch reference
// (../shared/bench/torch_reference.py), run back to back on the same machine: each round runs
// torch then ours for every arch; prints one JSON document with the medians and the median of
// the per-round ratios (ours / torch).
//
// usage: node tools/bench/train-vs-torch.mjs [--rounds 3] [--archs small,vgg] [--samples 2048]
//        [--batch 64] [--epochs 2] [--threads 1]   (needs `npm run build` first)
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '3' },
    archs: { type: 'string', default: 'small,vgg' },
    samples: { type: 'string', default: '2048' },
    batch: { type: 'string', default: '64' },
    epochs: { type: 'string', default: '2' },
    threads: { type: 'string', default: '1' },
    torch: { type: 'string', default: process.env.TORCH_REFERENCE ?? path.resolve(root, '../shared/bench/torch_reference.py') },
    cli: { type: 'string', default: path.join(root, 'dist/apps/cli/main.js') },
  },
});
for (const f of [values.torch, values.cli]) if (!fs.existsSync(f)) throw new Error(`${f} not found (build the CLI with npm run build)`);

const common = ['--samples', values.samples, '--batch', values.batch, '--epochs', values.epochs, '--threads', values.threads];
const run = (cmd, args) => JSON.parse(execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim().split('\n').pop());
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

const archs = values.archs.split(',');
const samples = Object.fromEntries(archs.map((a) => [a, { torch: [], ours: [], ratio: [] }]));
let framework = '';
for (let r = 0; r < Number(values.rounds); r++) {
  for (const arch of archs) {
    const t = run('/usr/bin/python3', [values.torch, '--arch', arch, ...common]).trainSamplesPerSec;
    const o = run(process.execPath, [values.cli, 'bench', 'train', '--arch', arch, ...common, '--json']);
    framework = o.framework;
    samples[arch].torch.push(t);
    samples[arch].ours.push(o.trainSamplesPerSec);
    samples[arch].ratio.push(o.trainSamplesPerSec / t);
    process.stderr.write(`round ${r + 1} ${arch}: torch ${t.toFixed(1)}, ${framework} ${o.trainSamplesPerSec.toFixed(1)} samples/s, ratio ${(o.trainSamplesPerSec / t).toFixed(3)}\n`);
  }
}
const result = {
  framework,
  rounds: Number(values.rounds),
  samples: Number(values.samples),
  batch: Number(values.batch),
  epochs: Number(values.epochs),
  threads: Number(values.threads),
  archs: Object.fromEntries(
    archs.map((a) => [
      a,
      {
        torchSamplesPerSec: median(samples[a].torch),
        oursSamplesPerSec: median(samples[a].ours),
        ratio: median(samples[a].ratio),
        ratios: samples[a].ratio.map((x) => Number(x.toFixed(4))),
      },
    ]),
  ),
};
console.log(JSON.stringify(result));
