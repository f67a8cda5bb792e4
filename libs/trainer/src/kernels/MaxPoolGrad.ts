/**
 * MaxPoolGrad: the stock wasm kernel loops over every dx pixel and its windows (~10x slower).
 * We scan each window once, channel-innermost, and route dy to the first maximum in window
 * order (the same tie rule as tfjs's cpu kernel).
 */
import { backend_util, MaxPoolGrad, type KernelConfig, type MaxPoolGradAttrs, type MaxPoolGradInputs, type TensorInfo } from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { alloc, f32 } from './wasm';

export function maxPoolGrad(args: { inputs: MaxPoolGradInputs; backend: BackendWasm; attrs: MaxPoolGradAttrs }): TensorInfo {
  const { backend, attrs } = args;
  const dy = args.inputs.dy as TensorInfo;
  const input = args.inputs.input as TensorInfo;
  const { filterSize, strides, pad, dimRoundingMode } = attrs;
  const info = backend_util.computePool2DInfo(input.shape as [number, number, number, number], filterSize, strides, 1, pad, dimRoundingMode);
  const { batchSize: n, inHeight: h, inWidth: w, inChannels: c, outHeight: oh, outWidth: ow, strideHeight: sh, strideWidth: sw, filterHeight: fh, filterWidth: fw } = info;
  const { top, left } = info.padInfo;

  const dx = alloc(backend, input.shape);
  const xs = f32(backend, input);
  const dys = f32(backend, dy);
  const dxs = f32(backend, dx);
  dxs.fill(0);
  const best = new Float32Array(c);
  const arg = new Int32Array(c);
  for (let b = 0; b < n; b++) {
    for (let r = 0; r < oh; r++) {
      const r0 = r * sh - top;
      for (let q = 0; q < ow; q++) {
        const c0 = q * sw - left;
        best.fill(-Infinity);
        arg.fill(-1);
        for (let i = Math.max(0, -r0); i < fh && r0 + i < h; i++) {
          for (let j = Math.max(0, -c0); j < fw && c0 + j < w; j++) {
            const base = ((b * h + r0 + i) * w + c0 + j) * c;
            for (let k = 0; k < c; k++) {
              const v = xs[base + k];
              if (v > best[k]) {
                best[k] = v;
                arg[k] = base + k;
              }
            }
          }
        }
        const d0 = ((b * oh + r) * ow + q) * c;
        for (let k = 0; k < c; k++) if (arg[k] >= 0) dxs[arg[k]] += dys[d0 + k];
      }
    }
  }
  return dx;
}

export const maxPoolGradConfig: KernelConfig = {
  kernelName: MaxPoolGrad,
  backendName: 'wasm',
  kernelFunc: maxPoolGrad as unknown as KernelConfig['kernelFunc'],
};
