import type { PoolNode } from '../ir';
import { feature, positive, windowOut, type NodeDef } from './node-def';

function pool(kind: PoolNode['kind']): NodeDef<PoolNode> {
  return {
    kind,
    outputShape(node, [input]) {
      const [h, w, c] = feature(node, input);
      positive(node, 'size', node.size);
      positive(node, 'stride', node.stride);
      return [windowOut(node, h, node.size, node.stride, node.padding), windowOut(node, w, node.size, node.stride, node.padding), c];
    },
    weights: () => [],
    macs: () => 0,
  };
}

export const maxPool = pool('maxPool');
export const avgPool = pool('avgPool');
