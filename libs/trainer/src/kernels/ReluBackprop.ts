/**
 * ReluBackprop (ours): for y = relu(conv + bias), the pre-activation gradient g = dy * (y > 0) and
 * the bias gradient sum(g) over every axis but the last, in one pass (instead of Step, Multiply, Sum).
 * Outputs [g, dbias]. Float32 partial sums over blocks of rows, added up in float64.
 */
import type { KernelConfig, TensorInfo } from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { forBackends, type Heap } from './heap';
import { simdFor } from './simd';
import { alloc, f32, free } from './wasm';

export const RELU_BACKPROP = 'ReluBackprop';
const ROW_BLOCK = 256;

function plain(heap: Heap, inputs: { dy: TensorInfo; y: TensorInfo }): TensorInfo[] {
  const { dy, y } = inputs;
  const cols = dy.shape[dy.shape.length - 1];
  const rows = dy.shape.reduce((a, b) => a * b, 1) / cols;
  const g = heap.alloc(dy.shape);
  const db = heap.alloc([cols]);
  const [dys, ys, gs] = [heap.read(dy), heap.read(y), heap.write(g)];
  const acc = new Float64Array(cols);
  for (let r = 0; r < rows; r++) {
    for (let c = 0, o = r * cols; c < cols; c++, o++) {
      const v = ys[o] > 0 ? dys[o] : 0;
      gs[o] = v;
      acc[c] += v;
    }
  }
  heap.write(db).set(acc);
  return [heap.done(g), heap.done(db)];
}

function wasm(backend: BackendWasm, inputs: { dy: TensorInfo; y: TensorInfo }): TensorInfo[] {
  const { dy, y } = inputs;
  const cols = dy.shape[dy.shape.length - 1];
  const simd = cols % 4 === 0 ? simdFor(backend) : undefined;
  if (!simd) return plain({ alloc: (s) => alloc(backend, s), read: (t) => f32(backend, t), write: (t) => f32(backend, t), done: (t) => t }, inputs);
  const rows = dy.shape.reduce((a, b) => a * b, 1) / cols;
  const g = alloc(backend, dy.shape);
  const db = alloc(backend, [cols]);
  const part = alloc(backend, [cols]);
  const [dyb, yb, gb, pb] = [dy, y, g, part].map((t) => backend.getMemoryOffset(t.dataId));
  const acc = new Float64Array(cols);
  for (let r0 = 0; r0 < rows; r0 += ROW_BLOCK) {
    f32(backend, part).fill(0);
    const off = r0 * cols * 4;
    simd.reluBackprop(dyb + off, yb + off, gb + off, Math.min(ROW_BLOCK, rows - r0), cols, pb);
    const p = f32(backend, part);
    for (let c = 0; c < cols; c++) acc[c] += p[c];
  }
  f32(backend, db).set(acc);
  free(backend, part);
  return [g, db];
}

export const reluBackpropConfigs: KernelConfig[] = [
  { kernelName: RELU_BACKPROP, backendName: 'wasm', kernelFunc: (({ inputs, backend }: { inputs: never; backend: BackendWasm }) => wasm(backend, inputs)) as unknown as KernelConfig['kernelFunc'] },
  ...forBackends(RELU_BACKPROP, plain).filter((k) => k.backendName === 'cpu'),
];
