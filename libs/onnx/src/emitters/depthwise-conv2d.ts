import { transpose, windowPads } from '../layout';
import { activate, attr, type Emitter } from './context';
import { convParams } from './conv-weights';

/** Grouped Conv with one group per input channel; tfjs output channel c * mult + m is ONNX's group c, filter m. */
export const depthwiseConv2d: Emitter<'depthwiseConv2d'> = {
  kind: 'depthwiseConv2d',
  emit({ node, inputs, inputShapes }, ctx) {
    const [h, w, cin] = inputShapes[0];
    // tfjs [kh, kw, cin, mult] -> [cin, mult, kh, kw] = ONNX [cin * mult, 1, kh, kw]
    const k = ctx.weight(`${node.name}/depthwise_kernel`);
    const t = transpose(k.data, k.shape, [2, 3, 0, 1]);
    const kernel = { data: t.data, shape: [cin * node.depthMultiplier, 1, node.kernel, node.kernel] };
    const [weight, bias] = convParams(ctx, node.name, kernel, 0, node.batchNorm);
    const y = ctx.node('Conv', [ctx.value(inputs[0]), weight, bias], `${node.name}/conv`, [
      attr.int('group', cin),
      attr.ints('kernel_shape', [node.kernel, node.kernel]),
      attr.ints('strides', [node.stride, node.stride]),
      attr.ints('pads', windowPads(h, w, node.kernel, node.stride, node.padding)),
    ]);
    return activate(ctx, y, node.activation, node.name);
  },
};
