import { attr, type Emitter } from './context';

/** U-Net skip: channel concat of [previous output, output of `from`] (arch resolves both inputs). */
export const skip: Emitter<'skip'> = {
  kind: 'skip',
  emit({ node, inputs }, ctx) {
    return ctx.node('Concat', inputs.map((i) => ctx.value(i)), `${node.name}/concat`, [attr.int('axis', 1)]);
  },
};
