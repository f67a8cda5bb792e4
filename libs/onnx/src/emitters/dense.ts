import { activate, type Emitter } from './context';

/** Gemm with the tfjs kernel [in, units] as is (transB 0) -> activation. */
export const dense: Emitter<'dense'> = {
  kind: 'dense',
  emit({ node, inputs }, ctx) {
    const k = ctx.weight(`${node.name}/kernel`);
    const weight = ctx.initializer(`${node.name}/weight`, k.shape, k.data);
    const bias = ctx.initializer(`${node.name}/bias`, [node.units], ctx.weight(`${node.name}/bias`).data);
    return activate(ctx, ctx.node('Gemm', [ctx.value(inputs[0]), weight, bias], `${node.name}/gemm`), node.activation, node.name);
  },
};
