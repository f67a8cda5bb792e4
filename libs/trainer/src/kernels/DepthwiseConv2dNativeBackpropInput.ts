/**
 * DepthwiseConv2dNativeBackpropInput, missing from the wasm backend:
 * dx[n,h,w,c] = sum dy[n,oh,ow,c*M+m] * W[kh,kw,c,m] over the windows covering (h, w).
 * A direct loop over dy pixels and taps (channels innermost): depthwise layers are cheap.
 */
import { backend_util, DepthwiseConv2dNativeBackpropInput, type DepthwiseConv2dNativeBackpropInputAttrs, type DepthwiseConv2dNativeBackpropInputInputs, type KernelConfig, type TensorInfo } from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { alloc, f32 } from './wasm';

export function depthwiseConv2dNativeBackpropInput(args: { inputs: DepthwiseConv2dNativeBackpropInputInputs; backend: BackendWasm; attrs: DepthwiseConv2dNativeBackpropInputAttrs }): TensorInfo {
  const { backend, attrs } = args;
  const dy = args.inputs.dy as TensorInfo;
  const filter = args.inputs.filter as TensorInfo;
  const { strides, dilations, pad, dimRoundingMode, inputShape } = attrs;
  const info = backend_util.computeConv2DInfo(inputShape, filter.shape as [number, number, number, number], strides, dilations, pad, dimRoundingMode, true);
  const { batchSize: n, inHeight: h, inWidth: w, inChannels: c, outHeight: oh, outWidth: ow, outChannels: co, filterHeight: kh, filterWidth: kw } = info;
  const { strideHeight: sh, strideWidth: sw, dilationHeight: dh, dilationWidth: dw } = info;
  const { top, left } = info.padInfo;
  const m = co / c;

  const dx = alloc(backend, inputShape);
  const dys = f32(backend, dy);
  const fs = f32(backend, filter);
  const dxs = f32(backend, dx);
  dxs.fill(0);
  for (let b = 0; b < n; b++) {
    for (let r = 0; r < oh; r++) {
      for (let q = 0; q < ow; q++) {
        const d0 = ((b * oh + r) * ow + q) * co;
        for (let i = 0; i < kh; i++) {
          const xr = r * sh + i * dh - top;
          if (xr < 0 || xr >= h) continue;
          for (let j = 0; j < kw; j++) {
            const xc = q * sw + j * dw - left;
            if (xc < 0 || xc >= w) continue;
            const x0 = ((b * h + xr) * w + xc) * c;
            const f0 = (i * kw + j) * co;
            if (m === 1) {
              for (let k = 0; k < c; k++) dxs[x0 + k] += dys[d0 + k] * fs[f0 + k];
            } else {
              for (let k = 0; k < c; k++) {
                let s = 0;
                for (let p = 0; p < m; p++) s += dys[d0 + k * m + p] * fs[f0 + k * m + p];
                dxs[x0 + k] += s;
              }
            }
          }
        }
      }
    }
  }
  return dx;
}

export const depthwiseConv2dNativeBackpropInputConfig: KernelConfig = {
  kernelName: DepthwiseConv2dNativeBackpropInput,
  backendName: 'wasm',
  kernelFunc: depthwiseConv2dNativeBackpropInput as unknown as KernelConfig['kernelFunc'],
};
