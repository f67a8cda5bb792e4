import * as tf from '@tensorflow/tfjs';
import type { ConvTransposeNode } from '@marl-hpo/arch';
import { convTail } from './conv-block';
import { initFor, type LayerDef } from './layer';

/** tfjs conv2dTranspose: filter [k, k, filters, cin]; 'same' gives n * stride, 'valid' (n - 1) * stride + max(k, stride). */
export const convTranspose: LayerDef<ConvTransposeNode> = {
  kind: 'convTranspose',
  build(node, [input], ctx) {
    const { filters, kernel: k, stride: s, padding, activation, batchNorm } = node;
    const cin = input[2];
    const kernel = ctx.weight(`${node.name}/kernel`, [k, k, filters, cin], initFor(activation, k * k * cin, k * k * filters));
    const tail = convTail(ctx, node.name, filters, batchNorm, activation);
    const out = (n: number) => (padding === 'same' ? n * s : (n - 1) * s + Math.max(k, s));
    const [oh, ow] = [out(input[0]), out(input[1])];
    return ([x], apply) => {
      let y = tf.conv2dTranspose(x as tf.Tensor4D, kernel as tf.Tensor4D, [x.shape[0], oh, ow, filters], s, padding);
      if (tail.bias) {
        y = tf.add(y, tail.bias);
        if (tail.fused === 'relu') y = tf.relu(y);
      }
      return tail.finish(y, apply);
    };
  },
};
