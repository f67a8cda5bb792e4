// Whole-model cross-check against PyTorch (libs/trainer/tools/torch_step.py, float64): inference
// logits, the training loss, every weight's gradient and the batch-norm moving statistics after one
// step, for IRs that use every node kind. Runs on the wasm backend with our kernels.
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { analyze, type ArchitectureIR, type WeightMap } from '@marl-hpo/arch';
import { initBackend } from './backend';
import { buildModel } from './model';
import { rng } from './rng';
import { lossOf, oneHot } from './train';

const script = path.join(__dirname, '../tools/torch_step.py');

interface TorchResult {
  logits: number[];
  loss: number;
  grads: Record<string, number[]>;
  stats: Record<string, number[]>;
}

/** He-uniform kernels, small biases, batch-norm statistics away from the identity. */
function randomWeights(ir: ArchitectureIR, seed: number): WeightMap {
  const r = rng(seed);
  const u = (lo: number, hi: number) => lo + (hi - lo) * r();
  const out: WeightMap = {};
  for (const { node, weights } of analyze(ir).analyzed) {
    for (const spec of weights) {
      const s = spec.shape;
      const leaf = spec.name.slice(spec.name.lastIndexOf('/') + 1);
      let sample = () => u(-0.2, 0.2);
      if (leaf === 'gamma' || leaf === 'variance') sample = () => u(0.5, 1.5);
      if (leaf === 'kernel' || leaf === 'depthwise_kernel') {
        const fanIn = s.length === 2 ? s[0] : leaf === 'depthwise_kernel' ? s[0] * s[1] : node.kind === 'convTranspose' ? s[0] * s[1] * s[3] : s[0] * s[1] * s[2];
        const a = Math.sqrt(6 / fanIn);
        sample = () => u(-a, a);
      }
      out[spec.name] = { shape: s, data: Float32Array.from({ length: s.reduce((a, b) => a * b, 1) }, sample) };
    }
  }
  return out;
}

/** Normwise relative error: max |a - b| / max |b|. */
function relErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let err = 0;
  let scale = 0;
  for (let i = 0; i < b.length; i++) {
    err = Math.max(err, Math.abs(a[i] - b[i]));
    scale = Math.max(scale, Math.abs(b[i]));
  }
  return scale === 0 ? err : err / scale;
}

const conv = (name: string, filters: number, kernel: number, stride: number, padding: 'same' | 'valid', activation: 'relu' | 'linear' | 'sigmoid' | 'tanh', batchNorm: boolean) =>
  ({ kind: 'conv2d', name, filters, kernel, stride, padding, activation, batchNorm }) as const;

const irs: Record<string, ArchitectureIR> = {
  // First layer without batch norm (the fused op that skips the input gradient), then every kind.
  segmentation: {
    template: 'test',
    task: 'segmentation',
    input: [12, 12, 3],
    classes: 3,
    layers: [
      conv('c0', 6, 3, 1, 'same', 'relu', false),
      conv('c1', 8, 5, 2, 'same', 'relu', true),
      { kind: 'depthwiseConv2d', name: 'dw', kernel: 3, stride: 1, padding: 'valid', depthMultiplier: 2, activation: 'relu', batchNorm: false },
      { kind: 'avgPool', name: 'ap', size: 3, stride: 1, padding: 'same' },
      { kind: 'inception', name: 'inc', b1x1: 4, b3x3reduce: 3, b3x3: 5, b5x5reduce: 2, b5x5: 3, poolProj: 2, batchNorm: true },
      { kind: 'concat', name: 'cat', inputs: ['dw', 'inc'] },
      { kind: 'upsample', name: 'up', scale: 2, mode: 'nearest' },
      { kind: 'convTranspose', name: 'ct', filters: 6, kernel: 3, stride: 1, padding: 'valid', activation: 'relu', batchNorm: false },
      { kind: 'maxPool', name: 'mp', size: 2, stride: 2, padding: 'valid' },
      { kind: 'convTranspose', name: 'ct2', filters: 5, kernel: 3, stride: 2, padding: 'same', activation: 'linear', batchNorm: true },
      { kind: 'skip', name: 'sk', from: 'ct' },
      { kind: 'dropout', name: 'drop', rate: 0 },
      { kind: 'upsample', name: 'up2', scale: 1, mode: 'bilinear' },
      conv('c2', 7, 1, 1, 'valid', 'tanh', false),
      { kind: 'depthwiseConv2d', name: 'dw2', kernel: 3, stride: 2, padding: 'same', depthMultiplier: 1, activation: 'linear', batchNorm: true },
      { kind: 'upsample', name: 'up3', scale: 2, mode: 'bilinear' },
      conv('c3', 3, 7, 2, 'same', 'sigmoid', false),
      { kind: 'convTranspose', name: 'ct3', filters: 3, kernel: 4, stride: 2, padding: 'valid', activation: 'linear', batchNorm: false },
      { kind: 'maxPool', name: 'mp2', size: 3, stride: 1, padding: 'same' },
      conv('logits', 3, 3, 1, 'same', 'linear', false),
    ],
  },
  classification: {
    template: 'test',
    task: 'classification',
    input: [15, 13, 2],
    classes: 4,
    layers: [
      { kind: 'inception', name: 'inc', b1x1: 3, b3x3reduce: 2, b3x3: 4, b5x5reduce: 0, b5x5: 0, poolProj: 2, batchNorm: false },
      conv('c', 6, 3, 2, 'valid', 'relu', false),
      { kind: 'maxPool', name: 'mp', size: 2, stride: 2, padding: 'same' },
      { kind: 'avgPool', name: 'ap', size: 2, stride: 1, padding: 'valid' },
      { kind: 'flatten', name: 'f' },
      { kind: 'dense', name: 'd', units: 9, activation: 'sigmoid' },
      { kind: 'dense', name: 'd2', units: 7, activation: 'relu' },
      { kind: 'dense', name: 'd3', units: 5, activation: 'tanh' },
      { kind: 'dense', name: 'logits', units: 4, activation: 'linear' },
    ],
  },
  // The paths of a VGG step: packed direct conv (4 input channels), Winograd 3x3 (forward, input and
  // weight gradients; even and odd sizes), batch norm, dense layers on our matrix products.
  vgg: {
    template: 'test',
    task: 'classification',
    input: [12, 12, 4],
    classes: 4,
    layers: [
      conv('c1', 8, 3, 1, 'same', 'relu', false),
      conv('c2', 12, 3, 1, 'same', 'relu', true),
      { kind: 'maxPool', name: 'p1', size: 2, stride: 2, padding: 'valid' },
      conv('c3', 8, 3, 1, 'same', 'relu', false),
      conv('c4', 16, 3, 1, 'valid', 'relu', true),
      { kind: 'flatten', name: 'f' },
      { kind: 'dense', name: 'fc', units: 16, activation: 'relu' },
      { kind: 'dense', name: 'logits', units: 4, activation: 'linear' },
    ],
  },
  pooled: {
    template: 'test',
    task: 'classification',
    input: [9, 9, 1],
    classes: 3,
    layers: [conv('c', 4, 3, 1, 'same', 'linear', true), { kind: 'globalAvgPool', name: 'gap' }, { kind: 'dense', name: 'logits', units: 3, activation: 'linear' }],
  },
};

