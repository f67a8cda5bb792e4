/**
 * MaxPoolGrad: the stock wasm kernel loops over every dx pixel and its windows (~10x slower).
 * We scan each window once, channel-innermost, and route dy to the first maximum in window
 * order (the same tie rule as tfjs's cpu kernel).
 */
import { backend_util, MaxPoolGrad, type KernelConfig, type MaxPoolGradAttrs, type MaxPoolGradInputs, type TensorInfo } from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { simdFor } from './simd';
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
  if (fh === 2 && fw === 2 && sh === 2 && sw === 2 && top === 0 && left === 0 && 2 * oh <= h && 2 * ow <= w) {
    const simd = c % 4 === 0 ? simdFor(backend) : undefined;
    if (!simd) {
      pool2x2(xs, dys, dxs, n, h, w, c, oh, ow);
      return dx;
    }
    if (oh * 2 !== h || ow * 2 !== w) dxs.fill(0); // odd sizes: the last row/column gets no gradient
    const [xb, dyb, dxb] = [input, dy, dx].map((t) => backend.getMemoryOffset(t.dataId));
    for (let b = 0; b < n; b++) {
      for (let r = 0; r < oh; r++) {
        const row = (b * h + 2 * r) * w * c * 4;
        simd.maxPoolGradRow(xb + row, dyb + (b * oh + r) * ow * c * 4, dxb + row, ow, c, w * c * 4);
      }
    }
    return dx;
  }
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

/** 2x2 windows, stride 2 (the common case): each dx element is written exactly once. */
function pool2x2(xs: Float32Array, dys: Float32Array, dxs: Float32Array, n: number, h: number, w: number, c: number, oh: number, ow: number): void {
  if (oh * 2 !== h || ow * 2 !== w) dxs.fill(0); // odd sizes: the last row/column gets no gradient
  const row = w * c;
  for (let b = 0; b < n; b++) {
    for (let r = 0; r < oh; r++) {
      for (let q = 0; q < ow; q++) {
        const i0 = ((b * h + 2 * r) * w + 2 * q) * c;
        const i1 = i0 + c;
        const i2 = i0 + row;
        const i3 = i2 + c;
        const o = ((b * oh + r) * ow + q) * c;
        for (let k = 0; k < c; k++) {
          // First maximum in window order (strict >), as tfjs's cpu kernel.
          let m = xs[i0 + k];
          let p = 0;
          const v1 = xs[i1 + k];
          if (v1 > m) {
            m = v1;
            p = 1;
          }
          const v2 = xs[i2 + k];
          if (v2 > m) {
            m = v2;
            p = 2;
          }
          if (xs[i3 + k] > m) p = 3;
          const g = dys[o + k];
          dxs[i0 + k] = p === 0 ? g : 0;
          dxs[i1 + k] = p === 1 ? g : 0;
          dxs[i2 + k] = p === 2 ? g : 0;
          dxs[i3 + k] = p === 3 ? g : 0;
        }
      }
    }
  }
}

export const maxPoolGradConfig: KernelConfig = {
  kernelName: MaxPoolGrad,
  backendName: 'wasm',
  kernelFunc: maxPoolGrad as unknown as KernelConfig['kernelFunc'],
};
