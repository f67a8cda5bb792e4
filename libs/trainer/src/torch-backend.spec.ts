// The torch backend (python/marl_hpo_torch) builds what the IR means: for every template and for
// IRs that use every node kind, its PyTorch model has the IR's parameter count; onnxruntime on
// the ONNX it exports gives torch's own output (1e-4); and its weights, exported by our own
// exporter (libs/onnx, itself checked against the tfjs trainer), give the same output too, so
// both backends train the same function of the same weights. With TORCH_PARITY_JSON=<file> the
// measured figures (parameter counts, largest output differences) are written there as JSON.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import { customTemplate, getTemplate, summarize, valuesOf, type ArchitectureIR, type Template, type TemplateOptions, type WeightMap } from '@marl-hpo/arch';
import type { Dataset } from '@marl-hpo/data';
import { exportOnnx } from '@marl-hpo/onnx';
import { checkModel } from './check-model';

const script = path.join(__dirname, '../../../python/tests/parity.py');
const out = fs.mkdtempSync(path.join(os.tmpdir(), 'torch-backend-parity-'));
afterAll(() => fs.rmSync(out, { recursive: true, force: true }));
const figures: Record<string, { torchParams?: number; irParams?: number; onnxruntimeVsTorch?: number; ourExporterVsTorch?: number }> = {};
afterAll(() => {
  if (process.env.TORCH_PARITY_JSON) fs.writeFileSync(process.env.TORCH_PARITY_JSON, JSON.stringify({ tolerance: 1e-4, cases: figures }, null, 1) + '\n');
});

interface Parity {
  params: number;
  x: { shape: number[]; data: number[] };
  probabilities: { shape: number[]; data: number[] };
  onnx: string;
  weights: string;
  index: Record<string, { shape: number[]; offset: number }>;
}

const custom = customTemplate({
  name: 'tiny-custom',
  task: 'classification',
  input: [16, 16, 3],
  classes: 5,
  slots: [
    { name: 'c1', choices: [4, 8] },
    { name: 'k', choices: [3, 4] },
    { name: 'pool', choices: ['maxPool', 'avgPool'] },
  ],
  baseline: { c1: 8, k: 3, pool: 'maxPool' },
  layers: [
    { kind: 'conv2d', name: 'c1', filters: { slot: 'c1' }, kernel: { slot: 'k' }, stride: 2, batchNorm: true },
    { kind: 'depthwiseConv2d', name: 'dw', kernel: 3, depthMultiplier: 2 },
    { kind: { slot: 'pool' }, name: 'p', size: 3, stride: 2, padding: 'same' },
    { kind: 'flatten', name: 'f' },
    { kind: 'dropout', name: 'drop', rate: 0.3 },
    { kind: 'dense', name: 'logits', units: 5, activation: 'linear' },
  ],
});

const everyKind: ArchitectureIR = {
  template: 'every-kind',
  task: 'segmentation',
  input: [20, 20, 3],
  classes: 3,
  layers: [
    { kind: 'conv2d', name: 'c1', filters: 8, kernel: 5, stride: 2, padding: 'same', activation: 'relu', batchNorm: true },
    { kind: 'depthwiseConv2d', name: 'dw', kernel: 3, stride: 1, padding: 'valid', depthMultiplier: 2, activation: 'relu', batchNorm: false },
    { kind: 'avgPool', name: 'ap', size: 3, stride: 2, padding: 'same' },
    { kind: 'upsample', name: 'up0', scale: 2, mode: 'bilinear' },
    { kind: 'inception', name: 'inc', b1x1: 4, b3x3reduce: 3, b3x3: 5, b5x5reduce: 2, b5x5: 3, poolProj: 2, batchNorm: true },
    { kind: 'concat', name: 'cat', inputs: ['dw', 'inc'] },
    { kind: 'upsample', name: 'up', scale: 2, mode: 'nearest' },
    { kind: 'convTranspose', name: 'ct', filters: 6, kernel: 3, stride: 1, padding: 'valid', activation: 'relu', batchNorm: false },
    { kind: 'maxPool', name: 'mp', size: 2, stride: 2, padding: 'valid' },
    { kind: 'convTranspose', name: 'ct2', filters: 5, kernel: 3, stride: 2, padding: 'same', activation: 'linear', batchNorm: true },
    { kind: 'skip', name: 'sk', from: 'ct' },
    { kind: 'dropout', name: 'drop', rate: 0.2 },
    { kind: 'conv2d', name: 'c2', filters: 16, kernel: 1, stride: 1, padding: 'valid', activation: 'tanh', batchNorm: false },
    { kind: 'maxPool', name: 'mp2', size: 3, stride: 2, padding: 'same' },
    { kind: 'conv2d', name: 'c3', filters: 3, kernel: 4, stride: 1, padding: 'same', activation: 'sigmoid', batchNorm: false },
    { kind: 'convTranspose', name: 'ct3', filters: 3, kernel: 4, stride: 2, padding: 'valid', activation: 'linear', batchNorm: false },
    { kind: 'convTranspose', name: 'ct4', filters: 3, kernel: 1, stride: 2, padding: 'same', activation: 'linear', batchNorm: false },
    { kind: 'avgPool', name: 'ap2', size: 2, stride: 2, padding: 'valid' },
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
    { kind: 'dense', name: 'd2', units: 6, activation: 'tanh' },
    { kind: 'dense', name: 'logits', units: 4, activation: 'linear' },
  ],
};

