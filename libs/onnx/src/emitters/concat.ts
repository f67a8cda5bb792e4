import { attr, type Emitter } from './context';

/** Channel concatenation (axis 1 of NCHW) of the named layers, in the IR's order. */
export const concat: Emitter<'concat'> = {
  kind: 'concat',
  emit({ node, inputs }, ctx) {
    return ctx.node('Concat', inputs.map((i) => ctx.value(i)), `${node.name}/concat`, [attr.int('axis', 1)]);
  },
};
