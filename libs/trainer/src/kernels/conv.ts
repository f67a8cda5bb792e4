/**
 * NHWC convolution on the SIMD kernel (simd.ts's convRows): per image, one call for the block of
 * output pixels whose taps are all inside the input, and one per border row / column strip with its
 * valid taps. Used for
 * the forward pass (with bias and ReLU fused) and for stride-1 input gradients.
 */
import type { TensorInfo } from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import type { Simd } from './simd';
import { alloc, f32, heapF32 } from './wasm';
import type { ConvGeometry } from './geometry';
import { winogradConv, winogradFits } from './winograd';

/** Bytes of weights (all taps of a block of output channels) kept hot while they sweep the batch. */
let blockBytes = 256 * 1024;

/** Sets that block size (tests use tiny blocks to cover the blocked path on small shapes). */
export function setConvBlockBytes(bytes: number): void {
  blockBytes = bytes;
}

/**
 * Output rows narrower than this go through im2col (tiles of 4 pixels need pixels in a row; border
 * pixels are handled one by one), if the im2col matrix stays under IM2COL_MAX_ELEMENTS.
 */
const IM2COL_BELOW_WIDTH = 12;
const IM2COL_MAX_ELEMENTS = 1 << 23;

/**
 * Weights [taps, co] (row-major; `transposed`: stored [co, taps]) in the layout of simd.ts's
 * convPacked: per block of 8 output channels (a last block of 4 when co % 8 == 4), every tap's 8 (4)
 * weights contiguous, so the kernel reads each block's weights sequentially with constant offsets.
 */
export function packFilter(backend: BackendWasm, filter: TensorInfo, transposed = false): TensorInfo {
  const size = filter.shape.reduce((a, b) => a * b, 1);
  const co = transposed ? filter.shape[filter.shape.length - 2] : filter.shape[filter.shape.length - 1];
  const taps = size / co;
  const out = alloc(backend, [size]);
  const src = heapF32(backend);
  const s0 = backend.getMemoryOffset(filter.dataId) / 4;
  const dst = f32(backend, out);
  // Element (t, o) of the [taps, co] matrix.
  const [tStep, oStep] = transposed ? [1, taps] : [co, 1];
  let d = 0;
  for (let c0 = 0; c0 < co; c0 += 8) {
    const width = Math.min(8, co - c0);
    for (let t = 0; t < taps; t++) {
      const s = s0 + t * tStep + c0 * oStep;
      for (let o = 0; o < width; o++) dst[d++] = src[s + o * oStep];
    }
  }
  return out;
}

/**
 * y [m, co] = act(a [m, k] x W + bias) with W packed by packFilter (k taps, co channels, co a
 * multiple of 4): blocks of rows whose data stay in cache while every channel block sweeps them.
 */
export function packedMatMul(backend: BackendWasm, simd: Simd, a: TensorInfo, packed: TensorInfo, m: number, k: number, co: number, bias: TensorInfo | undefined, relu: boolean, outShape: number[]): TensorInfo {
  const y = alloc(backend, outShape);
  const kernel = relu ? simd.convPackedRelu : simd.convPacked;
  const [pa, pw, pb, py] = [a, packed, bias, y].map((t) => (t ? backend.getMemoryOffset(t.dataId) : 0));
  const cBlock = Math.max(8, Math.floor(blockBytes / (k * 4 * 8)) * 8);
  const mBlock = Math.max(4, Math.floor(blockBytes / (k * 4) / 4) * 4);
  for (let m0 = 0; m0 < m; m0 += mBlock) {
    for (let c0 = 0; c0 < co; c0 += cBlock) {
      kernel(pa + m0 * k * 4, 0, k * 4, pw, 0, 0, k, pb, py + m0 * co * 4, Math.min(mBlock, m - m0), k, 1, 1, 0, 0, co * 4, c0, Math.min(co, c0 + cBlock));
    }
  }
  return y;
}

