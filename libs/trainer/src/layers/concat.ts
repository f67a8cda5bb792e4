import * as tf from '@tensorflow/tfjs';
import type { ConcatNode, SkipNode } from '@marl-hpo/arch';
import type { LayerDef } from './layer';

/** Channel concatenation of the named layers (concat) or of [previous, from] (U-Net skip). */
export const concat: LayerDef<ConcatNode> = { kind: 'concat', build: () => (xs) => tf.concat(xs, 3) };
export const skip: LayerDef<SkipNode> = { kind: 'skip', build: () => (xs) => tf.concat(xs, 3) };
