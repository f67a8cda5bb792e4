import type { PoolNode } from '@marl-hpo/arch';
import { windowPads } from '../layout';
import { attr, type Emitter } from './context';

/**
 * TF pooling: 'valid' floors (ONNX ceil_mode 0); 'same' pads with the odd pixel at the end, padded
 * cells ignored by max and not counted by average (ONNX count_include_pad 0, the default).
 */
function pool<K extends PoolNode['kind']>(kind: K, op: 'MaxPool' | 'AveragePool'): Emitter<K> {
  return {
    kind,
    emit(layer, ctx) {
      const { inputs, inputShapes } = layer;
      const node = layer.node as PoolNode; // NodeOf<K> stays deferred inside the generic
      const [h, w] = inputShapes[0];
      return ctx.node(op, [ctx.value(inputs[0])], `${node.name}/${op === 'MaxPool' ? 'maxpool' : 'avgpool'}`, [
        attr.ints('kernel_shape', [node.size, node.size]),
        attr.ints('strides', [node.stride, node.stride]),
        attr.ints('pads', windowPads(h, w, node.size, node.stride, node.padding)),
      ]);
    },
  };
}

export const maxPool = pool('maxPool', 'MaxPool');
export const avgPool = pool('avgPool', 'AveragePool');
