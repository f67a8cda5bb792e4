import * as tf from '@tensorflow/tfjs';
import type { PoolNode } from '@marl-hpo/arch';
import type { LayerDef } from './layer';

/** TF semantics: 'same' pads (max ignores the padding, avg divides by the valid count), 'valid' floors. */
function pool(kind: PoolNode['kind']): LayerDef<PoolNode> {
  const op = kind === 'maxPool' ? tf.maxPool : tf.avgPool;
  return {
    kind,
    build: (node) => ([x]) => op(x as tf.Tensor4D, node.size, node.stride, node.padding),
  };
}

export const maxPool = pool('maxPool');
export const avgPool = pool('avgPool');
