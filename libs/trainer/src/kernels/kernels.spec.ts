// Every kernel of ours on the wasm backend against tfjs's pure-JS `cpu` kernels, over seeded
// random shapes: strides 1 and 2, padding same/valid/explicit, kernels 1/3/5/7, odd sizes,
// batch > 1. Error is normwise: max |ours - cpu| / max |cpu| < 1e-4.
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../backend';
import { rng } from '../rng';
import { setConvBlockBytes } from './conv';
import { setFilterChunkElements } from './Conv2DBackpropFilter';
import { setWinogradBlocks } from './winograd';

type Input = { shape: number[]; data: Float32Array };

function run(backend: 'wasm' | 'cpu', kernel: string, inputs: Record<string, Input>, attrs: Record<string, unknown>): Float32Array {
  tf.setBackend(backend);
  return tf.tidy(() => {
    const ts: Record<string, tf.Tensor> = {};
    for (const [k, v] of Object.entries(inputs)) ts[k] = tf.tensor(v.data, v.shape);
    const out = tf.engine().runKernel(kernel, ts, attrs as never) as tf.Tensor;
    return out.dataSync() as Float32Array;
  });
}

function compare(kernel: string, inputs: Record<string, Input>, attrs: Record<string, unknown>): number {
  const ours = run('wasm', kernel, inputs, attrs);
  const ref = run('cpu', kernel, inputs, attrs);
  expect(ours.length).toBe(ref.length);
  let maxRef = 0;
  let maxErr = 0;
  for (let i = 0; i < ref.length; i++) {
    maxRef = Math.max(maxRef, Math.abs(ref[i]));
    maxErr = Math.max(maxErr, Math.abs(ours[i] - ref[i]));
  }
  if (!Number.isFinite(maxErr)) return Infinity;
  return maxRef === 0 ? maxErr : maxErr / maxRef;
}

function random(r: () => number, shape: number[], integers = false): Input {
  const data = new Float32Array(shape.reduce((a, b) => a * b, 1));
  for (let i = 0; i < data.length; i++) data[i] = integers ? Math.floor(r() * 4) : r() * 2 - 1;
  return { shape, data };
}

/** Output length along axis 1 (rows) or 2 (columns) of the NHWC input. */
const outSize = (n: number, k: number, s: number, pad: unknown, axis: 1 | 2) =>
  pad === 'same' ? Math.ceil(n / s) : Array.isArray(pad) ? Math.floor((n + pad[axis][0] + pad[axis][1] - k) / s) + 1 : Math.floor((n - k) / s) + 1;

interface ConvCase {
  n: number;
  h: number;
  w: number;
  ci: number;
  co: number;
  k: number;
  s: number;
  pad: 'same' | 'valid' | number[][];
}

function convCases(seed: number, count: number): ConvCase[] {
  const r = rng(seed);
  const pick = <T>(xs: T[]) => xs[Math.floor(r() * xs.length)];
  const cases: ConvCase[] = [];
  while (cases.length < count) {
    const k = pick([1, 3, 5, 7]);
    const s = pick([1, 2]);
    const pad = pick<ConvCase['pad']>(['same', 'valid', 'same', 'valid', [[0, 0], [1, 2], [2, 0], [0, 0]]]);
    const h = k + Math.floor(r() * 9);
    const w = k + Math.floor(r() * 9);
    const c: ConvCase = { n: 1 + Math.floor(r() * 3), h, w, ci: 1 + Math.floor(r() * 5), co: 1 + Math.floor(r() * 6), k, s, pad };
    if (outSize(h, k, s, pad, 1) > 0 && outSize(w, k, s, pad, 2) > 0) cases.push(c);
  }
  return cases;
}

const describeCase = (c: ConvCase) => `n${c.n} ${c.h}x${c.w}x${c.ci}->${c.co} k${c.k} s${c.s} ${JSON.stringify(c.pad)}`;

