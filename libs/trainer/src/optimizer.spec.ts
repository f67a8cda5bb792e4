// The optimizers against a float64 reference of torch.optim's update rules, on the wasm backend
// (SIMD path for sizes that are multiples of 4, plain loop otherwise) and on the cpu backend.
import * as tf from '@tensorflow/tfjs';
import { initBackend } from './backend';
import { Optimizer, type OptimizerOptions } from './optimizer';
import { rng } from './rng';

function reference(o: OptimizerOptions, p0: Float32Array, grads: Float32Array[]): Float64Array {
  const { learningRate: lr, momentum = 0, beta1: b1 = 0.9, beta2: b2 = 0.999, epsilon = 1e-8 } = o;
  const p = Float64Array.from(p0);
  const m = new Float64Array(p.length);
  const v = new Float64Array(p.length);
  grads.forEach((g, t) => {
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
      for (const g of grads) tf.tidy(() => opt.apply([v], [tf.tensor1d(g)]));
      const got = v.dataSync();
      const want = reference(o, p0, grads);
      for (let j = 0; j < size; j++) expect(got[j]).toBeCloseTo(want[j], 6);
      opt.dispose();
      v.dispose();
    }
    expect(tf.memory().numTensors).toBe(before);
  });
});
