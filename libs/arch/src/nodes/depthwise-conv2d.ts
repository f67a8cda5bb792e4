import type { DepthwiseConv2dNode } from '../ir';
import { convWeights, feature, positive, windowOut, type NodeDef } from './node-def';

export const depthwiseConv2d: NodeDef<DepthwiseConv2dNode> = {
  kind: 'depthwiseConv2d',
  outputShape(node, [input]) {
    const [h, w, c] = feature(node, input);
    positive(node, 'kernel', node.kernel);
    positive(node, 'stride', node.stride);
    positive(node, 'depthMultiplier', node.depthMultiplier);
    return [windowOut(node, h, node.kernel, node.stride, node.padding), windowOut(node, w, node.kernel, node.stride, node.padding), c * node.depthMultiplier];
  },
  weights(node, [input]) {
    const c = input[2];
    return convWeights(node.name, 'depthwise_kernel', [node.kernel, node.kernel, c, node.depthMultiplier], c * node.depthMultiplier, node.batchNorm);
  },
  macs(node, _inputs, [h, w, c]) {
    return h * w * c * node.kernel * node.kernel;
  },
};
