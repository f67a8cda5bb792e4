import * as tf from '@tensorflow/tfjs';
import type { UpsampleNode } from '@marl-hpo/arch';
import type { LayerDef } from './layer';

/**
 * The resize the ONNX export must reproduce: nearest with alignCorners = halfPixelCenters = false,
 * bilinear with alignCorners = false, halfPixelCenters = true.
 */
export const upsample: LayerDef<UpsampleNode> = {
  kind: 'upsample',
  build(node, [input]) {
    const size: [number, number] = [input[0] * node.scale, input[1] * node.scale];
    return ([x]) =>
      node.mode === 'bilinear' ? tf.image.resizeBilinear(x as tf.Tensor4D, size, false, true) : tf.image.resizeNearestNeighbor(x as tf.Tensor4D, size, false, false);
  },
};