beforeAll(async () => {
  await initBackend({ backend: 'wasm' });
});

describe.each(Object.entries(irs))('%s model vs PyTorch', (_name, ir) => {
  const n = 3;
  const weights = randomWeights(ir, 1);
  const r = rng(2);
  const x = { shape: [n, ...ir.input], data: Float32Array.from({ length: n * ir.input.reduce((a, b) => a * b, 1) }, () => r() * 2 - 1) };
  const labels = Int32Array.from({ length: ir.task === 'segmentation' ? n * ir.input[0] * ir.input[1] : n }, () => Math.floor(r() * ir.classes));
  let torch: TorchResult;
  let ours: { logits: Float32Array; loss: number; grads: Record<string, Float32Array>; stats: Record<string, Float32Array> };

  beforeAll(() => {
    const req = { ir, weights: Object.fromEntries(Object.entries(weights).map(([k, w]) => [k, { shape: w.shape, data: [...w.data] }])), x: { shape: x.shape, data: [...x.data] }, y: [...labels] };
    torch = JSON.parse(execFileSync('/usr/bin/python3', [script], { input: JSON.stringify(req), maxBuffer: 1 << 26 }).toString());

    const before = tf.memory().numTensors;
    const model = buildModel(ir, weights);
    const xt = tf.tensor4d(x.data, x.shape as [number, number, number, number]);
    const y = oneHot(labels, ir.classes);
    const logits = model.apply(xt, { training: false });
    const { value, grads } = tf.variableGrads(() => lossOf(model.apply(xt, { training: true }), y), model.trainable);
    const byVariable = new Map([...model.variables].map(([name, v]) => [v.name, name]));
    ours = {
      logits: logits.dataSync() as Float32Array,
      loss: value.dataSync()[0],
      grads: Object.fromEntries(Object.entries(grads).map(([k, g]) => [byVariable.get(k)!, g.dataSync() as Float32Array])),
      stats: Object.fromEntries([...model.variables].filter(([, v]) => !v.trainable).map(([k, v]) => [k, v.dataSync() as Float32Array])),
    };
    tf.dispose([xt, y, logits, value, grads]);
    model.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('inference logits', () => expect(relErr(ours.logits, torch.logits)).toBeLessThan(1e-4));
  it('training loss', () => expect(Math.abs(ours.loss - torch.loss) / torch.loss).toBeLessThan(1e-4));
  it('every gradient', () => {
    expect(Object.keys(ours.grads).sort()).toEqual(Object.keys(torch.grads).sort());
    const errors = Object.fromEntries(Object.keys(torch.grads).map((k) => [k, relErr(ours.grads[k], torch.grads[k])]));
    const bad = Object.entries(errors).filter(([, e]) => !(e < 1e-4));
    expect(bad).toEqual([]);
  });
  it('batch-norm moving statistics after the step', () => {
    for (const k of Object.keys(torch.stats)) expect(relErr(ours.stats[k], torch.stats[k])).toBeLessThan(1e-4);
  });
});
