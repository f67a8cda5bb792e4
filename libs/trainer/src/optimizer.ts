/**
 * Adam and SGD (with momentum) as plain loops over each weight, with their state in JS
 * arrays: one read of the gradient and one new tensor per weight and step, instead of tfjs
 * optimizers' dozen kernels per weight. Same update rules as torch.optim.Adam / SGD.
 */
import * as tf from '@tensorflow/tfjs';

export interface OptimizerOptions {
  kind: 'adam' | 'sgd';
  learningRate: number;
  /** SGD momentum. Default 0. */
  momentum?: number;
  beta1?: number;
  beta2?: number;
  epsilon?: number;
}

export class Optimizer {
  private step = 0;
  private readonly m = new Map<tf.Variable, Float32Array>();
  private readonly v = new Map<tf.Variable, Float32Array>();

  constructor(private readonly o: OptimizerOptions) {}

  /** Applies one update; `grads[i]` is the gradient of `vars[i]` (the caller disposes the gradients). */
  apply(vars: tf.Variable[], grads: tf.Tensor[]): void {
    this.step++;
    const { kind, learningRate: lr, momentum = 0, beta1 = 0.9, beta2 = 0.999, epsilon = 1e-8 } = this.o;
    const c1 = 1 - beta1 ** this.step;
    const c2 = 1 - beta2 ** this.step;
    vars.forEach((variable, i) => {
      const g = grads[i].dataSync() as Float32Array;
      const p = (variable.dataSync() as Float32Array).slice();
      if (kind === 'adam') {
        const m = this.state(this.m, variable, p.length);
        const v = this.state(this.v, variable, p.length);
        const a = lr / c1;
        const s = 1 / Math.sqrt(c2);
        for (let j = 0; j < p.length; j++) {
          const gj = g[j];
          const mj = (m[j] = beta1 * m[j] + (1 - beta1) * gj);
          const vj = (v[j] = beta2 * v[j] + (1 - beta2) * gj * gj);
          p[j] -= (a * mj) / (Math.sqrt(vj) * s + epsilon);
        }
      } else if (momentum > 0) {
        const m = this.state(this.m, variable, p.length);
        for (let j = 0; j < p.length; j++) p[j] -= lr * (m[j] = momentum * m[j] + g[j]);
      } else {
        for (let j = 0; j < p.length; j++) p[j] -= lr * g[j];
      }
      tf.tidy(() => variable.assign(tf.tensor(p, variable.shape, 'float32')));
    });
  }

  private state(map: Map<tf.Variable, Float32Array>, variable: tf.Variable, n: number): Float32Array {
    let s = map.get(variable);
    if (!s) map.set(variable, (s = new Float32Array(n)));
    return s;
  }
}
