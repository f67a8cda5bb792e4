import type { Node, NodeKind } from '../ir';
import { concat } from './concat';
import { conv2d } from './conv2d';
import { convTranspose } from './conv-transpose';
import { depthwiseConv2d } from './depthwise-conv2d';
import { inception } from './inception';
import type { NodeDef } from './node-def';
import { avgPool, maxPool } from './pool';
import { skip } from './skip';
import { upsample } from './upsample';
import { dense, dropout, flatten, globalAvgPool } from './vector';

/** The node type whose kind includes K (PoolNode carries two kinds). */
type NodeOf<K extends NodeKind> = Node extends infer N ? (N extends { kind: infer NK } ? (K extends NK ? N : never) : never) : never;

/** Every IR node kind, one definition each; the type makes a missing kind a compile error. */
const defs: { [K in NodeKind]: NodeDef<NodeOf<K>> } = {
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

export const nodeKinds = Object.keys(defs) as NodeKind[];

export function nodeDef(node: Node): NodeDef | undefined {
  return Object.prototype.hasOwnProperty.call(defs, node.kind) ? (defs[node.kind] as unknown as NodeDef) : undefined;
}
