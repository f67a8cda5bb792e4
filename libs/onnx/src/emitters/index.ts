import type { NodeKind } from '@marl-hpo/arch';
import { concat } from './concat';
import type { Emitter } from './context';
import { conv2d } from './conv2d';
import { convTranspose } from './conv-transpose';
import { dense } from './dense';
import { depthwiseConv2d } from './depthwise-conv2d';
import { dropout } from './dropout';
import { flatten } from './flatten';
import { globalAvgPool } from './global-avg-pool';
import { inception } from './inception';
import { avgPool, maxPool } from './pool';
import { skip } from './skip';
import { upsample } from './upsample';

/** One emitter per IR node kind; the type makes a missing kind a compile error. */
export const emitters: { [K in NodeKind]: Emitter<K> } = {
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

/** The emitter of a node kind, for a layer whose kind is only known at run time. */
export function emitterOf(kind: NodeKind): Emitter | undefined {
  return Object.prototype.hasOwnProperty.call(emitters, kind) ? (emitters[kind] as unknown as Emitter) : undefined;
}

export { GraphBuilder, type EmitContext, type Emitter } from './context';
