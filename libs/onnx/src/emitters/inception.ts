import { inceptionConvs } from '@marl-hpo/arch';
import { attr, type Emitter } from './context';
import { emitConv } from './conv2d';

/**
 * Branches [1x1 | 1x1 -> 3x3 | 1x1 -> 5x5 | 3x3 max pool stride 1 -> 1x1], each conv 'same' with (BN and)
 * ReLU, concatenated on channels in that order; branches of width 0 are absent (arch's inceptionConvs).
 */
export const inception: Emitter<'inception'> = {
  kind: 'inception',
  emit({ node, inputs, inputShapes }, ctx) {
    const x = ctx.value(inputs[0]);
    const shape = inputShapes[0];
    const convs = new Map(inceptionConvs(node, shape[2]).map((c) => [c.name, c]));
    const conv = (input: string, name: string) => {
      const kernel = convs.get(name)?.kernel;
      if (kernel === undefined) throw new Error(`inception '${node.name}': no conv '${name}'`);
      return emitConv(ctx, input, shape, `${node.name}/${name}`, { kernel, stride: 1, padding: 'same', activation: 'relu', batchNorm: node.batchNorm });
    };
    const branches: string[] = [];
    if (convs.has('b1x1')) branches.push(conv(x, 'b1x1'));
    if (convs.has('b3x3')) branches.push(conv(conv(x, 'b3x3reduce'), 'b3x3'));
    if (convs.has('b5x5')) branches.push(conv(conv(x, 'b5x5reduce'), 'b5x5'));
    if (convs.has('poolProj')) {
      const pooled = ctx.node('MaxPool', [x], `${node.name}/pool`, [attr.ints('kernel_shape', [3, 3]), attr.ints('strides', [1, 1]), attr.ints('pads', [1, 1, 1, 1])]);
      branches.push(conv(pooled, 'poolProj'));
    }
    return branches.length === 1 ? branches[0] : ctx.node('Concat', branches, `${node.name}/concat`, [attr.int('axis', 1)]);
  },
};
