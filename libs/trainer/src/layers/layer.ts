import type * as tf from '@tensorflow/tfjs';
import type { Activation, Node, Shape } from '@marl-hpo/arch';

/** How a new weight starts (seeded): He for ReLU layers, Glorot otherwise. */
export type Init = { kind: 'heUniform' | 'glorotUniform'; fanIn: number; fanOut: number } | { kind: 'const'; value: number };

export interface BuildContext {
  /** The variable for weight `name` (the weight contract's name): loaded from the given weights, else initialised. */
  weight(name: string, shape: number[], init: Init, trainable?: boolean): tf.Variable;
}

export interface ApplyContext {
  training: boolean;
  /** A seed for this layer's randomness in this step (dropout masks). */
  seed(layer: string): number;
}

/** A built layer: reads the outputs of its input layers, returns its own. */
export type Layer = (inputs: tf.Tensor[], ctx: ApplyContext) => tf.Tensor;

/** Where a layer sits in the graph. */
export interface LayerInputs {
  /** Its (first) input is the model's input, whose gradient nobody needs. */
  readsModelInput: boolean;
}

/** How one IR node kind becomes tfjs ops (one file per kind, listed in layers/index.ts). */
export interface LayerDef<N extends Node = Node> {
  kind: N['kind'];
  build(node: N, inputShapes: Shape[], ctx: BuildContext, inputs: LayerInputs): Layer;
}

export function initFor(activation: Activation, fanIn: number, fanOut: number): Init {
  return { kind: activation === 'relu' ? 'heUniform' : 'glorotUniform', fanIn, fanOut };
}
