/**
 * BatchMatMul (the dense layers, forward and backward). Single products whose output has a multiple
 * of 4 columns run on our SIMD kernels: A x B and A x B^T as simd.ts's convPacked over B packed
 * (XNNPACK, as tfjs drives it, repacks every new weight tensor: every step), A^T x B as outer
 * products over A's rows (dwRows, the weight gradient). Otherwise the stock kernel only uses XNNPACK
 * for plain A x B and falls back to a scalar loop: we transpose explicitly (choosing the cheaper of
 * op(A) op(B) and (op(B)^T op(A)^T)^T) and run the plain product. Batched products (batch > 1) keep
 * the stock kernel.
 */
import { BatchMatMul, type BatchMatMulAttrs, type BatchMatMulInputs, type KernelConfig, type TensorInfo } from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { packedMatMul, packFilter } from './conv';
import { simdFor } from './simd';
import { alloc, call, f32, free, reshape, transpose2d } from './wasm';

const size = (s: number[]) => s.reduce((a, b) => a * b, 1);

export function batchMatMul(args: { inputs: BatchMatMulInputs; backend: BackendWasm; attrs: BatchMatMulAttrs }): TensorInfo {
  const { backend, attrs } = args;
  const a = args.inputs.a as TensorInfo;
  const b = args.inputs.b as TensorInfo;
  const { transposeA, transposeB } = attrs;
  const ra = a.shape.length;
  const rb = b.shape.length;
  if (size(a.shape.slice(0, -2)) !== 1 || size(b.shape.slice(0, -2)) !== 1 || a.dtype !== 'float32' || b.dtype !== 'float32') {
    return call(backend, BatchMatMul, { a, b }, attrs as unknown as Record<string, never>);
  }
  // Stored shapes: A is [m, k] or (transposeA) [k, m]; B is [k, n] or (transposeB) [n, k].
  const [a0, a1] = [a.shape[ra - 2], a.shape[ra - 1]];
  const [b0, b1] = [b.shape[rb - 2], b.shape[rb - 1]];
  const m = transposeA ? a1 : a0;
  const n = transposeB ? b0 : b1;
  const k = transposeA ? a0 : a1;
  const outShape = [...(ra >= rb ? a.shape : b.shape).slice(0, -2), m, n];
  const simd = n % 4 === 0 ? simdFor(backend) : undefined;
  if (simd && !transposeA) {
    const packed = packFilter(backend, reshape(b, [b0, b1]), transposeB);
    const out = packedMatMul(backend, simd, a, packed, m, k, n, undefined, false, outShape);
    free(backend, packed);
    return out;
  }
  if (simd && !transposeB) {
    // out[m][n] = sum over the k rows of A [k, m] and B [k, n] of their outer products.
    const out = alloc(backend, outShape);
    f32(backend, out).fill(0);
    const [pa, pb, po] = [a, b, out].map((t) => backend.getMemoryOffset(t.dataId));
    simd.dwRows(pa, pb, po, k, m, n, m * 4, n * 4, 1, 0, 0, 1, 0, 0);
    return out;
  }
  const direct = (transposeA ? m * k : 0) + (transposeB ? n * k : 0);
  const swapped = (transposeB ? 0 : n * k) + (transposeA ? 0 : m * k) + m * n;
  const matmul = (x: TensorInfo, y: TensorInfo, rows: number, inner: number, cols: number) =>
    call(backend, BatchMatMul, { a: reshape(x, [1, rows, inner]), b: reshape(y, [1, inner, cols]) }, { transposeA: false, transposeB: false });
  if (direct <= swapped) {
    const x = transposeA ? transpose2d(backend, a, k, m) : a;
    const y = transposeB ? transpose2d(backend, b, n, k) : b;
    const out = matmul(x, y, m, k, n);
    if (x !== a) free(backend, x);
    if (y !== b) free(backend, y);
    return reshape(out, outShape);
  }
  // C^T [n, m] = op(B)^T [n, k] x op(A)^T [k, m]; op(B)^T is B as stored when transposeB, op(A)^T is A when transposeA.
  const x = transposeB ? b : transpose2d(backend, b, k, n);
  const y = transposeA ? a : transpose2d(backend, a, m, k);
  const ct = matmul(x, y, n, k, m);
  if (x !== b) free(backend, x);
  if (y !== a) free(backend, y);
  const out = transpose2d(backend, ct, n, m);
  free(backend, ct);
  return reshape(out, outShape);
}

export const batchMatMulConfig: KernelConfig = {
  kernelName: BatchMatMul,
  backendName: 'wasm',
  kernelFunc: batchMatMul as unknown as KernelConfig['kernelFunc'],
};
