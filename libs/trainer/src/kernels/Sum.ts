/**
 * Sum over leading axes (bias gradients: a [N, H, W, C] tensor summed to [C]): the stock wasm
 * kernel first transposes the reduced axes innermost, a full extra pass. We add rows directly
 * (float64 accumulators). Other reductions keep the stock kernel.
 */
import { backend_util, Sum, util, type KernelConfig, type SumAttrs, type SumInputs, type TensorInfo } from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { simdFor } from './simd';
import { alloc, call, f32, free } from './wasm';

const ROW_BLOCK = 256;

export function sum(args: { inputs: SumInputs; backend: BackendWasm; attrs: SumAttrs }): TensorInfo {
  const { backend, attrs } = args;
  const x = args.inputs.x as TensorInfo;
  const axes = util.parseAxisParam(attrs.axis, x.shape).sort((p, q) => p - q);
  const leading = axes.length > 0 && axes.length < x.shape.length && axes.every((a, i) => a === i);
  if (!leading || x.dtype !== 'float32') return call(backend, Sum, { x }, attrs as unknown as Record<string, never>);
  const rows = util.sizeFromShape(x.shape.slice(0, axes.length));
  const cols = util.sizeFromShape(x.shape.slice(axes.length));
  const outShape = attrs.keepDims ? backend_util.expandShapeToKeepDim(x.shape.slice(axes.length), axes) : x.shape.slice(axes.length);
  const out = alloc(backend, outShape);
  const acc = new Float64Array(cols);
  const simd = cols % 4 === 0 ? simdFor(backend) : undefined;
  if (simd) {
    // float32 partial sums of ROW_BLOCK rows, added up in float64.
    const part = alloc(backend, [cols]);
    const [src, pb] = [x, part].map((t) => backend.getMemoryOffset(t.dataId));
    for (let r0 = 0; r0 < rows; r0 += ROW_BLOCK) {
      f32(backend, part).fill(0);
      simd.colSum(src + r0 * cols * 4, Math.min(ROW_BLOCK, rows - r0), cols, pb);
      const p = f32(backend, part);
      for (let c = 0; c < cols; c++) acc[c] += p[c];
    }
    free(backend, part);
  } else {
    const src = f32(backend, x);
    for (let r = 0; r < rows; r++) {
      const o = r * cols;
      for (let c = 0; c < cols; c++) acc[c] += src[o + c];
    }
  }
  f32(backend, out).set(acc);
  return out;
}

export const sumConfig: KernelConfig = {
  kernelName: Sum,
  backendName: 'wasm',
  kernelFunc: sum as unknown as KernelConfig['kernelFunc'],
};
