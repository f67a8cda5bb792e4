import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { getTemplate, summarize, valuesOf, type ArchitectureIR, type TemplateOptions } from './index';

// Shapes, parameters and MACs of our cost model against the same networks built with torch.nn
// (tools/arch/torch_reference.py: real forward pass, parameters(), hooks on conv/linear layers).
const script = path.join(__dirname, '../../../tools/arch/torch_reference.py');
function torchReference(irs: ArchitectureIR[]): { params: number; macs: number; layers: { name: string; outputShape: number[]; params: number; macs: number }[] }[] {
  return JSON.parse(execFileSync('/usr/bin/python3', [script], { input: JSON.stringify(irs), maxBuffer: 1 << 26 }).toString());
}

/** Deterministic pseudo-random configuration indexes (mulberry32). */
function randomIndexes(sizes: number[], seed: number): number[] {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return sizes.map((n) => Math.floor(next() * n));
}

const everyKind: ArchitectureIR = {
  template: 'every-kind',
  task: 'segmentation',
  input: [20, 20, 3],
  classes: 3,
  layers: [
    { kind: 'conv2d', name: 'c1', filters: 8, kernel: 5, stride: 2, padding: 'same', activation: 'relu', batchNorm: true },
    { kind: 'depthwiseConv2d', name: 'dw', kernel: 3, stride: 1, padding: 'valid', depthMultiplier: 2, activation: 'relu', batchNorm: false },
    { kind: 'avgPool', name: 'ap', size: 3, stride: 1, padding: 'same' },
    { kind: 'inception', name: 'inc', b1x1: 4, b3x3reduce: 3, b3x3: 5, b5x5reduce: 2, b5x5: 3, poolProj: 2, batchNorm: true },
    { kind: 'concat', name: 'cat', inputs: ['dw', 'inc'] },
    { kind: 'upsample', name: 'up', scale: 2, mode: 'nearest' },
    { kind: 'convTranspose', name: 'ct', filters: 6, kernel: 3, stride: 1, padding: 'valid', activation: 'relu', batchNorm: false },
    { kind: 'maxPool', name: 'mp', size: 2, stride: 2, padding: 'valid' },
    { kind: 'convTranspose', name: 'ct2', filters: 5, kernel: 3, stride: 2, padding: 'same', activation: 'linear', batchNorm: true },
    { kind: 'skip', name: 'sk', from: 'ct' },
    { kind: 'dropout', name: 'drop', rate: 0.2 },
    { kind: 'upsample', name: 'up2', scale: 1, mode: 'bilinear' },
    { kind: 'conv2d', name: 'c2', filters: 16, kernel: 1, stride: 1, padding: 'valid', activation: 'tanh', batchNorm: false },
    { kind: 'conv2d', name: 'c3', filters: 3, kernel: 7, stride: 2, padding: 'same', activation: 'sigmoid', batchNorm: false },
    { kind: 'convTranspose', name: 'ct3', filters: 3, kernel: 4, stride: 2, padding: 'valid', activation: 'linear', batchNorm: false },
  ],
};
const vectorKinds: ArchitectureIR = {
  template: 'vector-kinds',
  task: 'classification',
  input: [9, 7, 2],
  classes: 4,
  layers: [
    { kind: 'conv2d', name: 'c', filters: 3, kernel: 3, stride: 2, padding: 'valid', activation: 'relu', batchNorm: false },
    { kind: 'flatten', name: 'f' },
    { kind: 'dense', name: 'd', units: 5, activation: 'sigmoid' },
    { kind: 'dropout', name: 'drop', rate: 0.5 },
    { kind: 'dense', name: 'logits', units: 4, activation: 'linear' },
  ],
};

describe('cost model equals PyTorch', () => {
  const cases: [string, ArchitectureIR][] = [['every node kind', everyKind], ['vector kinds', vectorKinds]];
  const sizes: [string, Partial<TemplateOptions>][] = [
    ['vgg', { input: [28, 28, 1], classes: 10 }],
    ['vgg', { input: [32, 32, 3], classes: 100 }],
    ['inception', { input: [28, 28, 1], classes: 10 }],
    ['inception', { input: [128, 128, 3], classes: 7 }],
    ['unet', { input: [64, 64, 3], classes: 4 }],
    ['unet', { input: [28, 28, 1], classes: 2 }],
  ];
  for (const [name, opts] of sizes) {
    const t = getTemplate(name);
    cases.push([`${name} ${opts.input} baseline`, t.instantiate(t.baseline(opts), opts)]);
    const space = t.space(opts);
    for (let seed = 1; seed <= 4; seed++) {
      const config = randomIndexes(space.slots.map((s) => s.choices.length), seed * 7919 + name.length);
      cases.push([`${name} ${opts.input} random ${config.join('')}`, t.instantiate(valuesOf(space, config), opts)]);
    }
  }
  const reference = torchReference(cases.map(([, ir]) => ir));

  test.each(cases.map(([label, ir], i) => [label, ir, i] as const))('%s', (_label, ir, i) => {
    const ours = summarize(ir);
    expect(ours.layers.map((l) => ({ name: l.name, outputShape: l.outputShape, params: l.params, macs: l.macs }))).toEqual(reference[i].layers);
    expect(ours.params).toBe(reference[i].params);
    expect(ours.macs).toBe(reference[i].macs);
  });
});

test('VGG-16 at 224x224x3 with 1000 classes has 138,357,544 parameters, as torchvision defines it', () => {
  const t = getTemplate('vgg');
  const opts = { input: [224, 224, 3], classes: 1000 };
  const ours = summarize(t.instantiate(t.baseline(opts), opts));
  const torchvision = JSON.parse(execFileSync('/usr/bin/python3', [script, '--vgg16']).toString()).params;
  expect(ours.params).toBe(138_357_544);
  expect(torchvision).toBe(138_357_544);
  expect(ours.layers.filter((l) => l.kind === 'conv2d')).toHaveLength(13);
  expect(ours.layers.filter((l) => l.kind === 'dense').map((l) => l.outputShape[0])).toEqual([4096, 4096, 1000]);
});