const cases: [string, ArchitectureIR][] = [
  ['every node kind', everyKind],
  ['vector kinds', vectorKinds],
];
const templates: [Template, Partial<TemplateOptions>][] = [
  [getTemplate('vgg'), { input: [16, 16, 1], classes: 10, batchNorm: true }],
  [getTemplate('inception'), { input: [28, 28, 1], classes: 10, batchNorm: true }],
  [getTemplate('unet'), { input: [32, 32, 3], classes: 3 }],
  [custom, {}],
];
for (const [t, opts] of templates) {
  cases.push([`${t.name} baseline`, t.instantiate(t.baseline(opts), opts)]);
  const space = t.space(opts);
  // Two spread-out configurations: slot i takes choice (k * (i + 3)) mod its size.
  for (const k of [1, 2]) {
    const config = space.slots.map((slot, i) => (k * (i + 3)) % slot.choices.length);
    cases.push([`${t.name} ${config.join('')}`, t.instantiate(valuesOf(space, config), opts)]);
  }
}

const results: Parity[] = JSON.parse(execFileSync('/usr/bin/python3', [script], { input: JSON.stringify({ irs: cases.map(([, ir]) => ir), out, batch: 3 }), maxBuffer: 1 << 28 }).toString());

async function run(model: Uint8Array | string, x: Parity['x']): Promise<Float32Array> {
  const session = await ort.InferenceSession.create(model as Uint8Array, { graphOptimizationLevel: 'disabled' });
  const r = await session.run({ input: new ort.Tensor('float32', Float32Array.from(x.data), x.shape) });
  await session.release();
  return r.probabilities.data as Float32Array;
}

const maxDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  expect(a.length).toBe(b.length);
  let d = 0;
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i] - b[i]));
  return d;
};

describe.each(cases.map(([label, ir], i) => [label, ir, i] as const))('%s', (label, ir, i) => {
  const r = results[i];
  const figure = (figures[label] ??= {});

  it("has the IR's parameter count", () => {
    Object.assign(figure, { torchParams: r.params, irParams: summarize(ir).params });
    expect(r.params).toBe(summarize(ir).params);
  });

  it("exports ONNX that onnxruntime runs to torch's output (1e-4), within the model contract", async () => {
    const bytes = fs.readFileSync(r.onnx);
    figure.onnxruntimeVsTorch = maxDiff(await run(bytes, r.x), r.probabilities.data);
    expect(figure.onnxruntimeVsTorch).toBeLessThan(1e-4);
    const [h, w, c] = ir.input;
    const ctx = { dataset: { task: ir.task, shape: [h, w, c], classes: Array.from({ length: ir.classes }, String), name: 'x', normalize: { mean: [0], std: [1] } } as unknown as Dataset, datasetSpec: { spec: 'x', options: {} }, seed: 0 };
    expect(() => checkModel(bytes, { proposal: 0, ir, values: {}, fidelity: { epochs: 1 } }, ctx, {}, 'model.onnx')).not.toThrow();
  });

  it('computes the function the IR means: its weights through our exporter give the same output (1e-4)', async () => {
    const file = fs.readFileSync(r.weights);
    const all = new Float32Array(file.buffer.slice(file.byteOffset, file.byteOffset + file.length));
    const weights: WeightMap = {};
    for (const [name, { shape, offset }] of Object.entries(r.index)) weights[name] = { shape, data: all.slice(offset, offset + shape.reduce((a, b) => a * b, 1)) };
    const ours = await run(exportOnnx(ir, weights), r.x);
    figure.ourExporterVsTorch = maxDiff(ours, r.probabilities.data);
    expect(figure.ourExporterVsTorch).toBeLessThan(1e-4);
    // The output is not trivially uniform (the comparison would prove nothing).
    expect(Math.max(...ours) - Math.min(...ours)).toBeGreaterThan(1e-3);
  });
});
