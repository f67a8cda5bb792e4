// The optimizers against a float64 reference of torch.optim's update rules, on the wasm backend
// (SIMD path for sizes that are multiples of 4, plain loop otherwise) and on the cpu backend.
import * as tf from '@tensorflow/tfjs';
import { initBackend } from './backend';
import { Optimizer, type OptimizerOptions } from './optimizer';
import { rng } from './rng';

function reference(o: OptimizerOptions, p0: Float32Array, grads: Float32Array[], rates?: number[]): Float64Array {
  const { momentum = 0, beta1: b1 = 0.9, beta2: b2 = 0.999, epsilon = 1e-8 } = o;
  const p = Float64Array.from(p0);
  const m = new Float64Array(p.length);
  const v = new Float64Array(p.length);
  grads.forEach((g0, t) => {
    const lr = rates?.[t] ?? o.learningRate;
    // torch.nn.utils.clip_grad_norm_: g *= max_norm / (norm + 1e-6) when that is below 1.
    const norm = Math.hypot(...g0);
    const coef = o.clipNorm === undefined ? 1 : Math.min(1, o.clipNorm / (norm + 1e-6));
    const g = Array.from(g0, (x) => x * coef);
    for (let j = 0; j < p.length; j++) {
      if (o.kind === 'adam') {
        m[j] = b1 * m[j] + (1 - b1) * g[j];
        v[j] = b2 * v[j] + (1 - b2) * g[j] * g[j];
        p[j] -= (lr * (m[j] / (1 - b1 ** (t + 1)))) / (Math.sqrt(v[j] / (1 - b2 ** (t + 1))) + epsilon);
      } else {
        m[j] = momentum * m[j] + g[j];
        p[j] -= lr * (momentum > 0 ? m[j] : g[j]);
      }
    }
  });
  return p;
}

beforeAll(async () => {
  await initBackend({ backend: 'wasm' });
});
afterAll(() => tf.setBackend('wasm'));

describe.each(['wasm', 'cpu'])('on %s', (backend) => {
  it.each<[string, OptimizerOptions]>([
    ['adam', { kind: 'adam', learningRate: 0.01 }],
    ['sgd', { kind: 'sgd', learningRate: 0.1 }],
    ['sgd with momentum', { kind: 'sgd', learningRate: 0.1, momentum: 0.9 }],
  ])('%s matches the reference after 3 steps, for every weight size', (_name, o) => {
    tf.setBackend(backend);
    const r = rng(7);
    const before = tf.memory().numTensors;
    for (const size of [8, 6, 1]) {
      const p0 = Float32Array.from({ length: size }, () => r() - 0.5);
      const grads = [0, 1, 2].map(() => Float32Array.from({ length: size }, () => r() - 0.5));
      const v = tf.tidy(() => tf.variable(tf.tensor1d(p0)));
      const opt = new Optimizer(o);
      for (const g of grads) tf.tidy(() => void opt.apply([v], [tf.tensor1d(g)]));
      const got = v.dataSync();
      const want = reference(o, p0, grads);
      for (let j = 0; j < size; j++) expect(got[j]).toBeCloseTo(want[j], 6);
      opt.dispose();
      v.dispose();
    }
    expect(tf.memory().numTensors).toBe(before);
  });

  it.each<[string, OptimizerOptions]>([
    ['adam', { kind: 'adam', learningRate: 0.01, clipNorm: 0.5 }],
    ['sgd with momentum', { kind: 'sgd', learningRate: 0.1, momentum: 0.9, clipNorm: 0.5 }],
  ])('%s with clipping and a learning rate per step matches the reference', (_name, o) => {
    tf.setBackend(backend);
    const r = rng(11);
    const size = 8;
    const p0 = Float32Array.from({ length: size }, () => r() - 0.5);
    // Norms around 2 (clipped) and one small gradient (norm < 0.5, left alone).
    const grads = [2, 0.1, 3].map((k) => Float32Array.from({ length: size }, () => k * (r() - 0.5)));
    const rates = [0.5, 1, 0.25].map((f) => f * o.learningRate);
    const v = tf.tidy(() => tf.variable(tf.tensor1d(p0)));
    const opt = new Optimizer(o);
    const scales = grads.map((g, t) => tf.tidy(() => opt.apply([v], [tf.tensor1d(g)], rates[t]).scale));
    expect(scales[0]).toBeLessThan(1);
    expect(scales[1]).toBe(1);
    const got = v.dataSync();
    const want = reference(o, p0, grads, rates);
    for (let j = 0; j < size; j++) expect(got[j]).toBeCloseTo(want[j], 6);
    opt.dispose();
    v.dispose();
  });

  it('clipping bounds the update: plain SGD moves the weights by at most lr * clipNorm', () => {
    tf.setBackend(backend);
    const r = rng(3);
    const w0 = [Float32Array.from({ length: 12 }, () => r()), Float32Array.from({ length: 5 }, () => r())];
    const vars = w0.map((w) => tf.tidy(() => tf.variable(tf.tensor1d(w))));
    const opt = new Optimizer({ kind: 'sgd', learningRate: 0.1, clipNorm: 0.5 });
    // Global norm sqrt(12 * 100 + 5 * 400) = 56.6: far above 0.5.
    const grads = [tf.fill([12], 10), tf.fill([5], -20)];
    const info = opt.apply(vars, grads);
    tf.dispose(grads);
    expect(info.gradNorm).toBeCloseTo(Math.sqrt(12 * 100 + 5 * 400), 3);
    const moved = Math.hypot(...vars.flatMap((v, i) => Array.from(v.dataSync(), (x, j) => x - w0[i][j])));
    expect(moved).toBeLessThanOrEqual(0.1 * 0.5 * (1 + 1e-5));
    expect(moved).toBeGreaterThan(0.1 * 0.5 * 0.999);
    opt.dispose();
    tf.dispose(vars);
  });
});
