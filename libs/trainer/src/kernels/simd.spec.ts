// The run-time assembled SIMD loops against plain JS on random data (integer-valued inputs for the
// max-pool gradient, so that ties are common and the first-maximum rule is exercised).
import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { initBackend } from '../backend';
import { rng } from '../rng';
import { wasmFeatures } from './asm';
import { simdFor, type Simd } from './simd';
import { alloc, f32, free } from './wasm';

let backend: BackendWasm;
let simd: Simd;
beforeAll(async () => {
  await initBackend({ backend: 'wasm' });
  tf.setBackend('wasm');
  backend = tf.backend() as BackendWasm;
  simd = simdFor(backend)!;
});

const ptr = (t: tf.TensorInfo) => backend.getMemoryOffset(t.dataId);

function heapTensor(data: Float32Array): tf.TensorInfo {
  const t = alloc(backend, [data.length]);
  f32(backend, t).set(data);
  return t;
}

it('is available', () => expect(simd).toBeDefined());

it.each([
  [1, 4, 5, 1, 1],
  [3, 8, 7, 2, 2],
  [5, 12, 1, 3, 1],
  [4, 16, 9, 1, 3],
  [9, 20, 3, 4, 2],
])('dwRows: ci %i, co %i, %i pixels x %i rows x %i images, with strides', (ci, co, count, rows, images) => {
  const r = rng(ci * 100 + co);
  const xStride = ci + 2; // pixels not contiguous: the kernel must use the given steps
  const dyStride = co + 4;
  const [xRow, dyRow] = [count * xStride + 5, count * dyStride + 3];
  const [xImg, dyImg] = [rows * xRow + 7, rows * dyRow + 2];
  const x = Float32Array.from({ length: images * xImg }, () => r() - 0.5);
  const dy = Float32Array.from({ length: images * dyImg }, () => r() - 0.5);
  const acc0 = Float32Array.from({ length: ci * co }, () => r());
  const expected = Float64Array.from(acc0);
  for (let m = 0; m < images; m++) {
    for (let q = 0; q < rows; q++) {
      for (let p = 0; p < count; p++) {
        for (let i = 0; i < ci; i++) for (let o = 0; o < co; o++) expected[i * co + o] += x[m * xImg + q * xRow + p * xStride + i] * dy[m * dyImg + q * dyRow + p * dyStride + o];
      }
    }
  }
  const [tx, tdy, tacc] = [heapTensor(x), heapTensor(dy), heapTensor(acc0)];
  simd.dwRows(ptr(tx), ptr(tdy), ptr(tacc), count, ci, co, xStride * 4, dyStride * 4, rows, xRow * 4, dyRow * 4, images, xImg * 4, dyImg * 4);
  const got = f32(backend, tacc);
  for (let k = 0; k < expected.length; k++) expect(got[k]).toBeCloseTo(expected[k], 5);
  free(backend, tx, tdy, tacc);
});

it.each([
  [3, 4],
  [5, 8],
  [1, 12],
])('maxPoolGradRow: %i output columns, %i channels, first maximum wins ties', (ow, c) => {
  const r = rng(ow * 10 + c);
  const w = 2 * ow + 1; // an odd input width: the last column is not read
  const x = Float32Array.from({ length: 2 * w * c }, () => Math.floor(r() * 3));
  const dy = Float32Array.from({ length: ow * c }, () => r() + 0.5);
  const expected = new Float32Array(2 * w * c);
  for (let q = 0; q < ow; q++) {
    for (let k = 0; k < c; k++) {
      const idx = [0, 1, w, w + 1].map((o) => (2 * q + o) * c + k);
      let best = 0;
      for (let t = 1; t < 4; t++) if (x[idx[t]] > x[idx[best]]) best = t;
      expected[idx[best]] = dy[q * c + k];
    }
  }
  const [tx, tdy, tdx] = [heapTensor(x), heapTensor(dy), heapTensor(new Float32Array(2 * w * c))];
  simd.maxPoolGradRow(ptr(tx), ptr(tdy), ptr(tdx), ow, c, w * c * 4);
  expect([...f32(backend, tdx)]).toEqual([...expected]);
  free(backend, tx, tdy, tdx);
});

it('colSum adds rows into the output', () => {
  const r = rng(5);
  const [rows, cols] = [37, 12];
  const src = Float32Array.from({ length: rows * cols }, () => r() - 0.5);
  const out0 = Float32Array.from({ length: cols }, () => r());
  const expected = Float64Array.from(out0);
  for (let i = 0; i < rows; i++) for (let c = 0; c < cols; c++) expected[c] += src[i * cols + c];
  const [ts, to] = [heapTensor(src), heapTensor(out0)];
  simd.colSum(ptr(ts), rows, cols, ptr(to));
  const got = f32(backend, to);
  for (let c = 0; c < cols; c++) expect(got[c]).toBeCloseTo(expected[c], 5);
  free(backend, ts, to);
});

/** Filter [taps, co] in convPacked's layout: blocks of 8 output channels (4 for a last block of 4), each tap's weights contiguous. */
function packed(w: Float32Array, taps: number, co: number): Float32Array {
  const out: number[] = [];
  for (let c0 = 0; c0 < co; c0 += 8) for (let t = 0; t < taps; t++) for (let o = c0; o < Math.min(co, c0 + 8); o++) out.push(w[t * co + o]);
  return Float32Array.from(out);
}

