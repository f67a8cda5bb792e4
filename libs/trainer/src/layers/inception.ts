import * as tf from '@tensorflow/tfjs';
import { inceptionConvs, type InceptionNode } from '@marl-hpo/arch';
import { convLayer } from './conv2d';
import type { LayerDef } from './layer';

/** [1x1 | 1x1 -> 3x3 | 1x1 -> 5x5 | 3x3 max pool -> 1x1], each conv 'same' + (BN) + ReLU; empty branches left out. */
export const inception: LayerDef<InceptionNode> = {
  kind: 'inception',
  build(node, [input], ctx, inputs) {
    const convs = new Map(
      inceptionConvs(node, input[2]).map((c) => [
        c.name,
        convLayer(
          ctx,
          `${node.name}/${c.name}`,
          c.cin,
          { filters: c.cout, kernel: c.kernel, stride: 1, padding: 'same', activation: 'relu', batchNorm: node.batchNorm },
          // Branch heads read the module input (directly or through the pool): no gradient needed when that is the model's.
          inputs.readsModelInput && c.name !== 'b3x3' && c.name !== 'b5x5',
        ),
      ]),
    );
    return ([x], apply) => {
      const h = x as tf.Tensor4D;
      const c = (name: string, t: tf.Tensor4D) => (convs.get(name) as ReturnType<typeof convLayer>)(t, apply);
      const branches: tf.Tensor4D[] = [];
      if (convs.has('b1x1')) branches.push(c('b1x1', h));
      if (convs.has('b3x3')) branches.push(c('b3x3', c('b3x3reduce', h)));
      if (convs.has('b5x5')) branches.push(c('b5x5', c('b5x5reduce', h)));
      if (convs.has('poolProj')) branches.push(c('poolProj', tf.maxPool(h, 3, 1, 'same')));
      return branches.length === 1 ? branches[0] : tf.concat(branches, 3);
    };
  },
};