beforeAll(async () => {
  await initBackend({ backend: 'wasm' });
});
afterAll(() => tf.setBackend('wasm'));

describe('Conv2DBackpropFilter', () => {
  const r = rng(11);
  it.each([
    ...convCases(1, 24).map((c) => [describeCase(c), c] as const),
    // Several batch chunks, the last one short (chunks of 2 samples below; co not a multiple of 4: no SIMD path).
    ['chunked', { n: 5, h: 9, w: 8, ci: 3, co: 5, k: 3, s: 2, pad: 'same' } as ConvCase] as const,
  ])('%s', (name, c) => {
    if (name === 'chunked') setFilterChunkElements(2 * 5 * 4 * 5);
    const oh = outSize(c.h, c.k, c.s, c.pad, 1);
    const ow = outSize(c.w, c.k, c.s, c.pad, 2);
    const err = compare(
      'Conv2DBackpropFilter',
      { x: random(r, [c.n, c.h, c.w, c.ci]), dy: random(r, [c.n, oh, ow, c.co]) },
      { strides: [c.s, c.s], pad: c.pad, dataFormat: 'NHWC', filterShape: [c.k, c.k, c.ci, c.co] },
    );
    setFilterChunkElements(1 << 18);
    expect(err).toBeLessThan(1e-4);
  });
});

describe('Conv2DBackpropInput', () => {
  const r = rng(12);
  it.each([
    ...convCases(2, 24).map((c) => [describeCase(c), c] as const),
    // Stride larger than the kernel: some phases get no gradient at all.
    ['stride 3 > kernel 2', { n: 2, h: 10, w: 11, ci: 3, co: 4, k: 2, s: 3, pad: 'valid' } as ConvCase] as const,
    ['stride 2 kernel 4 same', { n: 2, h: 9, w: 8, ci: 2, co: 3, k: 4, s: 2, pad: 'same' } as ConvCase] as const,
  ])('%s', (_name, c) => {
    const oh = outSize(c.h, c.k, c.s, c.pad, 1);
    const ow = outSize(c.w, c.k, c.s, c.pad, 2);
    const err = compare(
      'Conv2DBackpropInput',
      { dy: random(r, [c.n, oh, ow, c.co]), filter: random(r, [c.k, c.k, c.ci, c.co]) },
      { strides: [c.s, c.s], pad: c.pad, dataFormat: 'NHWC', inputShape: [c.n, c.h, c.w, c.ci] },
    );
    expect(err).toBeLessThan(1e-4);
  });
});

describe('MaxPoolGrad', () => {
  const r = rng(13);
  const cases: [string, number[], number, number, 'same' | 'valid'][] = [
    ['2x2 s2 valid', [2, 8, 8, 3], 2, 2, 'valid'],
    ['2x2 s2 valid odd', [2, 7, 9, 5], 2, 2, 'valid'],
    ['2x2 s2 same odd', [1, 7, 9, 2], 2, 2, 'same'],
    ['3x3 s1 same', [2, 6, 5, 4], 3, 1, 'same'],
    ['3x3 s2 same', [3, 9, 7, 3], 3, 2, 'same'],
    ['3x3 s2 valid', [1, 11, 10, 2], 3, 2, 'valid'],
  ];
  it.each(cases)('%s (with ties)', (_name, shape, size, stride, pad) => {
    // Integer inputs make ties common: the gradient must go to the first maximum, like cpu's.
    const input = random(r, shape, true);
    tf.setBackend('cpu');
    const output = tf.tidy(() => tf.maxPool(tf.tensor4d(input.data, shape as [number, number, number, number]), size, stride, pad));
    const out: Input = { shape: output.shape, data: output.dataSync() as Float32Array };
    output.dispose();
    const err = compare('MaxPoolGrad', { dy: random(r, out.shape), input, output: out }, { filterSize: [size, size], strides: [stride, stride], pad });
    expect(err).toBeLessThan(1e-4);
  });
});

