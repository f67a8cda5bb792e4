/**
 * The conv family's tail: + bias, or batch norm, then the activation. Bias + ReLU/linear are
 * fused into the convolution (one XNNPACK call forward); batch norm uses batch statistics while
 * training and updates the moving ones.
 */
import * as tf from '@tensorflow/tfjs';
import { BATCH_NORM_EPSILON, type Activation } from '@marl-hpo/arch';
import type { ApplyContext, BuildContext } from './layer';

/** Weight of the current batch's statistics in the moving averages (PyTorch's 0.1). */
export const BATCH_NORM_MOMENTUM = 0.1;

export function activate(x: tf.Tensor, a: Activation): tf.Tensor {
  return a === 'relu' ? tf.relu(x) : a === 'sigmoid' ? tf.sigmoid(x) : a === 'tanh' ? tf.tanh(x) : x;
}

export interface ConvTail {
  /** Bias to fuse into the convolution, when there is one. */
  bias?: tf.Variable;
  /** Activation to fuse into the convolution (only with a bias and ReLU/linear). */
  fused: 'relu' | 'linear';
  /** The rest, applied to the convolution's (fused) output. */
  finish(y: tf.Tensor4D, ctx: ApplyContext): tf.Tensor4D;
}

export function convTail(ctx: BuildContext, prefix: string, channels: number, batchNorm: boolean, activation: Activation): ConvTail {
  if (!batchNorm) {
    const bias = ctx.weight(`${prefix}/bias`, [channels], { kind: 'const', value: 0 });
    const fusable = activation === 'relu' || activation === 'linear';
    return {
      bias,
      fused: fusable ? (activation as 'relu' | 'linear') : 'linear',
      finish: (y) => (fusable ? y : (activate(y, activation) as tf.Tensor4D)),
    };
  }
  const gamma = ctx.weight(`${prefix}/bn/gamma`, [channels], { kind: 'const', value: 1 });
  const beta = ctx.weight(`${prefix}/bn/beta`, [channels], { kind: 'const', value: 0 });
  const movingMean = ctx.weight(`${prefix}/bn/mean`, [channels], { kind: 'const', value: 0 }, false);
  const movingVariance = ctx.weight(`${prefix}/bn/variance`, [channels], { kind: 'const', value: 1 }, false);
  return {
    fused: 'linear',
    finish(y, apply) {
      let mean = movingMean as tf.Tensor1D;
      let variance = movingVariance as tf.Tensor1D;
      if (apply.training) {
        const m = tf.moments(y, [0, 1, 2]);
        mean = m.mean as tf.Tensor1D;
        variance = m.variance as tf.Tensor1D;
        const n = y.shape[0] * y.shape[1] * y.shape[2];
        // Moving variance as PyTorch keeps it: unbiased batch variance (normalisation uses the biased one).
        const unbiased = n > 1 ? n / (n - 1) : 1;
        tf.tidy(() => {
          movingMean.assign(tf.add(tf.mul(movingMean, 1 - BATCH_NORM_MOMENTUM), tf.mul(mean, BATCH_NORM_MOMENTUM)));
          movingVariance.assign(tf.add(tf.mul(movingVariance, 1 - BATCH_NORM_MOMENTUM), tf.mul(variance, BATCH_NORM_MOMENTUM * unbiased)));
        });
      }
      return activate(tf.batchNorm(y, mean, variance, beta, gamma, BATCH_NORM_EPSILON), activation) as tf.Tensor4D;
    },
  };
}