// Both variants: plain multiply then add, and relaxed SIMD's fused multiply-add where V8 has it.
describe.each([false, true])('convPacked (fma %s)', (fma) => {
  it.each([
    // count, co, kernel rows x cols (kh x kw), ci, taps skipped at the left (j0), bias, relu, channels [c0, c1)
    [5, 8, 3, 3, 1, 0, true, true, 0, 8],
    [7, 12, 2, 2, 2, 1, false, true, 0, 12],
    [1, 4, 1, 3, 4, 2, true, false, 0, 4],
    [9, 20, 3, 2, 3, 0, false, false, 8, 20],
    [4, 16, 1, 1, 5, 0, true, false, 8, 16],
  ])('%i pixels, co %i, %ix%i kernel, ci %i, from tap column %i, bias %s, relu %s, channels %i-%i (2 rows)', (count, co, kh, kw, ci, j0, withBias, relu, c0, c1) => {
    const s = simdFor(backend, fma);
    if (fma && !wasmFeatures().relaxedSimd) return; // no relaxed SIMD in this V8
    const kernel = relu ? s!.convPackedRelu : s!.convPacked;
    const r = rng(count * 7 + co);
    const [xStepF, rowF] = [ci * 2 + 1, 64]; // strided pixels and rows (floats)
    const nj = kw - j0;
    const xRow = rowF * kh + count * xStepF + nj * ci;
    const yRow = count * co + 4;
    const taps = kh * kw * ci;
    const x = Float32Array.from({ length: 2 * xRow }, () => r() - 0.5);
    const w = Float32Array.from({ length: taps * co }, () => r() - 0.5);
    const bias = Float32Array.from({ length: co }, () => r() - 0.5);
    const y0 = Float32Array.from({ length: 2 * yRow }, () => 7); // channels outside [c0, c1) keep this
    const expected = Float32Array.from(y0);
    for (let row = 0; row < 2; row++) {
      for (let p = 0; p < count; p++) {
        for (let o = c0; o < c1; o++) {
          let sum = withBias ? bias[o] : 0;
          for (let i = 0; i < kh; i++) for (let j = 0; j < nj; j++) for (let c = 0; c < ci; c++) sum += x[row * xRow + p * xStepF + i * rowF + j * ci + c] * w[((i * kw + j0 + j) * ci + c) * co + o];
          expected[row * yRow + p * co + o] = relu ? Math.max(0, sum) : sum;
        }
      }
    }
    const [tx, tw, tb, ty] = [heapTensor(x), heapTensor(packed(w, taps, co)), heapTensor(bias), heapTensor(y0)];
    kernel(ptr(tx), rowF * 4, xStepF * 4, ptr(tw), j0 * ci, kw * ci, taps, withBias ? ptr(tb) : 0, ptr(ty), count, nj * ci, kh, 2, xRow * 4, yRow * 4, co * 4, c0, c1);
    const got = f32(backend, ty);
    for (let k = 0; k < expected.length; k++) expect(got[k]).toBeCloseTo(expected[k], 5);
    free(backend, tx, tw, tb, ty);
  });

  it('with no tap inside the input gives the bias (activated)', () => {
    const s = simdFor(backend, fma);
    if (fma && !wasmFeatures().relaxedSimd) return;
    const [tx, tw, tb, ty] = [heapTensor(new Float32Array(4)), heapTensor(new Float32Array(16)), heapTensor(Float32Array.from([1, -2, 3, -4])), heapTensor(new Float32Array(8))];
    s!.convPackedRelu(ptr(tx), 16, 4, ptr(tw), 0, 1, 4, ptr(tb), ptr(ty), 2, 1, 0, 1, 0, 0, 16, 0, 4);
    expect([...f32(backend, ty)]).toEqual([1, 0, 3, 0, 1, 0, 3, 0]);
    s!.convPacked(ptr(tx), 16, 4, ptr(tw), 0, 1, 4, ptr(tb), ptr(ty), 2, 0, 3, 1, 0, 0, 16, 0, 4);
    expect([...f32(backend, ty)]).toEqual([1, -2, 3, -4, 1, -2, 3, -4]);
    free(backend, tx, tw, tb, ty);
  });
});

it('reluBackprop masks dy by y > 0 and sums the result per column', () => {
  const r = rng(6);
  const [rows, cols] = [11, 8];
  const dy = Float32Array.from({ length: rows * cols }, () => r() - 0.5);
  const y = Float32Array.from({ length: rows * cols }, (_, i) => (i % 3 === 0 ? 0 : r() - 0.5));
  const acc0 = Float32Array.from({ length: cols }, () => r());
  const g = Float32Array.from(dy, (d, i) => (y[i] > 0 ? d : 0));
  const expected = Float64Array.from(acc0);
  for (let i = 0; i < rows * cols; i++) expected[i % cols] += g[i];
  const [tdy, ty, tg, ta] = [heapTensor(dy), heapTensor(y), heapTensor(new Float32Array(rows * cols)), heapTensor(acc0)];
  simd.reluBackprop(ptr(tdy), ptr(ty), ptr(tg), rows, cols, ptr(ta));
  expect([...f32(backend, tg)]).toEqual([...g]);
  const got = f32(backend, ta);
  for (let c = 0; c < cols; c++) expect(got[c]).toBeCloseTo(expected[c], 5);
  free(backend, tdy, ty, tg, ta);
});
