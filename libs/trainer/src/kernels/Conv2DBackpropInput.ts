/**
 * Conv2DBackpropInput (the input gradient, also the forward pass of conv2dTranspose). The
 * stock wasm kernel is a plain loop, ~10x slower than XNNPACK's Conv2D.
 *
 * With stride 1 the input gradient is a convolution of dy with the filter flipped in space
 * and with in/out channels swapped. With stride s we split the output into s x s phases
 * (polyphase): output rows with (h + padTop) mod s = p only see filter rows p, p+s, ...,
 * so each phase is a stride-1 convolution of dy with that sub-filter; the phases are then
 * interleaved into dx. Every multiply-add is useful (no zero-stuffing).
 */
import { backend_util, Conv2DBackpropInput, type Conv2DBackpropInputAttrs, type Conv2DBackpropInputInputs, type KernelConfig, type TensorInfo } from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { simdConv } from './conv';
import { simdFor } from './simd';
import { alloc, call, conv, f32, free, heapF32 } from './wasm';

/** Taps of filter axis length k that fall in phase p of stride s: k indexes p, p+s, ... */
function taps(k: number, s: number, p: number): number {
  return p >= k ? 0 : Math.ceil((k - p) / s);
}

/**
 * The phase's sub-filter, flipped and transposed for a correlation over dy:
 * out[a, b, co, ci] = W[p + s*(mh-1-a), q + s*(mw-1-b), ci, co].
 */
function phaseFilter(backend: BackendWasm, filter: TensorInfo, sh: number, sw: number, p: number, q: number, mh: number, mw: number): TensorInfo {
  const [, kw, ci, co] = filter.shape;
  const out = alloc(backend, [mh, mw, co, ci]);
  const src = f32(backend, filter);
  const dst = f32(backend, out);
  const T = 32; // transpose each tap's [ci, co] block in cache-sized tiles
  for (let a = 0; a < mh; a++) {
    const fr = p + sh * (mh - 1 - a);
    for (let b = 0; b < mw; b++) {
      const fc = q + sw * (mw - 1 - b);
      const s0 = (fr * kw + fc) * ci * co;
      const d0 = (a * mw + b) * co * ci;
      for (let i0 = 0; i0 < ci; i0 += T) {
        for (let o0 = 0; o0 < co; o0 += T) {
          for (let i = i0; i < Math.min(ci, i0 + T); i++) {
            for (let o = o0; o < Math.min(co, o0 + T); o++) dst[d0 + o * ci + i] = src[s0 + i * co + o];
          }
        }
      }
    }
  }
  return out;
}

export function conv2DBackpropInput(args: { inputs: Conv2DBackpropInputInputs; backend: BackendWasm; attrs: Conv2DBackpropInputAttrs }): TensorInfo {
  const { backend, attrs } = args;
  const dy = args.inputs.dy as TensorInfo;
  const filter = args.inputs.filter as TensorInfo;
  const { strides, pad, dataFormat, dimRoundingMode, inputShape } = attrs;
  const info = backend_util.computeConv2DInfo(
    inputShape,
    filter.shape as [number, number, number, number],
    strides,
    1,
    pad,
    dimRoundingMode,
    false,
    backend_util.convertConv2DDataFormat(dataFormat),
  );
  if (info.dataFormat !== 'channelsLast') throw new Error('Conv2DBackpropInput: only NHWC is supported');
  const { batchSize: n, inHeight: h, inWidth: w, inChannels: ci, outHeight: oh, outWidth: ow, filterHeight: kh, filterWidth: kw } = info;
  const { strideHeight: sh, strideWidth: sw } = info;
  const { top, left } = info.padInfo;

  // Phase grid: row r = h + top is phase r mod s, index t = floor(r / s), t in [0, T).
  const t = Math.ceil((top + h) / sh);
  const u = Math.ceil((left + w) / sw);
  // dy rows/columns past the last input pixel (explicit padding larger than the filter) add nothing.
  const ohE = Math.min(oh, t);
  const owE = Math.min(ow, u);
  const src = ohE < oh || owE < ow ? call(backend, 'Slice', { x: dy }, { begin: [0, 0, 0, 0], size: [n, ohE, owE, dy.shape[3]] }) : dy;
  try {
    if (sh === 1 && sw === 1 && top <= kh - 1 && left <= kw - 1) {
      // One phase covering dx exactly: no interleaving.
      const f = phaseFilter(backend, filter, 1, 1, 0, 0, kh, kw);
      const simd = ci % 4 === 0 ? simdFor(backend) : undefined;
      const out = simd
        ? simdConv(backend, simd, src, f, undefined, { outShape: [n, h, w, ci], strides: [1, 1], top: kh - 1 - top, left: kw - 1 - left }, false)
        : conv(backend, src, f, [kh - 1 - top, h - ohE + top, kw - 1 - left, w - owE + left]);
      free(backend, f);
      return out;
    }
    return phases(backend, src, filter, [n, h, w, ci], [sh, sw], [top, left], [t, u]);
  } finally {
    if (src !== dy) free(backend, src);
  }
}

function phases(backend: BackendWasm, dy: TensorInfo, filter: TensorInfo, [n, h, w, ci]: number[], [sh, sw]: number[], [top, left]: number[], [t, u]: number[]): TensorInfo {
  const [kh, kw] = filter.shape;
  const [, oh, ow] = dy.shape;
  const dx = alloc(backend, [n, h, w, ci]);
  f32(backend, dx).fill(0);
  for (let p = 0; p < sh; p++) {
    const mh = taps(kh, sh, p);
    for (let q = 0; q < sw; q++) {
      const mw = taps(kw, sw, q);
      if (mh === 0 || mw === 0) continue; // this phase receives no gradient
      const f = phaseFilter(backend, filter, sh, sw, p, q, mh, mw);
      const part = conv(backend, dy, f, [mh - 1, t - oh, mw - 1, u - ow]); // [n, t, u, ci]
      free(backend, f);
      // Scatter phase pixel (ti, ui) to dx row ti*sh + p - top, column ui*sw + q - left.
      const heap = heapF32(backend);
      const src0 = backend.getMemoryOffset(part.dataId) / 4;
      const dst0 = backend.getMemoryOffset(dx.dataId) / 4;
      for (let b = 0; b < n; b++) {
        for (let ti = 0; ti < t; ti++) {
          const row = ti * sh + p - top;
          if (row < 0 || row >= h) continue;
          for (let ui = 0; ui < u; ui++) {
            const col = ui * sw + q - left;
            if (col < 0 || col >= w) continue;
            const s = src0 + ((b * t + ti) * u + ui) * ci;
            heap.copyWithin(dst0 + ((b * h + row) * w + col) * ci, s, s + ci);
          }
        }
      }
      free(backend, part);
    }
  }
  return dx;
}

export const conv2DBackpropInputConfig: KernelConfig = {
  kernelName: Conv2DBackpropInput,
  backendName: 'wasm',
  kernelFunc: conv2DBackpropInput as unknown as KernelConfig['kernelFunc'],
};