/** y = act(conv(x, filter [kh, kw, ci, co]) + bias); co must be a multiple of 4. */
export function simdConv(backend: BackendWasm, simd: Simd, x: TensorInfo, filter: TensorInfo, bias: TensorInfo | undefined, g: ConvGeometry, relu: boolean): TensorInfo {
  const [n, h, w, ci] = x.shape;
  const [kh, kw, , co] = filter.shape;
  const [, oh, ow] = g.outShape;
  if (kh * kw === 1 && g.strides[0] === 1 && g.strides[1] === 1 && g.top === 0 && g.left === 0) return viaIm2col(backend, simd, x, filter, bias, g, relu, x);
  if (winogradFits(kh, kw, g.strides, ci, co, oh, ow)) return winogradConv(backend, simd, x, filter, bias, g, relu);
  if (ow < IM2COL_BELOW_WIDTH && n * oh * ow * kh * kw * ci <= IM2COL_MAX_ELEMENTS) return viaIm2col(backend, simd, x, filter, bias, g, relu);
  const [sh, sw] = g.strides;
  const { top, left } = g;
  const y = alloc(backend, g.outShape);
  const packed = packFilter(backend, filter);
  const xb = backend.getMemoryOffset(x.dataId);
  const wb = backend.getMemoryOffset(packed.dataId);
  const bb = bias ? backend.getMemoryOffset(bias.dataId) : 0;
  const yb = backend.getMemoryOffset(y.dataId);
  const kernel = relu ? simd.convPackedRelu : simd.convPacked;
  const rowBytes = w * ci * 4;
  // Output columns whose taps all fall inside the input: q*sw - left >= 0 and q*sw - left + kw <= w.
  const qa = Math.min(ow, Math.max(0, Math.ceil(left / sw)));
  const qb = Math.max(qa, Math.min(ow, Math.floor((w + left - kw) / sw) + 1));
  // Same for rows.
  const ra = Math.min(oh, Math.max(0, Math.ceil(top / sh)));
  const rb = Math.max(ra, Math.min(oh, Math.floor((h + top - kh) / sh) + 1));
  /** `rows` output rows from r, `count` pixels from q, with the taps valid for the first of them. */
  const block = (b: number, r: number, rows: number, q: number, count: number) => {
    const i0 = Math.max(0, top - r * sh);
    const ni = Math.max(0, Math.min(kh, h + top - r * sh) - i0);
    const j0 = Math.max(0, left - q * sw);
    const nj = Math.max(0, Math.min(kw, w + left - q * sw) - j0);
    kernel(
      xb + ((b * h + r * sh + i0 - top) * w + q * sw + j0 - left) * ci * 4,
      rowBytes,
      sw * ci * 4,
      wb,
      (i0 * kw + j0) * ci,
      kw * ci,
      kh * kw * ci,
      bb,
      yb + ((b * oh + r) * ow + q) * co * 4,
      count,
      nj * ci,
      ni,
      rows,
      sh * w * ci * 4,
      ow * co * 4,
      co * 4,
      c0,
      c1,
    );
  };
  /** Rows [r, r + rows) sharing their valid tap rows: the interior columns at once, border columns one by one. */
  const band = (b: number, r: number, rows: number) => {
    if (qb > qa) block(b, r, rows, qa, qb - qa);
    for (let q = 0; q < qa; q++) block(b, r, rows, q, 1);
    for (let q = qb; q < ow; q++) block(b, r, rows, q, 1);
  };
  // Blocks of output channels whose weights stay in cache while every pixel of the batch uses them.
  const cBlock = Math.max(8, Math.floor(blockBytes / (kh * kw * ci * 4 * 8)) * 8);
  let c0 = 0;
  let c1 = 0;
  for (c0 = 0; c0 < co; c0 = c1) {
    c1 = Math.min(co, c0 + cBlock);
    for (let b = 0; b < n; b++) {
      if (rb > ra) band(b, ra, rb - ra);
      for (let r = 0; r < ra; r++) band(b, r, 1);
      for (let r = rb; r < oh; r++) band(b, r, 1);
    }
  }
  backend.disposeData(packed.dataId);
  return y;
}

/**
 * Narrow outputs (deep layers on small images): each output pixel's receptive field copied into one
 * row of an [n*oh*ow, kh*kw*ci] matrix (zeros for padding), then one 1x1 convolution over it, whose
 * pixel tiles of 4 span rows and images and so reuse every weight load. `given`: x itself is that
 * matrix (1x1 convolutions).
 */
function viaIm2col(backend: BackendWasm, simd: Simd, x: TensorInfo, filter: TensorInfo, bias: TensorInfo | undefined, g: ConvGeometry, relu: boolean, given?: TensorInfo): TensorInfo {
  const [n, h, w, ci] = x.shape;
  const [kh, kw, , co] = filter.shape;
  const [, oh, ow] = g.outShape;
  const [sh, sw] = g.strides;
  const k = kh * kw * ci;
  const m = n * oh * ow;
  const packed = packFilter(backend, filter);
  const matmul = (cols: TensorInfo) => {
    const y = packedMatMul(backend, simd, cols, packed, m, k, co, bias, relu, g.outShape);
    backend.disposeData(packed.dataId);
    return y;
  };
  // A 1x1, stride-1, unpadded convolution: x already is that matrix.
  if (given) return matmul(given);
  const cols = alloc(backend, [m, k]);
  const heap = heapF32(backend);
  const xb = backend.getMemoryOffset(x.dataId) / 4;
  const cb = backend.getMemoryOffset(cols.dataId) / 4;
  heap.fill(0, cb, cb + m * k);
  for (let b = 0; b < n; b++) {
    for (let r = 0; r < oh; r++) {
      for (let q = 0; q < ow; q++) {
        const row = cb + ((b * oh + r) * ow + q) * k;
        const j0 = Math.max(0, g.left - q * sw);
        const j1 = Math.min(kw, w + g.left - q * sw);
        if (j1 <= j0) continue;
        for (let i = 0; i < kh; i++) {
          const xr = r * sh + i - g.top;
          if (xr < 0 || xr >= h) continue;
          const src = xb + ((b * h + xr) * w + q * sw + j0 - g.left) * ci;
          heap.copyWithin(row + (i * kw + j0) * ci, src, src + (j1 - j0) * ci);
        }
      }
    }
  }
  const y = matmul(cols);
  backend.disposeData(cols.dataId);
  return y;
}
