import { ArchError } from '../errors';
import type { Node, Padding, Shape } from '../ir';

/** One tensor of a model's weights, in tfjs (NHWC) layout. */
export interface WeightSpec {
  name: string;
  shape: number[];
  trainable: boolean;
}

/** Shape inference, weights and cost of one node kind (one file per kind, listed in nodes/index.ts). */
export interface NodeDef<N extends Node = Node> {
  kind: N['kind'];
  /** Names of the nodes whose outputs this node reads; `previous` is the node before it. */
  inputs?(node: N, previous: string): string[];
  outputShape(node: N, inputs: Shape[]): Shape;
  weights(node: N, inputs: Shape[]): WeightSpec[];
  /** Multiply-accumulates for one sample (convolutions and matrix products only). */
  macs(node: N, inputs: Shape[], output: Shape): number;
}

export const BATCH_NORM_EPSILON = 1e-3;

export function feature(node: Node, shape: Shape): [number, number, number] {
  if (shape.length !== 3) throw new ArchError(`layer '${node.name}' (${node.kind}) needs an [H, W, C] input, got [${shape.join(', ')}]`);
  return shape as [number, number, number];
}

/** Output length of a window op in TF semantics: 'same' -> ceil(n / s), 'valid' -> floor((n - k) / s) + 1. */
export function windowOut(node: Node, n: number, kernel: number, stride: number, padding: Padding): number {
  const out = padding === 'same' ? Math.ceil(n / stride) : Math.floor((n - kernel) / stride) + 1;
  if (!(out > 0)) {
    throw new ArchError(`layer '${node.name}' (${node.kind}): spatial size ${n} with kernel ${kernel}, stride ${stride}, padding '${padding}' gives ${out} (must be > 0)`);
  }
  return out;
}

export function positive(node: Node, field: string, value: number): number {
  if (!Number.isInteger(value) || value <= 0) throw new ArchError(`layer '${node.name}' (${node.kind}): ${field} must be a positive integer, got ${value}`);
  return value;
}

/** Kernel plus bias, or kernel plus batch-norm tensors: the conv family's weights. */
export function convWeights(prefix: string, kernelName: string, kernelShape: number[], channels: number, batchNorm: boolean): WeightSpec[] {
  const specs: WeightSpec[] = [{ name: `${prefix}/${kernelName}`, shape: kernelShape, trainable: true }];
  if (!batchNorm) return [...specs, { name: `${prefix}/bias`, shape: [channels], trainable: true }];
  return [
    ...specs,
    { name: `${prefix}/bn/gamma`, shape: [channels], trainable: true },
    { name: `${prefix}/bn/beta`, shape: [channels], trainable: true },
    { name: `${prefix}/bn/mean`, shape: [channels], trainable: false },
    { name: `${prefix}/bn/variance`, shape: [channels], trainable: false },
  ];
}
