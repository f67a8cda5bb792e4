import type { Node, NodeKind } from '@marl-hpo/arch';
import { concat, skip } from './concat';
import { conv2d } from './conv2d';
import { convTranspose } from './conv-transpose';
import { depthwiseConv2d } from './depthwise-conv2d';
import { inception } from './inception';
import type { LayerDef } from './layer';
import { avgPool, maxPool } from './pool';
import { upsample } from './upsample';
import { dense, dropout, flatten, globalAvgPool } from './vector';

type NodeOf<K extends NodeKind> = Node extends infer N ? (N extends { kind: infer NK } ? (K extends NK ? N : never) : never) : never;

/** Every IR node kind, one builder each; the type makes a missing kind a compile error. */
const defs: { [K in NodeKind]: LayerDef<NodeOf<K>> } = {
  conv2d,
  depthwiseConv2d,
  maxPool,
  avgPool,
  inception,
  concat,
  upsample,
  convTranspose,
  skip,
  globalAvgPool,
  flatten,
  dense,
  dropout,
};

export function layerDef(node: Node): LayerDef {
  return defs[node.kind] as unknown as LayerDef;
}
