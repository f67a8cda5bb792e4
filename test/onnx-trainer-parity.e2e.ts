// The pipeline's own contract: for the same IR and weights, onnxruntime on the exported model gives the
// logits and probabilities of libs/trainer's predict (the model that was trained) within 1e-4.
import type { ArchitectureIR } from '@marl-hpo/arch';
import { exportOnnx, INPUT_NAME, OUTPUT_NAME } from '@marl-hpo/onnx';
import { predict } from '@marl-hpo/trainer';
import * as ort from 'onnxruntime-node';
import { fixtures, templateCases, withLogitsOutput } from './onnx-fixtures';
import { randomWeights, rng } from './tfjs-reference';

const TOLERANCE = 1e-4;

/** NHWC [N, H, W, C] -> NCHW, and back for [N, H, W, K] outputs. */
function toNchw(data: Float32Array, [n, h, w, c]: number[]): Float32Array {
  const out = new Float32Array(data.length);
  for (let b = 0; b < n; b++) for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) for (let k = 0; k < c; k++) out[((b * c + k) * h + y) * w + x] = data[((b * h + y) * w + x) * c + k];
  return out;
}

function softmaxLastAxis(data: Float32Array, classes: number): Float32Array {
  const out = new Float32Array(data.length);
  for (let i = 0; i < data.length; i += classes) {
    let max = -Infinity;
    for (let k = 0; k < classes; k++) max = Math.max(max, data[i + k]);
    let sum = 0;
    for (let k = 0; k < classes; k++) sum += out[i + k] = Math.exp(data[i + k] - max);
    for (let k = 0; k < classes; k++) out[i + k] /= sum;
  }
  return out;
}

const maxAbs = (a: Float32Array, b: Float32Array) => a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i])), 0);

async function check(label: string, ir: ArchitectureIR, seed: number, backend: 'cpu' | 'wasm') {
  const weights = randomWeights(ir, seed);
  const [h, w, c] = ir.input;
  const batch = 2;
  const r = rng(seed + 1);
  const x = Float32Array.from({ length: batch * h * w * c }, () => r() * 2 - 1);
  const logits = await predict(ir, weights, { shape: [batch, h, w, c], data: x }, { backend });
  const probs = softmaxLastAxis(logits.data, ir.classes);
  const spatial = logits.shape.length === 4;
  const [expectedLogits, expectedProbs] = spatial ? [toNchw(logits.data, logits.shape), toNchw(probs, logits.shape)] : [logits.data, probs];

  const model = withLogitsOutput(exportOnnx(ir, weights));
  const session = await ort.InferenceSession.create(model.bytes, { intraOpNumThreads: 1 });
  const out = await session.run({ [INPUT_NAME]: new ort.Tensor('float32', toNchw(x, [batch, h, w, c]), [batch, c, h, w]) });
  await session.release();
  const scale = Math.max(1, ...Array.from(expectedLogits, Math.abs));
  const result = {
    probs: maxAbs(out[OUTPUT_NAME].data as Float32Array, expectedProbs) <= TOLERANCE,
    logits: maxAbs(out[model.logits].data as Float32Array, expectedLogits) / scale <= TOLERANCE,
  };
  expect({ label, backend, ...result }).toEqual({ label, backend, probs: true, logits: true });
}

it.each(fixtures.map((ir) => [ir.template, ir] as const))('%s (every node kind): trainer predict on cpu and wasm = onnxruntime', async (label, ir) => {
  for (const backend of ['cpu', 'wasm'] as const) await check(label, ir, 11, backend);
});

it('every template (baseline, smallest, random configurations): trainer predict (wasm) = onnxruntime', async () => {
  for (const [i, { label, ir }] of templateCases().entries()) await check(label, ir, 200 + i, 'wasm');
});