describe('DepthwiseConv2dNative gradients', () => {
  const r = rng(14);
  const cases = convCases(3, 12).map((c, i) => ({ ...c, m: 1 + (i % 2) }));
  it.each(cases.map((c) => [`${describeCase(c)} x${c.m}`, c] as const))('%s', (_name, c) => {
    const oh = outSize(c.h, c.k, c.s, c.pad, 1);
    const ow = outSize(c.w, c.k, c.s, c.pad, 2);
    const co = c.ci * c.m;
    const filterShape = [c.k, c.k, c.ci, c.m];
    const attrs = { strides: [c.s, c.s], dilations: [1, 1], pad: c.pad };
    const x = random(r, [c.n, c.h, c.w, c.ci]);
    const dy = random(r, [c.n, oh, ow, co]);
    const filter = random(r, filterShape);
    expect(compare('DepthwiseConv2dNativeBackpropFilter', { x, dy }, { ...attrs, filterShape })).toBeLessThan(1e-4);
    expect(compare('DepthwiseConv2dNativeBackpropInput', { dy, filter }, { ...attrs, inputShape: x.shape })).toBeLessThan(1e-4);
  });
});

describe('BatchMatMul', () => {
  const r = rng(15);
  const cases: [number, number, number, boolean, boolean][] = [
    [7, 13, 5, true, false],
    [7, 13, 5, false, true],
    [7, 13, 5, true, true],
    [9, 13, 12, false, false], // ours: 8 + 4 output columns
    [9, 13, 12, true, false],
    [9, 13, 12, false, true],
    [9, 13, 12, true, true],
    [64, 784, 32, false, false], // a dense layer on 7x7x16 features
    [3, 5, 4, false, false],
    [64, 300, 12, false, true], // dense dx: dy x W^T
    [300, 64, 12, true, false], // dense dW: x^T x dy
    [1, 9, 4, false, true],
  ];
  it.each(cases)('m%i k%i n%i tA=%s tB=%s', (m, k, n, transposeA, transposeB) => {
    const a = random(r, transposeA ? [k, m] : [m, k]);
    const b = random(r, transposeB ? [n, k] : [k, n]);
    expect(compare('BatchMatMul', { a: { ...a, shape: [1, ...a.shape] }, b: { ...b, shape: [1, ...b.shape] } }, { transposeA, transposeB })).toBeLessThan(1e-4);
  });
  it('batched products keep the stock kernel', () => {
    expect(compare('BatchMatMul', { a: random(r, [3, 4, 5]), b: random(r, [3, 6, 5]) }, { transposeA: false, transposeB: true })).toBeLessThan(1e-4);
  });
});

describe('Sum', () => {
  const r = rng(16);
  it.each([
    ['bias gradient [0,1,2] of 4D', [3, 5, 4, 7], [0, 1, 2], false],
    ['[0] of 2D, keepDims', [9, 6], [0], true],
    ['[0, 1] of 3D', [4, 3, 5], [0, 1], false],
    ['inner axis (stock)', [4, 3, 5], [2], false],
    ['middle axes (stock)', [2, 3, 4, 5], [1, 2], false],
  ] as const)('%s', (_name, shape, axis, keepDims) => {
    expect(compare('Sum', { x: random(r, [...shape]) }, { axis: [...axis], keepDims })).toBeLessThan(1e-4);
  });
});

