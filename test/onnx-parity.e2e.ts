/**
 * @jest-environment ../libs/profiler/jest.environment.js
 */
// (onnxruntime-node inside jest needs the typed-array constructors shared with the main realm.)
// Exporter end to end: for random weights, onnxruntime runs the exported model and its output equals the
// tfjs reference within 1e-4 (max abs), for hand-built IRs that use every node kind (tfjs cpu and wasm
// backends) and for configurations of every template (wasm: 14x faster than cpu here; the smallest
// configurations on cpu too); every exported model passes python onnx's full checker.
import { builtinTemplates, nodeKinds, valuesOf, type ArchitectureIR, type TemplateOptions, type WeightMap } from '@marl-hpo/arch';
import { decodeModel, encodeModel, exportOnnx, INPUT_NAME, OUTPUT_NAME } from '@marl-hpo/onnx';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import { randomWeights, referenceLogits, rng } from './tfjs-reference';

const TOLERANCE = 1e-4;
const conv = (name: string, filters: number, kernel: number, stride: number, padding: 'same' | 'valid', activation: 'relu' | 'linear' | 'sigmoid' | 'tanh', batchNorm: boolean) =>
  ({ kind: 'conv2d', name, filters, kernel, stride, padding, activation, batchNorm }) as const;
const convT = (name: string, filters: number, kernel: number, stride: number, padding: 'same' | 'valid', activation: 'relu' | 'linear' | 'sigmoid' | 'tanh', batchNorm: boolean) =>
  ({ kind: 'convTranspose', name, filters, kernel, stride, padding, activation, batchNorm }) as const;
const pool = (kind: 'maxPool' | 'avgPool', name: string, size: number, stride: number, padding: 'same' | 'valid') => ({ kind, name, size, stride, padding }) as const;

/** Hand-built IRs: every node kind, odd sizes (TF 'same' pads the odd pixel at the end), every activation. */
const fixtures: ArchitectureIR[] = [
  {
    template: 'every-kind',
    task: 'classification',
    input: [13, 11, 3],
    classes: 5,
    layers: [
      conv('c1', 6, 3, 2, 'same', 'relu', true),
      { kind: 'depthwiseConv2d', name: 'dw', kernel: 3, stride: 1, padding: 'same', depthMultiplier: 2, activation: 'tanh', batchNorm: false },
      conv('c2', 8, 2, 1, 'valid', 'sigmoid', false),
      { kind: 'inception', name: 'inc1', b1x1: 4, b3x3reduce: 3, b3x3: 5, b5x5reduce: 2, b5x5: 3, poolProj: 2, batchNorm: true },
      { kind: 'inception', name: 'inc2', b1x1: 0, b3x3reduce: 4, b3x3: 6, b5x5reduce: 0, b5x5: 0, poolProj: 3, batchNorm: false },
      { kind: 'inception', name: 'inc3', b1x1: 0, b3x3reduce: 0, b3x3: 0, b5x5reduce: 0, b5x5: 0, poolProj: 4, batchNorm: true }, // one branch: no Concat
      { kind: 'concat', name: 'cat', inputs: ['inc1', 'inc3', 'c2', 'inc2'] },
      pool('avgPool', 'ap', 3, 2, 'same'),
      pool('maxPool', 'mp', 2, 1, 'valid'),
      { kind: 'flatten', name: 'fl' },
      { kind: 'dropout', name: 'do', rate: 0.5 },
      { kind: 'dense', name: 'd1', units: 16, activation: 'relu' },
      { kind: 'dense', name: 'd2', units: 5, activation: 'linear' },
    ],
  },
  {
    template: 'global-pool',
    task: 'classification',
    input: [9, 9, 2],
    classes: 3,
    layers: [
      conv('c1', 4, 5, 2, 'valid', 'linear', true),
      pool('maxPool', 'mp', 2, 2, 'same'),
      { kind: 'depthwiseConv2d', name: 'dw', kernel: 3, stride: 2, padding: 'same', depthMultiplier: 3, activation: 'relu', batchNorm: true },
      { kind: 'globalAvgPool', name: 'gap' },
      { kind: 'dense', name: 'out', units: 3, activation: 'linear' },
    ],
  },
  {
    template: 'flatten-1x1',
    task: 'classification',
    input: [8, 8, 1],
    classes: 2,
    layers: [conv('c1', 3, 3, 3, 'valid', 'relu', false), pool('avgPool', 'ap', 2, 2, 'valid'), { kind: 'flatten', name: 'fl' }, { kind: 'dense', name: 'out', units: 2, activation: 'tanh' }],
  },
  {
    template: 'every-upsampling',
    task: 'segmentation',
    input: [12, 8, 3],
    classes: 4,
    layers: [
      conv('e1', 6, 3, 1, 'same', 'relu', true),
      pool('maxPool', 'p1', 2, 2, 'valid'),
      conv('e2', 8, 3, 1, 'same', 'relu', false),
      pool('maxPool', 'p2', 2, 2, 'same'),
      conv('mid', 8, 1, 1, 'same', 'tanh', false),
      { kind: 'upsample', name: 'u1', scale: 2, mode: 'nearest' },
      { kind: 'skip', name: 's1', from: 'e2' },
      conv('d1', 6, 3, 1, 'same', 'relu', true),
      convT('t1', 6, 3, 2, 'same', 'relu', true), // k > s
      { kind: 'skip', name: 's2', from: 'e1' },
      pool('maxPool', 'p3', 2, 2, 'valid'),
      { kind: 'upsample', name: 'u2', scale: 2, mode: 'bilinear' },
      convT('t2', 5, 1, 2, 'valid', 'linear', false), // k < s: output_padding
      pool('avgPool', 'p4', 2, 2, 'valid'),
      convT('t3', 6, 3, 2, 'valid', 'relu', true), // 2n + 1
      pool('maxPool', 'p5', 3, 2, 'valid'),
      convT('t4', 5, 2, 3, 'same', 'sigmoid', false), // k < s with 'same'
      pool('avgPool', 'p6', 3, 3, 'valid'),
      { kind: 'upsample', name: 'u3', scale: 3, mode: 'nearest' }, // scale 3: floor and round differ
      pool('avgPool', 'p7', 3, 3, 'valid'),
      { kind: 'upsample', name: 'u4', scale: 3, mode: 'bilinear' },
      conv('d2', 4, 3, 3, 'valid', 'linear', false),
    ],
  },
];

