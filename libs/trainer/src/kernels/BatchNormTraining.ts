/**
 * BatchNormTraining (ours): batch normalisation with the batch's statistics, and an optional ReLU,
 * in three passes over x [..., C] (sums, centred squares, the affine map) instead of the ten tfjs
 * ops and temporaries it takes composed. Outputs [z, mean, variance (biased)]; the gradient is
 * BatchNormTrainingGrad's. Sums in float32 over blocks of rows, added up in float64.
 */
import type { KernelConfig, TensorInfo } from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { forBackends, type Heap } from './heap';
import { simdFor, type Simd } from './simd';
import { alloc, f32, free } from './wasm';

export const BATCH_NORM_TRAINING = 'BatchNormTraining';

export interface BatchNormAttrs {
  epsilon: number;
  /** A ReLU follows (fused). */
  relu: boolean;
}

/** Rows added up per float32 partial sum. */
export const ROW_BLOCK = 256;

/** Per-channel scale gamma / sqrt(var + eps) and shift beta - mean * scale: z = x * scale + shift. */
export function affineOf(gamma: Float32Array, beta: Float32Array, mean: ArrayLike<number>, variance: ArrayLike<number>, epsilon: number): { inv: Float64Array; scale: Float32Array; shift: Float32Array } {
  const c = gamma.length;
  const inv = new Float64Array(c);
  const scale = new Float32Array(c);
  const shift = new Float32Array(c);
  for (let k = 0; k < c; k++) {
    inv[k] = 1 / Math.sqrt(variance[k] + epsilon);
    scale[k] = gamma[k] * inv[k];
    shift[k] = beta[k] - mean[k] * gamma[k] * inv[k];
  }
  return { inv, scale, shift };
}

/**
 * Runs `block(r0, rows, parts)` over blocks of ROW_BLOCK rows, each adding into `count` zeroed float32
 * [cols] partials, and returns their float64 totals.
 */
export function blockSums(backend: BackendWasm, rows: number, cols: number, count: number, block: (r0: number, rows: number, parts: number[]) => void): Float64Array[] {
  const parts = Array.from({ length: count }, () => alloc(backend, [cols]));
  const ptrs = parts.map((t) => backend.getMemoryOffset(t.dataId));
  const totals = parts.map(() => new Float64Array(cols));
  for (let r0 = 0; r0 < rows; r0 += ROW_BLOCK) {
    for (const t of parts) f32(backend, t).fill(0);
    block(r0, Math.min(ROW_BLOCK, rows - r0), ptrs);
    parts.forEach((t, i) => {
      const p = f32(backend, t);
      for (let k = 0; k < cols; k++) totals[i][k] += p[k];
    });
  }
  free(backend, ...parts);
  return totals;
}

/** A [C] float32 tensor on the heap holding `values`. */
export function heapVector(backend: BackendWasm, values: ArrayLike<number>): TensorInfo {
  const t = alloc(backend, [values.length]);
  f32(backend, t).set(values);
  return t;
}

function plain(heap: Heap, inputs: { x: TensorInfo; gamma: TensorInfo; beta: TensorInfo }, { epsilon, relu }: BatchNormAttrs): TensorInfo[] {
  const { x } = inputs;
  const c = x.shape[x.shape.length - 1];
  const rows = x.shape.reduce((a, b) => a * b, 1) / c;
  const z = heap.alloc(x.shape);
  const [mt, vt] = [heap.alloc([c]), heap.alloc([c])];
  const xs = heap.read(x);
  const mean = new Float64Array(c);
  const variance = new Float64Array(c);
  for (let o = 0; o < rows * c; o++) mean[o % c] += xs[o];
  for (let k = 0; k < c; k++) mean[k] /= rows;
  for (let o = 0; o < rows * c; o++) variance[o % c] += (xs[o] - mean[o % c]) ** 2;
  for (let k = 0; k < c; k++) variance[k] /= rows;
  const { scale, shift } = affineOf(heap.read(inputs.gamma), heap.read(inputs.beta), mean, variance, epsilon);
  const zs = heap.write(z);
  for (let o = 0; o < rows * c; o++) {
    const v = xs[o] * scale[o % c] + shift[o % c];
    zs[o] = relu && !(v > 0) ? 0 : v;
  }
  heap.write(mt).set(mean);
  heap.write(vt).set(variance);
  return [heap.done(z), heap.done(mt), heap.done(vt)];
}

function viaSimd(backend: BackendWasm, simd: Simd, inputs: { x: TensorInfo; gamma: TensorInfo; beta: TensorInfo }, { epsilon, relu }: BatchNormAttrs): TensorInfo[] {
  const { x } = inputs;
  const c = x.shape[x.shape.length - 1];
  const rows = x.shape.reduce((a, b) => a * b, 1) / c;
  const xb = backend.getMemoryOffset(x.dataId);
  const [sum] = blockSums(backend, rows, c, 1, (r0, n, [p]) => simd.colSum(xb + r0 * c * 4, n, c, p));
  const mean = sum.map((v) => v / rows);
  const mt = heapVector(backend, mean);
  const mb = backend.getMemoryOffset(mt.dataId);
  const [squares] = blockSums(backend, rows, c, 1, (r0, n, [p]) => simd.bnSquares(xb + r0 * c * 4, n, c, mb, p));
  const variance = squares.map((v) => v / rows);
  const vt = heapVector(backend, variance);
  const { scale, shift } = affineOf(f32(backend, inputs.gamma), f32(backend, inputs.beta), mean, variance, epsilon);
  const [st, sh] = [heapVector(backend, scale), heapVector(backend, shift)];
  const z = alloc(backend, x.shape);
  const ptr = (t: TensorInfo) => backend.getMemoryOffset(t.dataId);
  (relu ? simd.bnApplyRelu : simd.bnApply)(ptr(x), ptr(z), rows, c, ptr(st), ptr(sh));
  free(backend, st, sh);
  return [z, mt, vt];
}

function wasm(backend: BackendWasm, inputs: { x: TensorInfo; gamma: TensorInfo; beta: TensorInfo }, attrs: BatchNormAttrs): TensorInfo[] {
  const c = inputs.x.shape[inputs.x.shape.length - 1];
  const simd = c % 4 === 0 ? simdFor(backend) : undefined;
  if (simd) return viaSimd(backend, simd, inputs, attrs);
  return plain({ alloc: (s) => alloc(backend, s), read: (t) => f32(backend, t), write: (t) => f32(backend, t), done: (t) => t }, inputs, attrs);
}

export const batchNormTrainingConfigs: KernelConfig[] = [
  { kernelName: BATCH_NORM_TRAINING, backendName: 'wasm', kernelFunc: (({ inputs, backend, attrs }: { inputs: never; backend: BackendWasm; attrs: BatchNormAttrs }) => wasm(backend, inputs, attrs)) as unknown as KernelConfig['kernelFunc'] },
  ...forBackends(BATCH_NORM_TRAINING, plain).filter((k) => k.backendName === 'cpu'),
];
