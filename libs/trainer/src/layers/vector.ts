import * as tf from '@tensorflow/tfjs';
import type { DenseNode, DropoutNode, FlattenNode, GlobalAvgPoolNode } from '@marl-hpo/arch';
import { activate } from './conv-block';
import { initFor, type LayerDef } from './layer';

export const globalAvgPool: LayerDef<GlobalAvgPoolNode> = { kind: 'globalAvgPool', build: () => ([x]) => tf.mean(x, [1, 2]) };

/** NHWC order, as the weight contract's dense kernels expect. */
export const flatten: LayerDef<FlattenNode> = { kind: 'flatten', build: () => ([x]) => tf.reshape(x, [x.shape[0], -1]) };

export const dense: LayerDef<DenseNode> = {
  kind: 'dense',
  build(node, [input], ctx) {
    const kernel = ctx.weight(`${node.name}/kernel`, [input[0], node.units], initFor(node.activation, input[0], node.units));
    const bias = ctx.weight(`${node.name}/bias`, [node.units], { kind: 'const', value: 0 });
    const fusable = node.activation === 'relu' || node.activation === 'linear';
    return ([x]) => {
      const y = tf.fused.matMul({ a: x as tf.Tensor2D, b: kernel as tf.Tensor2D, bias, activation: fusable ? (node.activation as 'relu' | 'linear') : 'linear' });
      return fusable ? y : activate(y, node.activation);
    };
  },
};

/** Inverted dropout while training (seeded per step), the identity at inference. */
export const dropout: LayerDef<DropoutNode> = {
  kind: 'dropout',
  build: (node) => ([x], apply) => {
    if (!apply.training || node.rate === 0) return x;
    const keep = tf.step(tf.sub(tf.randomUniform(x.shape, 0, 1, 'float32', apply.seed(node.name)), node.rate));
    return tf.mul(x, tf.mul(keep, 1 / (1 - node.rate)));
  },
};
