/**
 * BatchNormTrainingGrad (ours): the gradient of BatchNormTraining (and of its fused ReLU, whose
 * mask is recomputed from x). With g the gradient at the batch norm's output, xhat = (x - mean) inv,
 * inv = 1 / sqrt(var + eps), over M = rows values per channel: dbeta = sum g, dgamma = sum g xhat,
 * dx = gamma inv / M (M g - dbeta - xhat dgamma) = a g + b x + c per channel. Two passes (sums, then
 * dx). Outputs [dx, dgamma, dbeta].
 */
import type { KernelConfig, TensorInfo } from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { affineOf, blockSums, heapVector, type BatchNormAttrs } from './BatchNormTraining';
import { forBackends, type Heap } from './heap';
import { simdFor, type Simd } from './simd';
import { alloc, f32, free } from './wasm';

export const BATCH_NORM_TRAINING_GRAD = 'BatchNormTrainingGrad';

interface Inputs {
  dz: TensorInfo;
  x: TensorInfo;
  gamma: TensorInfo;
  beta: TensorInfo;
  mean: TensorInfo;
  variance: TensorInfo;
}

/** dgamma, dbeta and the per-channel coefficients of dx = a g + b x + c. */
function coefficients(gamma: Float32Array, mean: Float32Array, inv: Float64Array, sumG: Float64Array, sumGX: Float64Array, rows: number) {
  const n = gamma.length;
  const [a, b, c, dgamma] = [new Float32Array(n), new Float32Array(n), new Float32Array(n), new Float32Array(n)];
  for (let k = 0; k < n; k++) {
    const dg = inv[k] * sumGX[k];
    const gi = gamma[k] * inv[k];
    dgamma[k] = dg;
    a[k] = gi;
    b[k] = (-gi * inv[k] * dg) / rows;
    c[k] = (-gi * sumG[k] + gi * inv[k] * dg * mean[k]) / rows;
  }
  return { a, b, c, dgamma, dbeta: Float32Array.from(sumG) };
}

function plain(heap: Heap, inputs: Inputs, { epsilon, relu }: BatchNormAttrs): TensorInfo[] {
  const { dz, x } = inputs;
  const n = x.shape[x.shape.length - 1];
  const rows = x.shape.reduce((p, q) => p * q, 1) / n;
  const [dx, dgt, dbt] = [heap.alloc(x.shape), heap.alloc([n]), heap.alloc([n])];
  const [dzs, xs, gamma, mean] = [heap.read(dz), heap.read(x), heap.read(inputs.gamma), heap.read(inputs.mean)];
  const { inv, scale, shift } = affineOf(gamma, heap.read(inputs.beta), mean, heap.read(inputs.variance), epsilon);
  const g = (o: number) => (relu && !(xs[o] * scale[o % n] + shift[o % n] > 0) ? 0 : dzs[o]);
  const sumG = new Float64Array(n);
  const sumGX = new Float64Array(n);
  for (let o = 0; o < rows * n; o++) {
    sumG[o % n] += g(o);
    sumGX[o % n] += g(o) * (xs[o] - mean[o % n]);
  }
  const { a, b, c, dgamma, dbeta } = coefficients(gamma, mean, inv, sumG, sumGX, rows);
  const out = heap.write(dx);
  for (let o = 0; o < rows * n; o++) out[o] = a[o % n] * g(o) + b[o % n] * xs[o] + c[o % n];
  heap.write(dgt).set(dgamma);
  heap.write(dbt).set(dbeta);
  return [heap.done(dx), heap.done(dgt), heap.done(dbt)];
}

function viaSimd(backend: BackendWasm, simd: Simd, inputs: Inputs, { epsilon, relu }: BatchNormAttrs): TensorInfo[] {
  const { dz, x } = inputs;
  const n = x.shape[x.shape.length - 1];
  const rows = x.shape.reduce((p, q) => p * q, 1) / n;
  const gamma = f32(backend, inputs.gamma).slice();
  const mean = f32(backend, inputs.mean).slice();
  const { inv, scale, shift } = affineOf(gamma, f32(backend, inputs.beta), mean, f32(backend, inputs.variance), epsilon);
  const [st, sh] = [heapVector(backend, scale), heapVector(backend, shift)];
  const ptr = (t: TensorInfo) => backend.getMemoryOffset(t.dataId);
  const [dzb, xb] = [ptr(dz), ptr(x)];
  const sums = relu ? simd.bnGradSumsRelu : simd.bnGradSums;
  const [sumG, sumGX] = blockSums(backend, rows, n, 2, (r0, count, [pg, pgx]) => sums(dzb + r0 * n * 4, xb + r0 * n * 4, count, n, ptr(st), ptr(sh), ptr(inputs.mean), pg, pgx));
  const { a, b, c, dgamma, dbeta } = coefficients(gamma, mean, inv, sumG, sumGX, rows);
  const [at, bt, ct] = [heapVector(backend, a), heapVector(backend, b), heapVector(backend, c)];
  const dx = alloc(backend, x.shape);
  (relu ? simd.bnGradApplyRelu : simd.bnGradApply)(dzb, xb, ptr(dx), rows, n, ptr(st), ptr(sh), ptr(at), ptr(bt), ptr(ct));
  free(backend, st, sh, at, bt, ct);
  return [dx, heapVector(backend, dgamma), heapVector(backend, dbeta)];
}

function wasm(backend: BackendWasm, inputs: Inputs, attrs: BatchNormAttrs): TensorInfo[] {
  const n = inputs.x.shape[inputs.x.shape.length - 1];
  const simd = n % 4 === 0 ? simdFor(backend) : undefined;
  if (simd) return viaSimd(backend, simd, inputs, attrs);
  return plain({ alloc: (s) => alloc(backend, s), read: (t) => f32(backend, t), write: (t) => f32(backend, t), done: (t) => t }, inputs, attrs);
}

export const batchNormTrainingGradConfigs: KernelConfig[] = [
  { kernelName: BATCH_NORM_TRAINING_GRAD, backendName: 'wasm', kernelFunc: (({ inputs, backend, attrs }: { inputs: never; backend: BackendWasm; attrs: BatchNormAttrs }) => wasm(backend, inputs, attrs)) as unknown as KernelConfig['kernelFunc'] },
  ...forBackends(BATCH_NORM_TRAINING_GRAD, plain).filter((k) => k.backendName === 'cpu'),
];
