import * as tf from '@tensorflow/tfjs';
import type { Conv2dNode } from '@marl-hpo/arch';
import { convTail } from './conv-block';
import { initFor, type BuildContext, type LayerDef } from './layer';

/** Conv -> (bias | batch norm) -> activation, with the names and semantics of the weight contract. */
export function convLayer(ctx: BuildContext, prefix: string, cin: number, node: Pick<Conv2dNode, 'filters' | 'kernel' | 'stride' | 'padding' | 'activation' | 'batchNorm'>) {
  const { filters, kernel: k, stride, padding, activation, batchNorm } = node;
  const kernel = ctx.weight(`${prefix}/kernel`, [k, k, cin, filters], initFor(activation, k * k * cin, k * k * filters));
  const tail = convTail(ctx, prefix, filters, batchNorm, activation);
  return (x: tf.Tensor4D, apply: Parameters<typeof tail.finish>[1]): tf.Tensor4D => {
    const y = tail.bias
      ? tf.fused.conv2d({ x, filter: kernel as tf.Tensor4D, strides: stride, pad: padding, bias: tail.bias, activation: tail.fused })
      : tf.conv2d(x, kernel as tf.Tensor4D, stride, padding);
    return tail.finish(y, apply);
  };
}

export const conv2d: LayerDef<Conv2dNode> = {
  kind: 'conv2d',
  build(node, [input], ctx) {
    const layer = convLayer(ctx, node.name, input[2], node);
    return ([x], apply) => layer(x as tf.Tensor4D, apply);
  },
};