// Kernels that correct tfjs's own (wrong at 'same' borders or with half-pixel centres): each must be
// the exact adjoint of the forward op, <forward(x), dy> = <x, grad(dy)>, on both backends.
describe.each(['wasm', 'cpu'] as const)('exact adjoints of the forward ops (%s)', (backend) => {
  const r = rng(17);
  const dot = (a: ArrayLike<number>, b: ArrayLike<number>) => {
    let s = 0;
    for (let i = 0; i < a.length; i++) s += a[i] * b[i];
    return s;
  };
  function check(forward: (x: tf.Tensor4D) => tf.Tensor, kernel: string, attrs: Record<string, unknown>, shape: number[], inputName: 'input' | 'images') {
    tf.setBackend(backend);
    const x = random(r, shape);
    const { y, lhs, rhs } = tf.tidy(() => {
      const xt = tf.tensor4d(x.data, shape as [number, number, number, number]);
      const y = forward(xt);
      const dy = tf.tensor(random(r, y.shape).data, y.shape);
      const dx = tf.engine().runKernel(kernel, { dy, [inputName]: xt }, attrs as never) as tf.Tensor;
      return { y: y.shape, lhs: dot(y.dataSync(), dy.dataSync()), rhs: dot(x.data, dx.dataSync()) };
    });
    expect(y.length).toBe(4);
    expect(Math.abs(lhs - rhs) / Math.max(1, Math.abs(lhs))).toBeLessThan(1e-5);
  }
  it.each([
    [3, 1, 'same', [2, 5, 6, 3]],
    [3, 2, 'same', [2, 7, 6, 2]],
    [2, 2, 'same', [1, 5, 5, 2]],
    [2, 2, 'valid', [2, 6, 7, 2]],
  ] as const)('AvgPoolGrad %i s%i %s', (size, stride, pad, shape) => {
    check((x) => tf.avgPool(x, size, stride, pad), 'AvgPoolGrad', { filterSize: [size, size], strides: [stride, stride], pad }, [...shape], 'input');
  });
  it.each([
    [false, true],
    [false, false],
    [true, false],
  ])('ResizeBilinearGrad alignCorners=%s halfPixelCenters=%s', (alignCorners, halfPixelCenters) => {
    check((x) => tf.image.resizeBilinear(x, [9, 8], alignCorners, halfPixelCenters), 'ResizeBilinearGrad', { alignCorners, halfPixelCenters }, [2, 4, 3, 3], 'images');
  });
  it.each([
    [false, false],
    [false, true],
    [true, false],
  ])('ResizeNearestNeighborGrad alignCorners=%s halfPixelCenters=%s', (alignCorners, halfPixelCenters) => {
    check((x) => tf.image.resizeNearestNeighbor(x, [9, 8], alignCorners, halfPixelCenters), 'ResizeNearestNeighborGrad', { alignCorners, halfPixelCenters }, [2, 4, 3, 3], 'images');
  });
});

describe('Conv2D and FusedConv2D (SIMD rows when channels are a multiple of 4)', () => {
  const r = rng(18);
  const cases = convCases(4, 20).map((c, i) => ({ ...c, co: [4, 8, 12, 20, 3][i % 5] }));
  afterEach(() => setConvBlockBytes(256 * 1024));
  it.each(cases.map((c, i) => [`${describeCase(c)}${i % 3 === 0 ? ', blocks of 8 channels' : ''}`, c, i % 3 === 0] as const))('%s', (_name, c, blocked) => {
    if (blocked) setConvBlockBytes(1);
    const x = random(r, [c.n, c.h, c.w, c.ci]);
    const filter = random(r, [c.k, c.k, c.ci, c.co]);
    const attrs = { strides: [c.s, c.s], pad: c.pad, dataFormat: 'NHWC', dilations: [1, 1] };
    expect(compare('Conv2D', { x, filter }, attrs)).toBeLessThan(1e-4);
    const bias = random(r, [c.co]);
    for (const activation of ['relu', 'linear']) expect(compare('FusedConv2D', { x, filter, bias }, { ...attrs, activation })).toBeLessThan(1e-4);
  });
});

