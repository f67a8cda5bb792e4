import type { Conv2dNode } from '../ir';
import { convWeights, feature, positive, windowOut, type NodeDef } from './node-def';

export const conv2d: NodeDef<Conv2dNode> = {
  kind: 'conv2d',
  outputShape(node, [input]) {
    const [h, w] = feature(node, input);
    positive(node, 'filters', node.filters);
    positive(node, 'kernel', node.kernel);
    positive(node, 'stride', node.stride);
    return [windowOut(node, h, node.kernel, node.stride, node.padding), windowOut(node, w, node.kernel, node.stride, node.padding), node.filters];
  },
  weights(node, [input]) {
    return convWeights(node.name, 'kernel', [node.kernel, node.kernel, input[2], node.filters], node.filters, node.batchNorm);
  },
  macs(node, [input], [h, w, c]) {
    return h * w * c * node.kernel * node.kernel * input[2];
  },
};
