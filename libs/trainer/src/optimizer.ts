/**
 * Adam and SGD (with momentum), same update rules as torch.optim.Adam / SGD, after optional
 * clipping of the global gradient norm (torch.nn.utils.clip_grad_norm_). One pass per weight:
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
  /** Scale all gradients down when their global L2 norm exceeds this (as torch's clip_grad_norm_). */
  clipNorm?: number;
}

export interface StepInfo {
  /** Global L2 norm of the gradients before clipping. */
  gradNorm: number;
  /** Factor the gradients were multiplied by (1 when not clipped). */
  scale: number;
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

  /**
   * Applies one update; `grads[i]` is the gradient of `vars[i]` (the caller disposes the gradients).
   * `learningRate` overrides the constructor's for this step (a schedule).
   */
  apply(vars: tf.Variable[], grads: tf.Tensor[], learningRate = this.o.learningRate): StepInfo {
    this.step++;
    const { kind, momentum = 0, beta1 = 0.9, beta2 = 0.999, epsilon = 1e-8, clipNorm } = this.o;
    const lr = learningRate;
    const a = lr / (1 - beta1 ** this.step);
    const s = 1 / Math.sqrt(1 - beta2 ** this.step);
    const wasm = tf.getBackend() === 'wasm' ? (this.backend = tf.backend() as BackendWasm) : undefined;
    const view = (t: tf.Tensor) => (wasm ? (f32(wasm, t) as Float32Array) : (t.dataSync() as Float32Array));
    let sq = 0;
    for (const g of grads) {
      const d = view(g);
      for (let j = 0; j < d.length; j++) sq += d[j] * d[j];
    }
    const gradNorm = Math.sqrt(sq);
    // torch: clip_coef = max_norm / (total_norm + 1e-6), applied when below 1.
    const scale = clipNorm !== undefined && clipNorm / (gradNorm + 1e-6) < 1 ? clipNorm / (gradNorm + 1e-6) : 1;
    const simd = kind === 'adam' && wasm ? simdFor(wasm) : undefined;
    vars.forEach((variable, i) => {
      const st = this.state.get(variable) ?? {};
      this.state.set(variable, st);
      const n = variable.size;
      if (simd && n % 4 === 0) {
        this.adamWasm(simd, variable, grads[i], st, [a, beta1, beta2, s, epsilon, scale]);
        return;
      }
      const g = grads[i].dataSync() as Float32Array;
      const p = (variable.dataSync() as Float32Array).slice();
      if (kind === 'adam') {
        const m = (st.m ??= new Float32Array(n));
        const v = (st.v ??= new Float32Array(n));
        for (let j = 0; j < n; j++) {
          const gj = g[j] * scale;
          const mj = (m[j] = beta1 * m[j] + (1 - beta1) * gj);
          const vj = (v[j] = beta2 * v[j] + (1 - beta2) * gj * gj);
          p[j] -= (a * mj) / (Math.sqrt(vj) * s + epsilon);
        }
      } else if (momentum > 0) {
        const m = (st.m ??= new Float32Array(n));
        for (let j = 0; j < n; j++) p[j] -= lr * (m[j] = momentum * m[j] + g[j] * scale);
      } else {
        for (let j = 0; j < n; j++) p[j] -= lr * g[j] * scale;
      }
      tf.tidy(() => variable.assign(tf.tensor(p, variable.shape, 'float32')));
    });
    return { gradNorm, scale };
  }

  private adamWasm(simd: Simd, variable: tf.Variable, grad: tf.Tensor, st: State, [a, b1, b2, s, eps, gs]: number[]): void {
    const backend = tf.backend() as BackendWasm;
    if (!st.heap) {
      st.heap = { m: alloc(backend, variable.shape), v: alloc(backend, variable.shape) };
      f32(backend, st.heap.m).fill(0);
      f32(backend, st.heap.v).fill(0);
    }
    const out = alloc(backend, variable.shape);
    const ptr = (t: tf.TensorInfo) => backend.getMemoryOffset(t.dataId);
    simd.adam(ptr(variable), ptr(grad), ptr(st.heap.m), ptr(st.heap.v), ptr(out), variable.size, a, b1, b2, s, eps, gs);
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
