/**
 * The conv family's tail: + bias, or batch norm, then the activation. Bias + ReLU/linear are
 * fused into the convolution (one XNNPACK call forward); batch norm uses batch statistics while
 * training and updates the moving ones.
 */
import * as tf from '@tensorflow/tfjs';
import { BATCH_NORM_EPSILON, type Activation } from '@marl-hpo/arch';
import { BATCH_NORM_TRAINING } from '../kernels/BatchNormTraining';
import { BATCH_NORM_TRAINING_GRAD } from '../kernels/BatchNormTrainingGrad';
import type { ApplyContext, BuildContext } from './layer';

/** Weight of the current batch's statistics in the moving averages (PyTorch's 0.1). */
export const BATCH_NORM_MOMENTUM = 0.1;

export function activate(x: tf.Tensor, a: Activation): tf.Tensor {
  return a === 'relu' ? tf.relu(x) : a === 'sigmoid' ? tf.sigmoid(x) : a === 'tanh' ? tf.tanh(x) : x;
}

/**
 * Batch norm with batch statistics (and the ReLU after it when `relu`) as one op with its own
 * gradient: our BatchNormTraining / BatchNormTrainingGrad kernels where the backend has them, else
 * composed of tfjs ops (tfjs's batchNorm gradient tiles its [C] vectors to the full tensor). With
 * x^ = (y - mean) / sqrt(var + eps) over M = N*H*W values per channel, dbeta = sum(dz),
 * dgamma = sum(dz x^), dy = gamma / (M sqrt(var + eps)) (M dz - dbeta - x^ dgamma). Also moves
 * the moving statistics (momentum BATCH_NORM_MOMENTUM; unbiased variance, as PyTorch).
 */
function batchNormTraining(movingMean: tf.Variable, movingVariance: tf.Variable, relu: boolean) {
  const attrs = { epsilon: BATCH_NORM_EPSILON, relu } as unknown as tf.NamedAttrMap;
  const update = (mean: tf.Tensor, variance: tf.Tensor, m: number) => {
    const unbiased = m > 1 ? m / (m - 1) : 1;
    tf.tidy(() => {
      movingMean.assign(tf.add(tf.mul(movingMean, 1 - BATCH_NORM_MOMENTUM), tf.mul(mean, BATCH_NORM_MOMENTUM)));
      movingVariance.assign(tf.add(tf.mul(movingVariance, 1 - BATCH_NORM_MOMENTUM), tf.mul(variance, BATCH_NORM_MOMENTUM * unbiased)));
    });
  };
  const fused = (y: tf.Tensor4D, gamma: tf.Tensor1D, beta: tf.Tensor1D, save: tf.GradSaveFunc) => {
    const [z, mean, variance] = tf.engine().runKernel(BATCH_NORM_TRAINING, { x: y, gamma, beta }, attrs) as unknown as tf.Tensor[];
    update(mean, variance, y.shape[0] * y.shape[1] * y.shape[2]);
    save([y, gamma, beta, mean, variance]);
    return {
      value: z,
      gradFunc: (dz: tf.Tensor4D, [x, g, b, m, v]: tf.Tensor[]) => tf.engine().runKernel(BATCH_NORM_TRAINING_GRAD, { dz, x, gamma: g, beta: b, mean: m, variance: v }, attrs) as unknown as tf.Tensor[],
    };
  };
  const composed = (y: tf.Tensor4D, gamma: tf.Tensor1D, beta: tf.Tensor1D, save: tf.GradSaveFunc) => {
    const m = y.shape[0] * y.shape[1] * y.shape[2];
    const mean = tf.div(tf.sum(y, [0, 1, 2]), m);
    const centered = tf.sub(y, mean);
    const variance = tf.div(tf.sum(tf.square(centered), [0, 1, 2]), m);
    const inv = tf.rsqrt(tf.add(variance, BATCH_NORM_EPSILON));
    const xhat = tf.mul(centered, inv);
    const z = tf.add(tf.mul(xhat, gamma), beta);
    update(mean, variance, m);
    save([xhat, inv, gamma]);
    return {
      value: z,
      gradFunc: (dz: tf.Tensor4D, [sx, sinv, sgamma]: tf.Tensor[]) => {
        const dbeta = tf.sum(dz, [0, 1, 2]);
        const dgamma = tf.sum(tf.mul(dz, sx), [0, 1, 2]);
        const dy = tf.mul(tf.sub(tf.sub(tf.mul(dz, m), dbeta), tf.mul(sx, dgamma)), tf.div(tf.mul(sgamma, sinv), m));
        return [dy, dgamma, dbeta];
      },
    };
  };
  type Op = (y: tf.Tensor4D, gamma: tf.Tensor, beta: tf.Tensor) => tf.Tensor4D;
  const viaKernels = tf.customGrad(fused as unknown as Parameters<typeof tf.customGrad>[0]) as unknown as Op;
  const viaOps = tf.customGrad(composed as unknown as Parameters<typeof tf.customGrad>[0]) as unknown as Op;
  return (y: tf.Tensor4D, gamma: tf.Tensor, beta: tf.Tensor): tf.Tensor4D => {
    if (tf.getKernel(BATCH_NORM_TRAINING, tf.getBackend())) return viaKernels(y, gamma, beta);
    const z = viaOps(y, gamma, beta);
    return relu ? tf.relu(z) : z;
  };
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
  // While training, a ReLU is fused into the batch norm.
  const train = batchNormTraining(movingMean, movingVariance, activation === 'relu');
  return {
    fused: 'linear',
    finish(y, apply) {
      if (apply.training) {
        const z = train(y, gamma, beta);
        return activation === 'relu' ? z : (activate(z, activation) as tf.Tensor4D);
      }
      const z = tf.batchNorm(y, movingMean as tf.Tensor1D, movingVariance as tf.Tensor1D, beta as tf.Tensor1D, gamma as tf.Tensor1D, BATCH_NORM_EPSILON);
      return activate(z, activation) as tf.Tensor4D;
    },
  };
}
