/**
 * Conv2DBackpropFilter (the weight gradient), which the wasm backend lacks.
 *
 * dW[kh,kw,ci,co] = sum_{n,oh,ow} x[n, oh*s+kh-pt, ow*s+kw-pl, ci] * dy[n,oh,ow,co] is itself a
 * convolution: treat ci as the batch and n as the channels, i.e. convolve
 * x^T [ci, H, W, n] with the filter dy^T [OH, OW, n, co] dilated by the stride; the output
 * [ci, KH, KW, co] is dW transposed. That runs on XNNPACK's fast Conv2D. The batch is
 * processed in chunks: the C++ side transposes every new filter, which is slow once the
 * filter outgrows the cache.
 */
import { backend_util, BatchMatMul, Conv2DBackpropFilter, type Conv2DBackpropFilterAttrs, type Conv2DBackpropFilterInputs, type KernelConfig, type TensorInfo } from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { simdFor, type Simd } from './simd';
import { winogradFilterGrad, winogradFits } from './winograd';
import { addFree, alloc, call, conv, f32, free, reshape, transpose, transpose2d, unview, view } from './wasm';

/** Filter elements per chunk (dy^T block); keeps the C++ filter transpose in cache. */
let chunkElements = 1 << 18;

/** Sets the chunk size (tests use small chunks to cover the chunked path on small shapes). */
export function setFilterChunkElements(n: number): void {
  chunkElements = n;
}

export function conv2DBackpropFilter(args: { inputs: Conv2DBackpropFilterInputs; backend: BackendWasm; attrs: Conv2DBackpropFilterAttrs }): TensorInfo {
  const { backend, attrs } = args;
  const x = args.inputs.x as TensorInfo;
  const dy = args.inputs.dy as TensorInfo;
  const { strides, pad, dimRoundingMode, filterShape, dataFormat } = attrs;
  const info = backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number],
    filterShape,
    strides,
    1,
    pad,
    dimRoundingMode,
    false,
    backend_util.convertConv2DDataFormat(dataFormat),
  );
  if (info.dataFormat !== 'channelsLast') throw new Error('Conv2DBackpropFilter: only NHWC is supported');
  const { batchSize: n, inHeight, inWidth, inChannels: ci, outHeight: oh, outWidth: ow, outChannels: co, filterHeight: kh, filterWidth: kw } = info;
  const { strideHeight: sh, strideWidth: sw } = info;
  const { top, left } = info.padInfo;
  // Padding that makes the dilated window produce exactly KH x KW outputs; negative means the
  // last rows/columns of x are never read, so crop them.
  let bottom = kh + (oh - 1) * sh - inHeight - top;
  let right = kw + (ow - 1) * sw - inWidth - left;
  let h = inHeight;
  let w = inWidth;
  let src = x;
  if (bottom < 0 || right < 0) {
    h += Math.min(bottom, 0);
    w += Math.min(right, 0);
    src = call(backend, 'Slice', { x }, { begin: [0, 0, 0, 0], size: [n, h, w, ci] });
    bottom = Math.max(bottom, 0);
    right = Math.max(right, 0);
  }
  const simd = co % 4 === 0 ? simdFor(backend) : undefined;
  if (simd && winogradFits(kh, kw, [sh, sw], ci, co, oh, ow)) {
    const out = winogradFilterGrad(backend, simd, src, dy, top, left);
    if (src !== x) free(backend, src);
    return out;
  }
  if (simd) {
    const out = viaSimd(backend, simd, src, dy, [kh, kw], [sh, sw], [top, left]);
    if (src !== x) free(backend, src);
    return out;
  }
  if (kh * kw * ci <= 2 * co) {
    const out = viaMatmul(backend, src, dy, [kh, kw], [sh, sw], [top, left]);
    if (src !== x) free(backend, src);
    return out;
  }
  // Balanced chunks of at most chunkElements dy elements each.
  const maxChunk = Math.max(1, Math.min(n, Math.floor(chunkElements / (oh * ow * co))));
  const chunk = Math.ceil(n / Math.ceil(n / maxChunk));
  let acc: TensorInfo | undefined;
  for (let n0 = 0; n0 < n; n0 += chunk) {
    const c = Math.min(chunk, n - n0);
    const xv = view(backend, src, n0 * h * w * ci, [c, h, w, ci]);
    const dyv = view(backend, dy, n0 * oh * ow * co, [c, oh, ow, co]);
    const xt = transpose(backend, xv, [3, 1, 2, 0]);
    const dyt = transpose(backend, dyv, [1, 2, 0, 3]);
    unview(backend, xv);
    unview(backend, dyv);
    const part = conv(backend, xt, dyt, [top, bottom, left, right], [sh, sw]);
    free(backend, xt, dyt);
    acc = acc ? addFree(backend, acc, part) : part;
  }
  if (src !== x) free(backend, src);
  if (!acc) throw new Error('Conv2DBackpropFilter: empty batch');
  const out = transpose(backend, acc, [1, 2, 0, 3]);
  free(backend, acc);
  return out;
}

/** Images per float32 partial sum (then added up in float64). */
const SIMD_BLOCK = 8;
/** Bytes of x and dy pixels one dwRows call reads (repeatedly, once per tile): about L2's share. */
const CALL_BYTES = 1 << 20;

