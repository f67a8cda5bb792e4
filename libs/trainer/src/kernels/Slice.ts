/**
 * Slice reading the input in place: the stock wasm kernel first copies the whole input out of the
 * heap (readSync), so taking a 64-sample batch out of a dataset tensor cost a full copy of it.
 */
import { Slice, slice_util, util, type KernelConfig, type SliceAttrs, type SliceInputs, type TensorInfo } from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { call } from './wasm';

export function slice(args: { inputs: SliceInputs; backend: BackendWasm; attrs: SliceAttrs }): TensorInfo {
  const { backend, attrs } = args;
  const x = args.inputs.x as TensorInfo;
  if (x.dtype === 'string') return call(backend, Slice, { x }, attrs as unknown as Record<string, never>);
  const [begin, size] = slice_util.parseSliceParams(x as never, attrs.begin, attrs.size);
  const out = backend.makeOutput(size, x.dtype);
  const src = backend.typedArrayFromHeap(x);
  const dst = backend.typedArrayFromHeap(out);
  const strides = util.computeStrides(x.shape);
  if (slice_util.isSliceContinous(x.shape, begin, size)) {
    const start = slice_util.computeFlatOffset(begin, strides);
    dst.set(src.subarray(start, start + dst.length));
    return out;
  }
  // Copy runs along the last axis, walking the other axes like an odometer.
  const rank = x.shape.length;
  const run = size[rank - 1];
  const idx = new Array(rank - 1).fill(0);
  for (let o = 0; o < dst.length; o += run) {
    let s = begin[rank - 1];
    for (let a = 0; a < rank - 1; a++) s += (begin[a] + idx[a]) * strides[a];
    dst.set(src.subarray(s, s + run), o);
    for (let a = rank - 2; a >= 0 && ++idx[a] === size[a]; a--) idx[a] = 0;
  }
  return out;
}

export const sliceConfig: KernelConfig = {
  kernelName: Slice,
  backendName: 'wasm',
  kernelFunc: slice as unknown as KernelConfig['kernelFunc'],
};
