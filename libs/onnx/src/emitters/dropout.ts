import type { Emitter } from './context';

/** Inference only: dropout is the identity and leaves no node. */
export const dropout: Emitter<'dropout'> = {
  kind: 'dropout',
  emit: ({ inputs }, ctx) => ctx.value(inputs[0]),
};