describe('3x3 stride-1 convolutions by Winograd (forward, input and weight gradients)', () => {
  const r = rng(21);
  // Even and odd sizes (padded tiles), same / valid / explicit padding, 8-channel blocks and a 4-channel tail, a block of 2 tile rows.
  const cases: ConvCase[] = [
    { n: 2, h: 8, w: 8, ci: 8, co: 8, k: 3, s: 1, pad: 'same' },
    { n: 1, h: 7, w: 9, ci: 12, co: 20, k: 3, s: 1, pad: 'same' },
    { n: 3, h: 10, w: 6, ci: 8, co: 12, k: 3, s: 1, pad: 'valid' },
    { n: 1, h: 9, w: 11, ci: 16, co: 8, k: 3, s: 1, pad: [[0, 0], [1, 2], [2, 0], [0, 0]] },
    { n: 3, h: 14, w: 12, ci: 16, co: 8, k: 3, s: 1, pad: 'same' },
  ];
  afterEach(() => setWinogradBlocks());
  it.each(cases.map((c, i) => [`${describeCase(c)}${i === 4 ? ', blocks of 2 tile rows and 2 images' : ''}`, c, i === 4] as const))('%s', (_name, c, blocked) => {
    // 2 tile rows of 6 tiles, 24 channels: 64 * 24 * 12 bytes.
    if (blocked) setWinogradBlocks(64 * 24 * 12, 2);
    const oh = outSize(c.h, c.k, c.s, c.pad, 1);
    const ow = outSize(c.w, c.k, c.s, c.pad, 2);
    const x = random(r, [c.n, c.h, c.w, c.ci]);
    const filter = random(r, [3, 3, c.ci, c.co]);
    const dy = random(r, [c.n, oh, ow, c.co]);
    const attrs = { strides: [1, 1], pad: c.pad, dataFormat: 'NHWC', dilations: [1, 1] };
    expect(compare('Conv2D', { x, filter }, attrs)).toBeLessThan(1e-4);
    const bias = random(r, [c.co]);
    for (const activation of ['relu', 'linear']) expect(compare('FusedConv2D', { x, filter, bias }, { ...attrs, activation })).toBeLessThan(1e-4);
    expect(compare('Conv2DBackpropFilter', { x, dy }, { ...attrs, filterShape: filter.shape })).toBeLessThan(1e-4);
    if (c.pad === 'same') expect(compare('Conv2DBackpropInput', { dy, filter }, { ...attrs, inputShape: x.shape })).toBeLessThan(1e-4);
  });
});

