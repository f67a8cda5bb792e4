/**
 * NHWC convolution on the SIMD row kernel (simd.ts's convRow): one call per output row for the
 * pixels whose taps are all inside the input, one per border pixel with its valid taps. Used for
 * the forward pass (with bias and ReLU fused) and for stride-1 input gradients.
 */
import type { TensorInfo } from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import type { Simd } from './simd';
import { alloc } from './wasm';

export interface ConvGeometry {
  /** Output [n, oh, ow, co]. */
  outShape: number[];
  strides: [number, number];
  /** Padding before the first row / column. */
  top: number;
  left: number;
}

/** y = act(conv(x, filter [kh, kw, ci, co]) + bias); co must be a multiple of 4. */
export function simdConv(backend: BackendWasm, simd: Simd, x: TensorInfo, filter: TensorInfo, bias: TensorInfo | undefined, g: ConvGeometry, relu: boolean): TensorInfo {
  const [n, h, w, ci] = x.shape;
  const [kh, kw, , co] = filter.shape;
  const [, oh, ow] = g.outShape;
  const [sh, sw] = g.strides;
  const { top, left } = g;
  const y = alloc(backend, g.outShape);
  const xb = backend.getMemoryOffset(x.dataId);
  const wb = backend.getMemoryOffset(filter.dataId);
  const bb = bias ? backend.getMemoryOffset(bias.dataId) : 0;
  const yb = backend.getMemoryOffset(y.dataId);
  const row = relu ? simd.convRowRelu : simd.convRow;
  const rowBytes = w * ci * 4;
  const wRowBytes = kw * ci * co * 4;
  // Output columns whose taps all fall inside the input: q*sw - left >= 0 and q*sw - left + kw <= w.
  const qa = Math.min(ow, Math.max(0, Math.ceil(left / sw)));
  const qb = Math.max(qa, Math.min(ow, Math.floor((w + left - kw) / sw) + 1));
  const pixel = (b: number, r: number, i0: number, ni: number, q: number, count: number, j0: number, nj: number) =>
    row(
      xb + ((b * h + r * sh + i0 - top) * w + q * sw + j0 - left) * ci * 4,
      rowBytes,
      sw * ci * 4,
      wb + (i0 * kw + j0) * ci * co * 4,
      wRowBytes,
      bb,
      yb + ((b * oh + r) * ow + q) * co * 4,
      count,
      ci,
      co,
      ni,
      nj,
    );
  for (let b = 0; b < n; b++) {
    for (let r = 0; r < oh; r++) {
      const i0 = Math.max(0, top - r * sh);
      const ni = Math.max(0, Math.min(kh, h + top - r * sh) - i0);
      if (qb > qa) pixel(b, r, i0, ni, qa, qb - qa, 0, kw);
      for (let q = 0; q < ow; q++) {
        if (q === qa && qb > qa) q = qb;
        if (q >= ow) break;
        const j0 = Math.max(0, left - q * sw);
        const nj = Math.max(0, Math.min(kw, w + left - q * sw) - j0);
        pixel(b, r, i0, ni, q, 1, j0, nj);
      }
    }
  }
  return y;
}
