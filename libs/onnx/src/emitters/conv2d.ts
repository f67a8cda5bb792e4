import type { Activation, Padding } from '@marl-hpo/arch';
import { transpose, windowPads } from '../layout';
import { activate, attr, type EmitContext, type Emitter } from './context';
import { convParams } from './conv-weights';

export interface ConvSpec {
  kernel: number;
  stride: number;
  padding: Padding;
  activation: Activation;
  batchNorm: boolean;
}

/** Conv (BN folded) -> activation for the weights under `prefix`; also used by the inception module's branches. */
export function emitConv(ctx: EmitContext, x: string, [h, w]: number[], prefix: string, spec: ConvSpec): string {
  // tfjs kernel [kh, kw, cin, cout] -> ONNX [cout, cin, kh, kw]
  const k = ctx.weight(`${prefix}/kernel`);
  const [weight, bias] = convParams(ctx, prefix, transpose(k.data, k.shape, [3, 2, 0, 1]), 0, spec.batchNorm);
  const y = ctx.node('Conv', [x, weight, bias], `${prefix}/conv`, [
    attr.ints('kernel_shape', [spec.kernel, spec.kernel]),
    attr.ints('strides', [spec.stride, spec.stride]),
    attr.ints('pads', windowPads(h, w, spec.kernel, spec.stride, spec.padding)),
  ]);
  return activate(ctx, y, spec.activation, prefix);
}

export const conv2d: Emitter<'conv2d'> = {
  kind: 'conv2d',
  emit({ node, inputs, inputShapes }, ctx) {
    return emitConv(ctx, ctx.value(inputs[0]), inputShapes[0], node.name, node);
  },
};
