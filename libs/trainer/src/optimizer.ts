/**
 * Adam and SGD (with momentum), same update rules as torch.optim.Adam / SGD. One pass per weight:
 * on wasm a SIMD loop over the heap (state kept there), elsewhere a plain loop with the state in
 * JS arrays; each step makes one new tensor per weight (never writes a weight in place: XNNPACK
 * caches packed weights by tensor).
 */
import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { simdFor, type Simd } from './kernels/simd';
import { alloc, f32 } from './kernels/wasm';

export interface OptimizerOptions {
  kind: 'adam' | 'sgd';
  learningRate: number;
  /** SGD momentum. Default 0. */
  momentum?: number;
  beta1?: number;
  beta2?: number;
  epsilon?: number;
}

interface State {
  m?: Float32Array;
  v?: Float32Array;
  /** Heap copies of m and v for the SIMD path. */
  heap?: { m: tf.TensorInfo; v: tf.TensorInfo };
}

export class Optimizer {
  private step = 0;
  private readonly state = new Map<tf.Variable, State>();
  private backend?: BackendWasm;

  constructor(private readonly o: OptimizerOptions) {}

  /** Applies one update; `grads[i]` is the gradient of `vars[i]` (the caller disposes the gradients). */
  apply(vars: tf.Variable[], grads: tf.Tensor[]): void {
    this.step++;
    const { kind, learningRate: lr, momentum = 0, beta1 = 0.9, beta2 = 0.999, epsilon = 1e-8 } = this.o;
    const a = lr / (1 - beta1 ** this.step);
    const s = 1 / Math.sqrt(1 - beta2 ** this.step);
    const simd = kind === 'adam' && tf.getBackend() === 'wasm' ? simdFor((this.backend = tf.backend() as BackendWasm)) : undefined;
    vars.forEach((variable, i) => {
      const st = this.state.get(variable) ?? {};
      this.state.set(variable, st);
      const n = variable.size;
      if (simd && n % 4 === 0) {
        this.adamWasm(simd, variable, grads[i], st, [a, beta1, beta2, s, epsilon]);
        return;
      }
      const g = grads[i].dataSync() as Float32Array;
      const p = (variable.dataSync() as Float32Array).slice();
      if (kind === 'adam') {
        const m = (st.m ??= new Float32Array(n));
        const v = (st.v ??= new Float32Array(n));
        for (let j = 0; j < n; j++) {
          const gj = g[j];
          const mj = (m[j] = beta1 * m[j] + (1 - beta1) * gj);
          const vj = (v[j] = beta2 * v[j] + (1 - beta2) * gj * gj);
          p[j] -= (a * mj) / (Math.sqrt(vj) * s + epsilon);
        }
      } else if (momentum > 0) {
        const m = (st.m ??= new Float32Array(n));
        for (let j = 0; j < n; j++) p[j] -= lr * (m[j] = momentum * m[j] + g[j]);
      } else {
        for (let j = 0; j < n; j++) p[j] -= lr * g[j];
      }
      tf.tidy(() => variable.assign(tf.tensor(p, variable.shape, 'float32')));
    });
  }

  private adamWasm(simd: Simd, variable: tf.Variable, grad: tf.Tensor, st: State, [a, b1, b2, s, eps]: number[]): void {
    const backend = tf.backend() as BackendWasm;
    if (!st.heap) {
      st.heap = { m: alloc(backend, variable.shape), v: alloc(backend, variable.shape) };
      f32(backend, st.heap.m).fill(0);
      f32(backend, st.heap.v).fill(0);
    }
    const out = alloc(backend, variable.shape);
    const ptr = (t: tf.TensorInfo) => backend.getMemoryOffset(t.dataId);
    simd.adam(ptr(variable), ptr(grad), ptr(st.heap.m), ptr(st.heap.v), ptr(out), variable.size, a, b1, b2, s, eps);
    tf.tidy(() => variable.assign(tf.engine().makeTensorFromTensorInfo(out)));
  }

  /** Frees the optimizer state held on the wasm heap. */
  dispose(): void {
    for (const st of this.state.values()) {
      if (st.heap) {
        this.backend?.disposeData(st.heap.m.dataId);
        this.backend?.disposeData(st.heap.v.dataId);
      }
    }
    this.state.clear();
  }
}
