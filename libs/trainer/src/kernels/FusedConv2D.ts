/**
 * FusedConv2D (conv + bias + ReLU/linear) on our SIMD row kernel (see conv.ts); other activations,
 * broadcast biases, dilations and ragged channels keep the stock kernel.
 */
import { backend_util, FusedConv2D, type FusedConv2DAttrs, type FusedConv2DInputs, type KernelConfig, type TensorInfo } from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { simdConv } from './conv';
import { simdFor } from './simd';
import { call } from './wasm';

export function fusedConv2D(args: { inputs: FusedConv2DInputs; backend: BackendWasm; attrs: FusedConv2DAttrs }): TensorInfo {
  const { backend, attrs } = args;
  const { x, filter, bias, preluActivationWeights } = args.inputs as unknown as { x: TensorInfo; filter: TensorInfo; bias?: TensorInfo; preluActivationWeights?: TensorInfo };
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
  const usable =
    (attrs.activation === 'relu' || attrs.activation === 'linear') &&
    !preluActivationWeights &&
    (!bias || (bias.shape.length === 1 && bias.shape[0] === info.outChannels)) &&
    info.outChannels % 4 === 0 &&
    info.dilationHeight === 1 &&
    info.dilationWidth === 1 &&
    info.dataFormat === 'channelsLast';
  const simd = usable ? simdFor(backend) : undefined;
  if (!simd) return call(backend, FusedConv2D, args.inputs as unknown as Record<string, TensorInfo>, attrs as unknown as Record<string, never>);
  const geometry = { outShape: info.outShape, strides: [info.strideHeight, info.strideWidth] as [number, number], top: info.padInfo.top, left: info.padInfo.left };
  return simdConv(backend, simd, x, filter, bias, geometry, attrs.activation === 'relu');
}

export const fusedConv2DConfig: KernelConfig = {
  kernelName: FusedConv2D,
  backendName: 'wasm',
  kernelFunc: fusedConv2D as unknown as KernelConfig['kernelFunc'],
};
