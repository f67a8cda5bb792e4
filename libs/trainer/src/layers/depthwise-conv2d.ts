import * as tf from '@tensorflow/tfjs';
import type { DepthwiseConv2dNode } from '@marl-hpo/arch';
import { convTail } from './conv-block';
import { initFor, type LayerDef } from './layer';

export const depthwiseConv2d: LayerDef<DepthwiseConv2dNode> = {
  kind: 'depthwiseConv2d',
  build(node, [input], ctx) {
    const { kernel: k, depthMultiplier: m, stride, padding, activation, batchNorm } = node;
    const c = input[2];
    const kernel = ctx.weight(`${node.name}/depthwise_kernel`, [k, k, c, m], initFor(activation, k * k, k * k * m));
    const tail = convTail(ctx, node.name, c * m, batchNorm, activation);
    return ([x], apply) => {
      const y = tail.bias
        ? tf.fused.depthwiseConv2d({ x: x as tf.Tensor4D, filter: kernel as tf.Tensor4D, strides: stride, pad: padding, bias: tail.bias, activation: tail.fused })
        : tf.depthwiseConv2d(x as tf.Tensor4D, kernel as tf.Tensor4D, stride, padding);
      return tail.finish(y, apply);
    };
  },
};