/**
 * dW by outer products of x and dy pixels (simd.ts's dwRows): for each tap, the output pixels whose
 * input falls inside x (in a block of images) add x[pixel, ci] * dy[pixel, co] into dW[tap], the sums
 * of a 4 x 8 (ci x co) tile staying in registers over all of them. No transposes, no packing.
 */
function viaSimd(backend: BackendWasm, simd: Simd, x: TensorInfo, dy: TensorInfo, [kh, kw]: number[], [sh, sw]: number[], [top, left]: number[]): TensorInfo {
  const [n, h, w, ci] = x.shape;
  const [, oh, ow, co] = dy.shape;
  const size = kh * kw * ci * co;
  const total = new Float64Array(size);
  const part = alloc(backend, [size]);
  const out = alloc(backend, [kh, kw, ci, co]);
  const xb = backend.getMemoryOffset(x.dataId);
  const dyb = backend.getMemoryOffset(dy.dataId);
  const pb = backend.getMemoryOffset(part.dataId);
  // Valid output rows per tap row i (0 <= r * sh + i - top < h), columns per tap column j.
  const r0 = Array.from({ length: kh }, (_, i) => Math.max(0, Math.ceil((top - i) / sh)));
  const r1 = Array.from({ length: kh }, (_, i) => Math.min(oh, Math.floor((h - 1 + top - i) / sh) + 1));
  const q0 = Array.from({ length: kw }, (_, j) => Math.max(0, Math.ceil((left - j) / sw)));
  const q1 = Array.from({ length: kw }, (_, j) => Math.min(ow, Math.floor((w - 1 + left - j) / sw) + 1));
  // Each call's pixels (x and dy) should stay in cache while every (ci, co) tile sweeps them:
  // whole images when they are small, else bands of output rows.
  const imageBytes = oh * ow * (ci + co) * 4;
  const images = Math.max(1, Math.min(SIMD_BLOCK, Math.floor(CALL_BYTES / imageBytes)));
  const band = images > 1 ? oh : Math.max(1, Math.floor(CALL_BYTES / (ow * (ci + co) * 4)));
  for (let b = 0; b < n; b += SIMD_BLOCK) {
    f32(backend, part).fill(0);
    for (let b1 = b; b1 < Math.min(n, b + SIMD_BLOCK); b1 += images) {
      const nb = Math.min(images, n, b + SIMD_BLOCK - b1, n - b1);
      for (let i = 0; i < kh; i++) {
        for (let j = 0; j < kw; j++) {
          if (q1[j] <= q0[j]) continue;
          for (let ra = r0[i]; ra < r1[i]; ra += band) {
            const rows = Math.min(band, r1[i] - ra);
            simd.dwRows(
              xb + ((b1 * h + ra * sh + i - top) * w + q0[j] * sw + j - left) * ci * 4,
              dyb + ((b1 * oh + ra) * ow + q0[j]) * co * 4,
              pb + (i * kw + j) * ci * co * 4,
              q1[j] - q0[j],
              ci,
              co,
              sw * ci * 4,
              co * 4,
              rows,
              sh * w * ci * 4,
              ow * co * 4,
              nb,
              h * w * ci * 4,
              oh * ow * co * 4,
            );
          }
        }
      }
    }
    const p = f32(backend, part);
    for (let k = 0; k < size; k++) total[k] += p[k];
  }
  f32(backend, out).set(total);
  free(backend, part);
  return out;
}

/**
 * dW = im2col(x)^T x dy as one matrix product, for layers with few input taps (the first layer,
 * 1x1 convolutions): im2col^T [kh*kw*ci, n*oh*ow] is then small, and dy is read as stored.
 */
function viaMatmul(backend: BackendWasm, x: TensorInfo, dy: TensorInfo, [kh, kw]: number[], [sh, sw]: number[], [top, left]: number[]): TensorInfo {
  const [n, h, w, ci] = x.shape;
  const [, oh, ow, co] = dy.shape;
  const p = n * oh * ow;
  const rows = kh * kw * ci;
  let cols: TensorInfo;
  if (kh === 1 && kw === 1 && sh === 1 && sw === 1 && top === 0 && left === 0 && oh === h && ow === w) {
    cols = transpose2d(backend, x, p, ci);
  } else {
    cols = alloc(backend, [rows, p]);
    const xs = f32(backend, x);
    const a = f32(backend, cols);
    a.fill(0);
    for (let i = 0; i < kh; i++) {
      for (let j = 0; j < kw; j++) {
        for (let k = 0; k < ci; k++) {
          const r0 = ((i * kw + j) * ci + k) * p;
          for (let b = 0; b < n; b++) {
            for (let r = 0; r < oh; r++) {
              const xr = r * sh + i - top;
              if (xr < 0 || xr >= h) continue;
              const src = (b * h + xr) * w * ci + k;
              const dst = r0 + (b * oh + r) * ow;
              for (let q = 0; q < ow; q++) {
                const xc = q * sw + j - left;
                if (xc >= 0 && xc < w) a[dst + q] = xs[src + xc * ci];
              }
            }
          }
        }
      }
    }
  }
  const out = call(backend, BatchMatMul, { a: reshape(cols, [1, rows, p]), b: reshape(dy, [1, p, co]) }, { transposeA: false, transposeB: false });
  free(backend, cols);
  return reshape(out, [kh, kw, ci, co]);
}

export const conv2DBackpropFilterConfig: KernelConfig = {
  kernelName: Conv2DBackpropFilter,
  backendName: 'wasm',
  kernelFunc: conv2DBackpropFilter as unknown as KernelConfig['kernelFunc'],
};
