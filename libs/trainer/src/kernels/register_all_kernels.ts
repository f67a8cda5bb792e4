/** Our kernels for the tfjs wasm backend, one per file; registered once by initBackend. */
import { registerKernel, unregisterKernel, getKernel, type KernelConfig } from '@tensorflow/tfjs';
import { batchMatMulConfig } from './BatchMatMul';
import { conv2DBackpropFilterConfig } from './Conv2DBackpropFilter';
import { conv2DBackpropInputConfig } from './Conv2DBackpropInput';
import { depthwiseConv2dNativeBackpropFilterConfig } from './DepthwiseConv2dNativeBackpropFilter';
import { depthwiseConv2dNativeBackpropInputConfig } from './DepthwiseConv2dNativeBackpropInput';
import { maxPoolGradConfig } from './MaxPoolGrad';
import { sumConfig } from './Sum';
import { rememberStock } from './wasm';

export const wasmKernels: KernelConfig[] = [
  batchMatMulConfig,
  conv2DBackpropFilterConfig,
  conv2DBackpropInputConfig,
  depthwiseConv2dNativeBackpropFilterConfig,
  depthwiseConv2dNativeBackpropInputConfig,
  maxPoolGradConfig,
  sumConfig,
];

let registered = false;

/** Replaces (or adds) our kernels on the wasm backend; the stock ones stay callable from ours. */
export function registerWasmKernels(): void {
  if (registered) return;
  for (const k of wasmKernels) {
    if (getKernel(k.kernelName, 'wasm')) {
      rememberStock(k.kernelName);
      unregisterKernel(k.kernelName, 'wasm');
    }
    registerKernel(k);
  }
  registered = true;
}
