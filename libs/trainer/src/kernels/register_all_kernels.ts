/** Our kernels, one per file; registered once by initBackend. */
import { registerKernel, unregisterKernel, getKernel, type KernelConfig } from '@tensorflow/tfjs';
import { avgPoolGradConfigs } from './AvgPoolGrad';
import { batchMatMulConfig } from './BatchMatMul';
import { batchNormTrainingConfigs } from './BatchNormTraining';
import { batchNormTrainingGradConfigs } from './BatchNormTrainingGrad';
import { conv2DConfig } from './Conv2D';
import { conv2DBackpropFilterConfig } from './Conv2DBackpropFilter';
import { conv2DBackpropInputConfig } from './Conv2DBackpropInput';
import { depthwiseConv2dNativeBackpropFilterConfig } from './DepthwiseConv2dNativeBackpropFilter';
import { depthwiseConv2dNativeBackpropInputConfig } from './DepthwiseConv2dNativeBackpropInput';
import { fusedConv2DConfig } from './FusedConv2D';
import { identityConfig } from './Identity';
import { maxPoolGradConfig } from './MaxPoolGrad';
import { reluBackpropConfigs } from './ReluBackprop';
import { resizeBilinearGradConfigs } from './ResizeBilinearGrad';
import { resizeNearestNeighborGradConfigs } from './ResizeNearestNeighborGrad';
import { sliceConfig } from './Slice';
import { sumConfig } from './Sum';
import { rememberStock } from './wasm';

export const wasmKernels: KernelConfig[] = [
  batchMatMulConfig,
  conv2DConfig,
  conv2DBackpropFilterConfig,
  conv2DBackpropInputConfig,
  depthwiseConv2dNativeBackpropFilterConfig,
  depthwiseConv2dNativeBackpropInputConfig,
  fusedConv2DConfig,
  identityConfig,
  maxPoolGradConfig,
  sliceConfig,
  sumConfig,
];

/** Corrections of wrong tfjs kernels, for the wasm and the cpu backend. */
export const fixedKernels: KernelConfig[] = [...avgPoolGradConfigs, ...resizeBilinearGradConfigs, ...resizeNearestNeighborGradConfigs];

/** Kernels of our own (no tfjs counterpart; the tensorflow backend lacks them), for the wasm and the cpu backend. */
export const ownKernels: KernelConfig[] = [...reluBackpropConfigs, ...batchNormTrainingConfigs, ...batchNormTrainingGradConfigs];

const registered = new Set<string>();

/**
 * Replaces (or adds) our kernels for one backend; the stock wasm ones stay callable from ours. For
 * wasm, call after the backend initialised: the stock kernels we call must have run their setup.
 */
export function registerKernels(backendName: 'wasm' | 'cpu'): void {
  if (registered.has(backendName)) return;
  for (const k of [...wasmKernels, ...fixedKernels, ...ownKernels]) {
    if (k.backendName !== backendName) continue;
    if (getKernel(k.kernelName, k.backendName)) {
      if (k.backendName === 'wasm') rememberStock(k.kernelName);
      unregisterKernel(k.kernelName, k.backendName);
    }
    registerKernel(k);
  }
  registered.add(backendName);
}
