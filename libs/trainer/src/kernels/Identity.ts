/**
 * Identity as a reference to the same data (as Reshape already is on wasm): the stock kernel
 * copies, and tfjs clones every tensor it saves for the backward pass. Safe because no kernel
 * writes into its inputs.
 */
import { Identity, type IdentityInputs, type KernelConfig, type TensorInfo } from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { call } from './wasm';

export function identity(args: { inputs: IdentityInputs; backend: BackendWasm }): TensorInfo {
  const x = args.inputs.x as TensorInfo;
  if (x.dtype === 'string') return call(args.backend, Identity, { x });
  args.backend.incRef(x.dataId);
  return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
}

export const identityConfig: KernelConfig = {
  kernelName: Identity,
  backendName: 'wasm',
  kernelFunc: identity as unknown as KernelConfig['kernelFunc'],
};