describe('BatchNormTraining and its gradient (ours) on wasm and cpu, against float64', () => {
  // Channels a multiple of 4 (SIMD on wasm) and not; a ReLU fused or not; rows over several sum blocks.
  it.each([
    [[2, 5, 3, 12], true],
    [[3, 4, 4, 5], false],
    [[1, 30, 20, 8], true],
  ] as [number[], boolean][])('%j relu %s', (shape, relu) => {
    const r = rng(22);
    const c = shape[3];
    const rows = shape.reduce((a, b) => a * b, 1) / c;
    const x = random(r, shape);
    const dz = random(r, shape);
    const gamma = Float32Array.from({ length: c }, () => 0.5 + r());
    const beta = Float32Array.from({ length: c }, () => r() - 0.5);
    const eps = 1e-3;
    // float64 reference
    const mean = new Float64Array(c);
    const variance = new Float64Array(c);
    for (let o = 0; o < rows * c; o++) mean[o % c] += x.data[o] / rows;
    for (let o = 0; o < rows * c; o++) variance[o % c] += (x.data[o] - mean[o % c]) ** 2 / rows;
    const xhat = Float64Array.from(x.data, (v, o) => (v - mean[o % c]) / Math.sqrt(variance[o % c] + eps));
    const pre = Float64Array.from(xhat, (v, o) => v * gamma[o % c] + beta[o % c]);
    const z = pre.map((v) => (relu ? Math.max(0, v) : v));
    const g = Float64Array.from(dz.data, (d, o) => (relu && !(pre[o] > 0) ? 0 : d));
    const dbeta = new Float64Array(c);
    const dgamma = new Float64Array(c);
    for (let o = 0; o < rows * c; o++) {
      dbeta[o % c] += g[o];
      dgamma[o % c] += g[o] * xhat[o];
    }
    const dx = g.map((v, o) => ((gamma[o % c] / Math.sqrt(variance[o % c] + eps)) * (rows * v - dbeta[o % c] - xhat[o] * dgamma[o % c])) / rows);
    const maxErr = (got: ArrayLike<number>, want: ArrayLike<number>) => {
      let e = 0;
      let m = 0;
      for (let i = 0; i < want.length; i++) {
        e = Math.max(e, Math.abs(got[i] - want[i]));
        m = Math.max(m, Math.abs(want[i]));
      }
      return e / m;
    };
    for (const backend of ['wasm', 'cpu'] as const) {
      tf.setBackend(backend);
      const attrs = { epsilon: eps, relu } as never;
      const [zOut, mOut, vOut, dxOut, dgOut, dbOut] = tf.tidy(() => {
        const [xt, gt, bt] = [tf.tensor(x.data, shape), tf.tensor1d(gamma), tf.tensor1d(beta)];
        const fwd = tf.engine().runKernel('BatchNormTraining', { x: xt, gamma: gt, beta: bt }, attrs) as unknown as tf.Tensor[];
        const bwd = tf.engine().runKernel('BatchNormTrainingGrad', { dz: tf.tensor(dz.data, shape), x: xt, gamma: gt, beta: bt, mean: fwd[1], variance: fwd[2] }, attrs) as unknown as tf.Tensor[];
        return [...fwd, ...bwd].map((t) => t.dataSync());
      });
      expect(maxErr(zOut, z)).toBeLessThan(1e-5);
      expect(maxErr(mOut, mean)).toBeLessThan(1e-5);
      expect(maxErr(vOut, variance)).toBeLessThan(1e-5);
      expect(maxErr(dxOut, dx)).toBeLessThan(1e-4);
      expect(maxErr(dgOut, dgamma)).toBeLessThan(1e-5);
      expect(maxErr(dbOut, dbeta)).toBeLessThan(1e-5);
    }
  });
});

describe('ReluBackprop (ours) on wasm and cpu', () => {
  it.each([
    [2, 5, 3, 8],
    [1, 4, 4, 6],
  ])('%ix%ix%ix%i', (...shape) => {
    const r = rng(19);
    const dy = random(r, shape);
    const y = random(r, shape);
    const outs = (['wasm', 'cpu'] as const).map((b) => {
      tf.setBackend(b);
      return tf.tidy(() => (tf.engine().runKernel('ReluBackprop', { dy: tf.tensor(dy.data, shape), y: tf.tensor(y.data, shape) }) as unknown as tf.Tensor[]).map((t) => t.dataSync()));
    });
    const c = shape[3];
    const g = Float32Array.from(dy.data, (d, i) => (y.data[i] > 0 ? d : 0));
    const db = new Float64Array(c);
    g.forEach((v, i) => (db[i % c] += v));
    for (const [gOut, dbOut] of outs) {
      expect([...gOut]).toEqual([...g]);
      for (let k = 0; k < c; k++) expect(dbOut[k]).toBeCloseTo(db[k], 5);
    }
  });
});

describe('Slice (reads the input in place)', () => {
  const r = rng(20);
  it.each([
    ['leading axis (contiguous)', [10, 3, 4, 2], [2, 0, 0, 0], [5, 3, 4, 2]],
    ['inner axes', [4, 5, 6, 3], [1, 2, 1, 0], [2, 3, 4, 3]],
    ['last axis', [3, 7], [0, 2], [3, 4]],
    ['rank 5, -1 size', [2, 3, 2, 4, 3], [1, 0, 1, 1, 0], [1, -1, 1, 2, 3]],
  ])('%s', (_name, shape, begin, size) => {
    expect(compare('Slice', { x: random(r, shape) }, { begin, size })).toBe(0);
  });
});
