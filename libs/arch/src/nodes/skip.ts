import type { SkipNode } from '../ir';
import { concatShapes } from './concat';
import type { NodeDef } from './node-def';

export const skip: NodeDef<SkipNode> = {
  kind: 'skip',
  inputs: (node, previous) => [previous, node.from],
  outputShape: concatShapes,
  weights: () => [],
  macs: () => 0,
};
