import type { ConvTransposeNode } from '../ir';
import { convWeights, feature, positive, type NodeDef } from './node-def';

export const convTranspose: NodeDef<ConvTransposeNode> = {
  kind: 'convTranspose',
  outputShape(node, [input]) {
    const [h, w] = feature(node, input);
    positive(node, 'filters', node.filters);
    positive(node, 'kernel', node.kernel);
    positive(node, 'stride', node.stride);
    // TF semantics: 'same' -> n * s; 'valid' -> (n - 1) * s + max(k, s).
    const out = (n: number) => (node.padding === 'same' ? n * node.stride : (n - 1) * node.stride + Math.max(node.kernel, node.stride));
    return [out(h), out(w), node.filters];
  },
  weights(node, [input]) {
    return convWeights(node.name, 'kernel', [node.kernel, node.kernel, node.filters, input[2]], node.filters, node.batchNorm);
  },
  // Every input pixel scatters a k x k x cout patch.
  macs(node, [input]) {
    return input[0] * input[1] * input[2] * node.filters * node.kernel * node.kernel;
  },
};
