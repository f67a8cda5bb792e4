import { attr, type Emitter } from './context';

/** [N, C, H, W] -> [N, C]. */
export const globalAvgPool: Emitter<'globalAvgPool'> = {
  kind: 'globalAvgPool',
  emit({ node, inputs }, ctx) {
    const pooled = ctx.node('GlobalAveragePool', [ctx.value(inputs[0])], `${node.name}/pool`);
    return ctx.node('Flatten', [pooled], `${node.name}/flatten`, [attr.int('axis', 1)]);
  },
};