/** Baseline, smallest and seeded random configurations of every template, at inputs small enough for tfjs on cpu. */
function templateCases(): { label: string; ir: ArchitectureIR; configuration: unknown }[] {
  const inputs: Record<string, Partial<TemplateOptions>> = { vgg: { input: [28, 28, 1] }, inception: { input: [24, 24, 3] }, unet: { input: [32, 32, 3], classes: 3 } };
  const cases: { label: string; ir: ArchitectureIR; configuration: unknown }[] = [];
  for (const t of builtinTemplates) {
    const opts = inputs[t.name] ?? {};
    const space = t.space(opts);
    const add = (label: string, values: ReturnType<typeof valuesOf>) => cases.push({ label: `${t.name} ${label}`, ir: t.instantiate(values, opts), configuration: values });
    if (t.name !== 'unet') add('baseline', t.baseline(opts)); // unet's baseline is 3 GMACs: too slow for tfjs cpu in a test
    add('smallest', valuesOf(space, space.slots.map(() => 0)));
    const r = rng(t.name.length);
    for (let found = 0, tries = 0; found < 3 && tries < 50; tries++) {
      const values = valuesOf(space, space.slots.map((s) => Math.floor(r() * s.choices.length)));
      try {
        add(`random ${found}`, values);
        found++;
      } catch {
        // a configuration the template rejects (e.g. spatial size 0) is never exported
      }
    }
  }
  return cases;
}

/** The exported model with its logits (the Softmax input) as a second output, so parity is checked before softmax too. */
function withLogitsOutput(bytes: Uint8Array): { bytes: Uint8Array; logits: string } {
  const model = decodeModel(bytes);
  const softmax = model.graph!.node!.find((n) => n.output?.[0] === OUTPUT_NAME)!;
  const logits = softmax.input![0];
  model.graph!.output!.push({ name: logits, type: { tensor_type: { elem_type: 1 } } });
  return { bytes: encodeModel(model), logits };
}

const maxAbsDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
};

let tmp: string;
const exported: string[] = [];
/** PyTorch runs of exported models: [model, input, dims, output] for tools/onnx_torch_run.py, and what ORT gave. */
const torchJobs: { label: string; args: string[]; expected: Float32Array; output: string }[] = [];
beforeAll(async () => {
  tf.env().set('IS_TEST', true); // no "install tfjs-node" banner
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'onnx-parity-'));
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

type Backend = 'cpu' | 'wasm';

