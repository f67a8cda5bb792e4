import { ArchError } from '../errors';
import type { DenseNode, DropoutNode, FlattenNode, GlobalAvgPoolNode } from '../ir';
import { feature, positive, type NodeDef } from './node-def';

export const globalAvgPool: NodeDef<GlobalAvgPoolNode> = {
  kind: 'globalAvgPool',
  outputShape: (node, [input]) => [feature(node, input)[2]],
  weights: () => [],
  macs: () => 0,
};

export const flatten: NodeDef<FlattenNode> = {
  kind: 'flatten',
  outputShape: (_node, [input]) => [input.reduce((a, b) => a * b, 1)],
  weights: () => [],
  macs: () => 0,
};

export const dense: NodeDef<DenseNode> = {
  kind: 'dense',
  outputShape(node, [input]) {
    if (input.length !== 1) throw new ArchError(`layer '${node.name}' (dense): needs a vector input (add a flatten or globalAvgPool layer), got [${input.join(', ')}]`);
    return [positive(node, 'units', node.units)];
  },
  weights: (node, [input]) => [
    { name: `${node.name}/kernel`, shape: [input[0], node.units], trainable: true },
    { name: `${node.name}/bias`, shape: [node.units], trainable: true },
  ],
  macs: (node, [input]) => input[0] * node.units,
};

export const dropout: NodeDef<DropoutNode> = {
  kind: 'dropout',
  outputShape(node, [input]) {
    if (!(node.rate >= 0 && node.rate < 1)) throw new ArchError(`layer '${node.name}' (dropout): rate must be in [0, 1), got ${node.rate}`);
    return input;
  },
  weights: () => [],
  macs: () => 0,
};
