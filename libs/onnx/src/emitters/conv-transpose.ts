import { transpose } from '../layout';
import { activate, attr, type Emitter } from './context';
import { convParams } from './conv-weights';

/**
 * TF conv2dTranspose is the gradient of a conv2d with the same padding: 'same' crops max(k - s, 0) pixels,
 * the odd one at the end (output n * s); 'valid' crops nothing (output (n - 1) * s + max(k, s)). When
 * k < s the last s - k outputs get no kernel tap: ONNX output_padding adds them (bias only).
 */
export const convTranspose: Emitter<'convTranspose'> = {
  kind: 'convTranspose',
  emit({ node, inputs, inputShapes, outputShape }, ctx) {
    const { kernel: k, stride: s } = node;
    const total = node.padding === 'same' ? Math.max(k - s, 0) : 0;
    const begin = Math.floor(total / 2);
    const outputPadding = [0, 1].map((axis) => outputShape[axis] - ((inputShapes[0][axis] - 1) * s + k - total));
    // tfjs filter [kh, kw, cout, cin] -> ONNX [cin, cout, kh, kw]
    const w = ctx.weight(`${node.name}/kernel`);
    const [weight, bias] = convParams(ctx, node.name, transpose(w.data, w.shape, [3, 2, 0, 1]), 1, node.batchNorm);
    const y = ctx.node('ConvTranspose', [ctx.value(inputs[0]), weight, bias], `${node.name}/convtranspose`, [
      attr.ints('kernel_shape', [k, k]),
      attr.ints('strides', [s, s]),
      attr.ints('pads', [begin, begin, total - begin, total - begin]),
      ...(outputPadding.some((p) => p !== 0) ? [attr.ints('output_padding', outputPadding)] : []),
    ]);
    return activate(ctx, y, node.activation, node.name);
  },
};