async function parity(backend: Backend, label: string, ir: ArchitectureIR, weights: WeightMap, configuration: unknown, batch: number, seed: number, withTorch = false) {
  await tf.setBackend(backend);
  await tf.ready();
  label = `${label} (${backend})`;
  const bytes = exportOnnx(ir, weights, { configuration, metrics: { accuracy: 0.5 } });
  const file = path.join(tmp, `${label.replace(/\W+/g, '-')}.onnx`);
  fs.writeFileSync(file, bytes);
  exported.push(file);

  const [h, w, c] = ir.input;
  const r = rng(seed);
  const nhwc = Float32Array.from({ length: batch * h * w * c }, () => r() * 2 - 1);
  const x = tf.tensor4d(nhwc, [batch, h, w, c]);
  const logitsRef = referenceLogits(ir, weights, x);
  const probsRef = tf.softmax(logitsRef);
  // ONNX is NCHW: feed the same batch transposed; segmentation outputs come back [N, classes, H, W].
  const nchw = tf.transpose(x, [0, 3, 1, 2]);
  const toNchw = (t: tf.Tensor) => (t.rank === 4 ? tf.transpose(t, [0, 3, 1, 2]) : t);
  const [expectedLogits, expectedProbs] = [toNchw(logitsRef), toNchw(probsRef)].map((t) => t.dataSync());

  const withLogits = withLogitsOutput(bytes);
  const session = await ort.InferenceSession.create(withLogits.bytes, { intraOpNumThreads: 1 });
  const input = nchw.dataSync() as Float32Array;
  const out = await session.run({ [INPUT_NAME]: new ort.Tensor('float32', input, [batch, c, h, w]) });
  await session.release();
  tf.dispose([x, logitsRef, probsRef, nchw]);

  const expectedShape = ir.task === 'segmentation' ? [batch, ir.classes, h, w] : [batch, ir.classes];
  expect({ label, dims: out[OUTPUT_NAME].dims }).toEqual({ label, dims: expectedShape });
  if (withTorch) {
    const stem = file.replace(/\.onnx$/, '');
    fs.writeFileSync(`${stem}.input.f32`, input);
    torchJobs.push({ label, args: [file, `${stem}.input.f32`, [batch, c, h, w].join(','), `${stem}.torch.f32`], expected: Float32Array.from(expectedProbs), output: `${stem}.torch.f32` });
  }
  const probs = maxAbsDiff(out[OUTPUT_NAME].data as Float32Array, expectedProbs);
  const logits = maxAbsDiff(out[withLogits.logits].data as Float32Array, expectedLogits);
  const scale = Math.max(1, ...Array.from(expectedLogits, Math.abs));
  expect({ label, probs: probs <= TOLERANCE, logits: logits / scale <= TOLERANCE }).toEqual({ label, probs: true, logits: true });
  return { probs, logits, scale };
}

describe('exported models equal the tfjs reference', () => {
  it('the hand-built IRs cover every node kind of arch and every activation', () => {
    const layers = fixtures.flatMap((ir) => ir.layers);
    expect(new Set(layers.map((l) => l.kind))).toEqual(new Set(nodeKinds));
    expect(new Set(layers.flatMap((l) => ('activation' in l ? [l.activation] : [])))).toEqual(new Set(['relu', 'linear', 'sigmoid', 'tanh']));
  });

  it.each(fixtures.map((ir) => [ir.template, ir] as const))('%s (every node kind), batch 1 and 3, tfjs cpu and wasm', async (label, ir) => {
    const weights = randomWeights(ir, 7);
    for (const backend of ['cpu', 'wasm'] as const) {
      for (const batch of [1, 3]) await parity(backend, `${label} batch ${batch}`, ir, weights, undefined, batch, batch, backend === 'cpu' && batch === 3);
    }
  });

  it('every template: baseline, smallest and random configurations', async () => {
    const report: Record<string, unknown> = {};
    const cases = templateCases();
    expect(new Set(cases.map((c) => c.ir.task))).toEqual(new Set(['classification', 'segmentation']));
    for (const [i, { label, ir, configuration }] of cases.entries()) {
      const weights = randomWeights(ir, 100 + i);
      for (const backend of label.endsWith('smallest') ? (['wasm', 'cpu'] as const) : (['wasm'] as const)) {
        const t0 = Date.now();
        report[`${label} (${backend})`] = { ...(await parity(backend, label, ir, weights, configuration, 2, i)), ms: Date.now() - t0 };
      }
    }
    if (process.env.ONNX_PARITY_REPORT) fs.writeFileSync(process.env.ONNX_PARITY_REPORT, JSON.stringify(report, null, 1));
  });

  it('PyTorch runs the exported every-kind models to the same output (tools/onnx_torch_run.py)', () => {
    expect(torchJobs.length).toBe(fixtures.length);
    execFileSync('/usr/bin/python3', [path.join(__dirname, '../tools/onnx_torch_run.py'), ...torchJobs.flatMap((j) => j.args)], { stdio: 'pipe' });
    for (const job of torchJobs) {
      const buf = fs.readFileSync(job.output);
      const torchOut = new Float32Array(buf.buffer, buf.byteOffset, buf.byteLength / 4);
      const diff = maxAbsDiff(torchOut, job.expected);
      expect({ label: job.label, close: diff <= TOLERANCE }).toEqual({ label: job.label, close: true });
    }
  });

  it('every exported model passes onnx.checker.check_model(full_check=True) (python onnx 1.12)', () => {
    expect(exported.length).toBeGreaterThan(fixtures.length * 2);
    const out = execFileSync('/usr/bin/python3', [path.join(__dirname, '../tools/onnx_check.py'), 'check', ...exported], { encoding: 'utf8' });
    const results = out.trim().split('\n').map((l) => JSON.parse(l));
    expect(results.filter((r) => !r.ok)).toEqual([]);
    expect(results.length).toBe(exported.length);
  });
});
