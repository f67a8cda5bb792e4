/**
 * Helpers for our kernels on the tfjs wasm backend. Kernels compose the backend's own
 * (XNNPACK-backed) kernels on TensorInfos and run plain loops over views of the wasm heap.
 *
 * Heap views go stale when the wasm memory grows, which any allocation may do: take them
 * with `f32()` only after the kernel's last `alloc`/`call`.
 */
import { getKernel, util, type KernelFunc, type NamedAttrMap, type NamedTensorInfoMap, type TensorInfo } from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';

/** Stock wasm kernels we replace, captured before registration so ours can still call them. */
const stock = new Map<string, KernelFunc>();

export function rememberStock(kernelName: string): void {
  if (stock.has(kernelName)) return;
  const k = getKernel(kernelName, 'wasm');
  if (k) stock.set(kernelName, k.kernelFunc);
}

/** Runs a wasm kernel: the stock one when we replaced it, else whatever is registered. */
export function call(backend: BackendWasm, kernelName: string, inputs: NamedTensorInfoMap, attrs: NamedAttrMap = {}): TensorInfo {
  const f = stock.get(kernelName) ?? getKernel(kernelName, 'wasm')?.kernelFunc;
  if (!f) throw new Error(`wasm kernel ${kernelName} is not registered`);
  return f({ inputs, backend, attrs }) as TensorInfo;
}

export function free(backend: BackendWasm, ...infos: TensorInfo[]): void {
  for (const t of infos) backend.disposeData(t.dataId);
}

/** A new uninitialised float32 tensor on the heap. */
export function alloc(backend: BackendWasm, shape: number[]): TensorInfo {
  return backend.makeOutput(shape, 'float32');
}

/** The tensor's data as a Float32Array view of the heap (see the note on staleness). */
export function f32(backend: BackendWasm, t: TensorInfo): Float32Array {
  return backend.typedArrayFromHeap(t) as Float32Array;
}

/** Same data, another shape (no copy; dispose only one of the two). */
export function reshape(t: TensorInfo, shape: number[]): TensorInfo {
  if (util.sizeFromShape(shape) !== util.sizeFromShape(t.shape)) throw new Error(`reshape ${t.shape} -> ${shape}`);
  return { dataId: t.dataId, shape, dtype: t.dtype };
}

export function transpose(backend: BackendWasm, x: TensorInfo, perm: number[]): TensorInfo {
  return call(backend, 'Transpose', { x }, { perm });
}

/**
 * A tensor over a contiguous block of another (offset in elements): lets XNNPACK read a
 * batch chunk in place. Release with `unview`, never with `free` (the memory is the base's).
 */
export function view(backend: BackendWasm, base: TensorInfo, offset: number, shape: number[]): TensorInfo {
  const start = backend.getMemoryOffset(base.dataId) + offset * 4;
  return backend.makeOutput(shape, 'float32', start);
}

export function unview(backend: BackendWasm, v: TensorInfo): void {
  const data = backend.dataIdMap.get(v.dataId);
  if (!data) return;
  // Runs the C++ disposal callbacks (drops cached XNNPACK operators) without freeing the memory.
  backend.wasm.tfjs.disposeData(data.id);
  backend.dataIdMap.delete(v.dataId);
}

/** Stride-1 NHWC convolution with explicit [top, bottom, left, right] padding, via XNNPACK. */
export function conv(backend: BackendWasm, x: TensorInfo, filter: TensorInfo, pads: [number, number, number, number], dilations: [number, number] = [1, 1]): TensorInfo {
  const [t, b, l, r] = pads;
  return call(backend, 'Conv2D', { x, filter }, { strides: [1, 1], pad: [[0, 0], [t, b], [l, r], [0, 0]], dilations, dataFormat: 'NHWC' });
}

/** a + b (same shapes); frees both inputs. */
export function addFree(backend: BackendWasm, a: TensorInfo, b: TensorInfo): TensorInfo {
  const out = call(backend, 'Add', { a, b });
  free(backend, a, b);
  return out;
}

/** The whole heap as float32 (for copyWithin between tensors); stale after any allocation. */
export function heapF32(backend: BackendWasm): Float32Array {
  return new Float32Array((backend.wasm as unknown as { HEAPU8: Uint8Array }).HEAPU8.buffer);
}

/** [rows, cols] -> [cols, rows] in cache-sized tiles (the stock transpose thrashes on large 2D shapes). */
export function transpose2d(backend: BackendWasm, x: TensorInfo, rows: number, cols: number): TensorInfo {
  const out = alloc(backend, [cols, rows]);
  const src = f32(backend, x);
  const dst = f32(backend, out);
  const T = 32;
  for (let r0 = 0; r0 < rows; r0 += T) {
    const r1 = Math.min(rows, r0 + T);
    for (let c0 = 0; c0 < cols; c0 += T) {
      const c1 = Math.min(cols, c0 + T);
      for (let r = r0; r < r1; r++) {
        const s = r * cols;
        for (let c = c0; c < c1; c++) dst[c * rows + r] = src[s + c];
      }
    }
  }
  return out;
}
