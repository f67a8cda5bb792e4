/** Conv2D on our SIMD row kernel (see conv.ts); dilations, other layouts and ragged channels keep the stock kernel. */
import { backend_util, Conv2D, type Conv2DAttrs, type Conv2DInputs, type KernelConfig, type TensorInfo } from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { simdConv } from './conv';
import { simdFor } from './simd';
import { call } from './wasm';

export function conv2D(args: { inputs: Conv2DInputs; backend: BackendWasm; attrs: Conv2DAttrs }): TensorInfo {
  const { backend, attrs } = args;
  const x = args.inputs.x as TensorInfo;
  const filter = args.inputs.filter as TensorInfo;
  const info = backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number],
    filter.shape as [number, number, number, number],
    attrs.strides,
    attrs.dilations,
    attrs.pad,
    attrs.dimRoundingMode,
    false,
    backend_util.convertConv2DDataFormat(attrs.dataFormat),
  );
  const simd = info.outChannels % 4 === 0 && info.dilationHeight === 1 && info.dilationWidth === 1 && info.dataFormat === 'channelsLast' ? simdFor(backend) : undefined;
  if (!simd) return call(backend, Conv2D, { x, filter }, attrs as unknown as Record<string, never>);
  return simdConv(backend, simd, x, filter, undefined, { outShape: info.outShape, strides: [info.strideHeight, info.strideWidth], top: info.padInfo.top, left: info.padInfo.left }, false);
}

export const conv2DConfig: KernelConfig = {
  kernelName: Conv2D,
  backendName: 'wasm',
  kernelFunc: conv2D as unknown as KernelConfig['kernelFunc'],
};
