import * as tf from '@tensorflow/tfjs';
import type { Conv2dNode, Padding } from '@marl-hpo/arch';
import { RELU_BACKPROP } from '../kernels/ReluBackprop';
import { convTail } from './conv-block';
import { initFor, type ApplyContext, type BuildContext, type LayerDef } from './layer';

type ConvParams = Pick<Conv2dNode, 'filters' | 'kernel' | 'stride' | 'padding' | 'activation' | 'batchNorm'>;

/**
 * conv + bias + (ReLU | linear) as one op with its own gradient: the forward pass is one fused
 * XNNPACK call, and the backward pass skips the input gradient when the input is the model's
 * (nobody reads it; tfjs's fused op would compute it anyway).
 */
function fusedConv(stride: number, padding: Padding, activation: 'relu' | 'linear', inputGrad: boolean) {
  const attrs = { strides: [stride, stride], pad: padding, dataFormat: 'NHWC' };
  const op = (x: tf.Tensor4D, w: tf.Tensor4D, b: tf.Tensor1D, save: tf.GradSaveFunc) => {
    // The kernel itself: tf.fused.conv2d would unfuse under a gradient tape.
    const y = tf.engine().runKernel('FusedConv2D', { x, filter: w, bias: b }, { ...attrs, dilations: [1, 1], activation } as unknown as tf.NamedAttrMap) as tf.Tensor4D;
    save([x, w, y]);
    return {
      value: y,
      gradFunc: (dy: tf.Tensor4D, saved: tf.Tensor[]) => {
        const [sx, sw, sy] = saved as tf.Tensor4D[];
        let g: tf.Tensor4D = dy;
        let db: tf.Tensor;
        if (activation !== 'relu') db = tf.sum(dy, [0, 1, 2]);
        else if (tf.getKernel(RELU_BACKPROP, tf.getBackend())) [g, db] = tf.engine().runKernel(RELU_BACKPROP, { dy, y: sy }) as unknown as [tf.Tensor4D, tf.Tensor];
        else db = tf.sum((g = tf.mul(dy, tf.step(sy))), [0, 1, 2]);
        const dw = tf.engine().runKernel('Conv2DBackpropFilter', { x: sx, dy: g }, { ...attrs, filterShape: sw.shape } as unknown as tf.NamedAttrMap) as tf.Tensor;
        const dx = inputGrad ? (tf.engine().runKernel('Conv2DBackpropInput', { dy: g, filter: sw }, { ...attrs, inputShape: sx.shape } as unknown as tf.NamedAttrMap) as tf.Tensor) : tf.zerosLike(sx);
        return [dx, dw, db];
      },
    };
  };
  return tf.customGrad(op as unknown as Parameters<typeof tf.customGrad>[0]) as unknown as (x: tf.Tensor4D, w: tf.Tensor, b: tf.Tensor) => tf.Tensor4D;
}

/**
 * Conv -> (bias | batch norm) -> activation, with the names and semantics of the weight contract.
 * `readsModelInput`: the layer's input is the model's input (its gradient is never needed).
 */
export function convLayer(ctx: BuildContext, prefix: string, cin: number, node: ConvParams, readsModelInput = false) {
  const { filters, kernel: k, stride, padding, activation, batchNorm } = node;
  const kernel = ctx.weight(`${prefix}/kernel`, [k, k, cin, filters], initFor(activation, k * k * cin, k * k * filters));
  const tail = convTail(ctx, prefix, filters, batchNorm, activation);
  const fused = tail.bias ? fusedConv(stride, padding, tail.fused, !readsModelInput) : undefined;
  return (x: tf.Tensor4D, apply: ApplyContext): tf.Tensor4D => {
    const y = fused && tail.bias ? fused(x, kernel, tail.bias) : tf.conv2d(x, kernel as tf.Tensor4D, stride, padding);
    return tail.finish(y, apply);
  };
}

export const conv2d: LayerDef<Conv2dNode> = {
  kind: 'conv2d',
  build(node, [input], ctx, inputs) {
    const layer = convLayer(ctx, node.name, input[2], node, inputs.readsModelInput);
    return ([x], apply) => layer(x as tf.Tensor4D, apply);
  },
};
