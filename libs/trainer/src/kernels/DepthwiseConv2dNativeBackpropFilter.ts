/**
 * DepthwiseConv2dNativeBackpropFilter, missing from the wasm backend:
 * dW[kh,kw,c,m] = sum_{n,oh,ow} x[n, oh*s+kh*d-pt, ow*s+kw*d-pl, c] * dy[n,oh,ow,c*M+m].
 * A direct loop (channels innermost, float64 accumulation): depthwise layers are cheap.
 */
import { backend_util, DepthwiseConv2dNativeBackpropFilter, type DepthwiseConv2dNativeBackpropFilterAttrs, type DepthwiseConv2dNativeBackpropFilterInputs, type KernelConfig, type TensorInfo } from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { alloc, f32 } from './wasm';

export function depthwiseConv2dNativeBackpropFilter(args: { inputs: DepthwiseConv2dNativeBackpropFilterInputs; backend: BackendWasm; attrs: DepthwiseConv2dNativeBackpropFilterAttrs }): TensorInfo {
  const { backend, attrs } = args;
  const x = args.inputs.x as TensorInfo;
  const dy = args.inputs.dy as TensorInfo;
  const { strides, dilations, pad, dimRoundingMode, filterShape } = attrs;
  const info = backend_util.computeConv2DInfo(x.shape as [number, number, number, number], filterShape, strides, dilations, pad, dimRoundingMode, true);
  const { batchSize: n, inHeight: h, inWidth: w, inChannels: c, outHeight: oh, outWidth: ow, outChannels: co, filterHeight: kh, filterWidth: kw } = info;
  const { strideHeight: sh, strideWidth: sw, dilationHeight: dh, dilationWidth: dw } = info;
  const { top, left } = info.padInfo;
  const m = co / c;

  const acc = new Float64Array(kh * kw * co);
  const out = alloc(backend, filterShape);
  const xs = f32(backend, x);
  const dys = f32(backend, dy);
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
              for (let k = 0; k < c; k++) acc[f0 + k] += xs[x0 + k] * dys[d0 + k];
            } else {
              for (let k = 0; k < c; k++) {
                const xv = xs[x0 + k];
                for (let p = 0; p < m; p++) acc[f0 + k * m + p] += xv * dys[d0 + k * m + p];
              }
            }
          }
        }
      }
    }
  }
  f32(backend, out).set(acc);
  return out;
}

export const depthwiseConv2dNativeBackpropFilterConfig: KernelConfig = {
  kernelName: DepthwiseConv2dNativeBackpropFilter,
  backendName: 'wasm',
  kernelFunc: depthwiseConv2dNativeBackpropFilter as unknown as KernelConfig['kernelFunc'],
};
