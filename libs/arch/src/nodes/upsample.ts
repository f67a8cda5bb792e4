import type { UpsampleNode } from '../ir';
import { feature, positive, type NodeDef } from './node-def';

export const upsample: NodeDef<UpsampleNode> = {
  kind: 'upsample',
  outputShape(node, [input]) {
    const [h, w, c] = feature(node, input);
    positive(node, 'scale', node.scale);
    return [h * node.scale, w * node.scale, c];
  },
  weights: () => [],
  macs: () => 0,
};
