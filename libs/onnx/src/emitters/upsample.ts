import { floatTensor } from '../tensor';
import { attr, type Emitter } from './context';

/**
 * Resize by an integer factor, matching the trainer's tf.image resize ops:
 * nearest (alignCorners false, halfPixelCenters false) reads source floor(x / scale) = ONNX asymmetric + floor;
 * bilinear (halfPixelCenters true) samples at (x + 0.5) / scale - 0.5, clamped at the border = ONNX half_pixel linear.
 */
export const upsample: Emitter<'upsample'> = {
  kind: 'upsample',
  emit({ node, inputs }, ctx) {
    // A Constant node, not an initializer: initializers are the model's parameters (what inspect counts).
    const scales = ctx.node('Constant', [], `${node.name}/scales`, [attr.tensor('value', floatTensor('', [4], new Float32Array([1, 1, node.scale, node.scale])))]);
    const attributes =
      node.mode === 'bilinear'
        ? [attr.string('mode', 'linear'), attr.string('coordinate_transformation_mode', 'half_pixel')]
        : [attr.string('mode', 'nearest'), attr.string('coordinate_transformation_mode', 'asymmetric'), attr.string('nearest_mode', 'floor')];
    return ctx.node('Resize', [ctx.value(inputs[0]), '', scales], `${node.name}/resize`, attributes);
  },
};
