/**
 * AvgPoolGrad: tfjs's kernels (cpu and wasm) divide by the full window size, while the forward
 * pass divides by the number of real inputs under the window ('same' padding at the borders).
 * This is the exact adjoint of the forward pass.
 */
import { AvgPoolGrad, backend_util, type AvgPoolGradAttrs, type AvgPoolGradInputs, type KernelConfig, type TensorInfo } from '@tensorflow/tfjs';
import { forBackends, type Heap } from './heap';

function kernel(heap: Heap, inputs: AvgPoolGradInputs, attrs: AvgPoolGradAttrs): TensorInfo {
  const dy = inputs.dy as TensorInfo;
  const input = inputs.input as TensorInfo;
  const info = backend_util.computePool2DInfo(input.shape as [number, number, number, number], attrs.filterSize, attrs.strides, 1, attrs.pad);
  const { batchSize: n, inHeight: h, inWidth: w, inChannels: c, outHeight: oh, outWidth: ow, strideHeight: sh, strideWidth: sw, filterHeight: fh, filterWidth: fw } = info;
  const { top, left } = info.padInfo;
  const out = heap.alloc(input.shape);
  const dys = heap.read(dy);
  const dx = heap.write(out);
  dx.fill(0);
  for (let b = 0; b < n; b++) {
    for (let r = 0; r < oh; r++) {
      const r0 = Math.max(0, r * sh - top);
      const r1 = Math.min(h, r * sh - top + fh);
      for (let q = 0; q < ow; q++) {
        const c0 = Math.max(0, q * sw - left);
        const c1 = Math.min(w, q * sw - left + fw);
        const scale = 1 / ((r1 - r0) * (c1 - c0));
        const o = ((b * oh + r) * ow + q) * c;
        for (let i = r0; i < r1; i++) {
          for (let j = c0; j < c1; j++) {
            const d = ((b * h + i) * w + j) * c;
            for (let k = 0; k < c; k++) dx[d + k] += dys[o + k] * scale;
          }
        }
      }
    }
  }
  return heap.done(out);
}

export const avgPoolGradConfigs: KernelConfig[] = forBackends(AvgPoolGrad, kernel);
