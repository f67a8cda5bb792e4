import { attr, type Emitter } from './context';

/** The IR flattens in NHWC order (as the trainer does): NCHW -> NHWC first, unless H = W = 1. */
export const flatten: Emitter<'flatten'> = {
  kind: 'flatten',
  emit({ node, inputs, inputShapes }, ctx) {
    const x = ctx.value(inputs[0]);
    const shape = inputShapes[0];
    if (shape.length === 1) return x;
    const nhwc = shape[0] * shape[1] === 1 ? x : ctx.node('Transpose', [x], `${node.name}/nhwc`, [attr.ints('perm', [0, 2, 3, 1])]);
    return ctx.node('Flatten', [nhwc], `${node.name}/flatten`, [attr.int('axis', 1)]);
  },
};
