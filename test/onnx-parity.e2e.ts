// Exporter end to end: for random weights, onnxruntime runs the exported model and its output equals the
// tfjs reference within 1e-4 (max abs), for hand-built IRs that use every node kind (tfjs cpu and wasm
// backends) and for configurations of every template (wasm: 14x faster than cpu here; the smallest
// configurations on cpu too); every exported model passes python onnx's full checker.
import { nodeKinds, type ArchitectureIR, type WeightMap } from '@marl-hpo/arch';
import { exportOnnx, INPUT_NAME, OUTPUT_NAME } from '@marl-hpo/onnx';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import { fixtures, templateCases, withLogitsOutput } from './onnx-fixtures';
import { randomWeights, referenceLogits, rng } from './tfjs-reference';

const TOLERANCE = 1e-4;
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
