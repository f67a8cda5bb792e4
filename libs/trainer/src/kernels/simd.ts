/**
 * A few WebAssembly SIMD loops, assembled at run time into a module that imports the tfjs wasm
 * backend's memory, so they read and write tensors in place. They cover what neither XNNPACK (as
 * tfjs exposes it) nor plain JS does fast: the conv weight gradient as row-by-row outer products,
 * the 2x2 max-pool gradient, and column sums. Pointers are byte offsets into that memory.
 */
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { add, and, F32, fadd, fdiv, fgt, fge, fmax, fmul, locals, mac, fsplat, fsqrt, fsub, get, I32, i32, ifElse, inc, leS, load, ltS, mul, relaxedSimd, set, shl, splat32, store, sub, whileLoop, zeroVec, type Code, type Fn } from './asm';
import { kernelsFor } from './jit';

/**
 * dwRows(x, dy, acc, count, ci, co, xStep, dyStep, rows, xRowStep, dyRowStep, images, xImgStep, dyImgStep):
 * acc[ci][co] += sum over `images` x `rows` x `count` pixels of x[pixel][ci] * dy[pixel][co]; x
 * advances xStep bytes per pixel, xRowStep per row and xImgStep per image, dy likewise. co a
 * multiple of 4; counts >= 1. Tiles of 4 (or 1) input x 8 (or 4) output channels, summed in
 * registers over all those pixels (acc is read and written once per tile).
 */
function dwRows(fma: boolean): Fn {
  const [x, dy, acc, count, ci, co, xStep, dyStep, rows, xRowStep, dyRowStep, images, xImgStep, dyImgStep] = Array.from({ length: 14 }, (_, k) => k);
  const [cb, rb, px, pd, n, pa, co4, row, xr, dr, img, xi, di] = Array.from({ length: 13 }, (_, k) => 14 + k);
  const a = (k: number) => 27 + k; // 8 accumulators
  const d = (k: number) => 35 + k; // 2 dy vectors
  const xs = 37;
  const tile = (tileRows: number, vecs: number): Code => {
    const rowAddr = (r: number): Code => [...get(pa), ...(r ? [...get(co4), ...i32(r), ...mul, ...add] : [])];
    const loads: Code = [];
    const stores: Code = [];
    for (let r = 0; r < tileRows; r++) {
      for (let v = 0; v < vecs; v++) {
        loads.push(...rowAddr(r), ...load(16 * v), ...set(a(r * 2 + v)));
        stores.push(...rowAddr(r), ...get(a(r * 2 + v)), ...store(16 * v));
      }
    }
    const step: Code = [];
    for (let v = 0; v < vecs; v++) step.push(...get(pd), ...load(16 * v), ...set(d(v)));
    for (let r = 0; r < tileRows; r++) {
      step.push(...get(px), ...splat32(4 * r), ...set(xs));
      for (let v = 0; v < vecs; v++) step.push(...mac(fma, a(r * 2 + v), xs, d(v)));
    }
    step.push(...inc(px, get(xStep)), ...inc(pd, get(dyStep)), ...get(n), ...i32(1), ...sub, ...set(n));
    return [
      // pa = acc + (rb * co + cb) * 4
      ...get(rb), ...get(co), ...mul, ...get(cb), ...add, ...i32(2), ...shl, ...get(acc), ...add, ...set(pa),
      ...loads,
      ...get(x), ...get(rb), ...i32(2), ...shl, ...add, ...set(xi),
      ...get(dy), ...get(cb), ...i32(2), ...shl, ...add, ...set(di),
      ...get(images), ...set(img),
      // for each image { for each row { for each pixel { ... } } }, all do-whiles (counts >= 1)
      0x03, 0x40,
      ...get(xi), ...set(xr), ...get(di), ...set(dr), ...get(rows), ...set(row),
      0x03, 0x40,
      ...get(xr), ...set(px), ...get(dr), ...set(pd), ...get(count), ...set(n),
      0x03, 0x40, ...step, ...get(n), 0x0d, 0, 0x0b,
      ...inc(xr, get(xRowStep)), ...inc(dr, get(dyRowStep)),
      ...get(row), ...i32(1), ...sub, ...set(row), ...get(row), 0x0d, 0, 0x0b,
      ...inc(xi, get(xImgStep)), ...inc(di, get(dyImgStep)),
      ...get(img), ...i32(1), ...sub, ...set(img), ...get(img), 0x0d, 0, 0x0b,
      ...stores,
    ];
  };
  const rowTiles = (vecs: number): Code => [
    ...i32(0), ...set(rb),
    ...whileLoop([...get(rb), ...i32(4), ...add, ...get(ci), ...leS], [...tile(4, vecs), ...inc(rb, i32(4))]),
    ...whileLoop([...get(rb), ...get(ci), ...ltS], [...tile(1, vecs), ...inc(rb, i32(1))]),
  ];
  return {
    name: 'dwRows',
    params: 14,
    locals: { i32: 13, v128: 11 },
    body: [
      ...get(co), ...i32(2), ...shl, ...set(co4),
      ...i32(0), ...set(cb),
      ...whileLoop([...get(cb), ...i32(8), ...add, ...get(co), ...leS], [...rowTiles(2), ...inc(cb, i32(8))]),
      ...whileLoop([...get(cb), ...i32(4), ...add, ...get(co), ...leS], [...rowTiles(1), ...inc(cb, i32(4))]),
    ],
  };
}

/**
 * maxPoolGradRow(x, dy, dx, ow, c, rowBytes): one output row of a 2x2 / stride-2 max pool.
 * x and dx point at input row 2r, dy at output row r; c is a multiple of 4. Each dx element of the
 * window gets dy where it is the first maximum in window order (as tfjs's cpu kernel), else 0.
 */
function maxPoolGradRow(): Fn {
  const [x, dy, dx, ow, c, rowBytes] = [0, 1, 2, 3, 4, 5];
  const [q, k, p, o, c4] = [6, 7, 8, 9, 10];
  const [va, vb, vc, vd, g] = [11, 12, 13, 14, 15];
  const at = (base: number, col: boolean, row: boolean): Code => [...get(base), ...get(p), ...add, ...(col ? [...get(c4), ...add] : []), ...(row ? [...get(rowBytes), ...add] : [])];
  const cmp = (l: number, r: number, op: Code): Code => [...get(l), ...get(r), ...op];
  const masked = (mask: Code, base: number, col: boolean, row: boolean): Code => [...at(base, col, row), ...get(g), ...mask, ...and, ...store()];
  const body: Code = [
    ...at(x, false, false), ...load(), ...set(va),
    ...at(x, true, false), ...load(), ...set(vb),
    ...at(x, false, true), ...load(), ...set(vc),
    ...at(x, true, true), ...load(), ...set(vd),
    ...get(dy), ...get(o), ...add, ...load(), ...set(g),
    // first maximum: a >= b, c, d; b > a and b >= c, d; c > a, b and c >= d; d > a, b, c
    ...masked([...cmp(va, vb, fge), ...cmp(va, vc, fge), ...and, ...cmp(va, vd, fge), ...and], dx, false, false),
    ...masked([...cmp(vb, va, fgt), ...cmp(vb, vc, fge), ...and, ...cmp(vb, vd, fge), ...and], dx, true, false),
    ...masked([...cmp(vc, va, fgt), ...cmp(vc, vb, fgt), ...and, ...cmp(vc, vd, fge), ...and], dx, false, true),
    ...masked([...cmp(vd, va, fgt), ...cmp(vd, vb, fgt), ...and, ...cmp(vd, vc, fgt), ...and], dx, true, true),
    ...inc(p, i32(16)), ...inc(o, i32(16)), ...inc(k, i32(4)),
  ];
  return {
    name: 'maxPoolGradRow',
    params: 6,
    locals: { i32: 5, v128: 5 },
    body: [
      ...get(c), ...i32(2), ...shl, ...set(c4),
      ...i32(0), ...set(q), ...i32(0), ...set(o),
      ...whileLoop([...get(q), ...get(ow), ...ltS], [
        // p = 2 q c * 4
        ...get(q), ...get(c4), ...mul, ...i32(1), ...shl, ...set(p),
        ...i32(0), ...set(k),
        ...whileLoop([...get(k), ...get(c), ...ltS], body),
        ...inc(q, i32(1)),
      ]),
    ],
  };
}

/** colSum(src, rows, cols, out): out[c] += sum_r src[r][c] (float32), cols a multiple of 4. */
function colSum(): Fn {
  const [src, rows, cols, out] = [0, 1, 2, 3];
  const [r, ps, po, end] = [4, 5, 6, 7];
  return {
    name: 'colSum',
    params: 4,
    locals: { i32: 4, v128: 0 },
    body: [
      ...get(src), ...set(ps),
      ...i32(0), ...set(r),
      ...whileLoop([...get(r), ...get(rows), ...ltS], [
        ...get(out), ...set(po),
        ...get(out), ...get(cols), ...i32(2), ...shl, ...add, ...set(end),
        ...whileLoop([...get(po), ...get(end), ...ltS], [
          ...get(po), ...get(po), ...load(), ...get(ps), ...load(), ...fadd, ...store(),
          ...inc(po, i32(16)), ...inc(ps, i32(16)),
        ]),
        ...inc(r, i32(1)),
      ]),
    ],
  };
}

/**
 * A loop over `rows` x `cols` float32 matrices (cols a multiple of 4, rows contiguous) with
 * per-column vectors: params (...arrays, rows, cols, ...vectors); `body` gets the byte offset of
 * the element (4 of them) in the matrices (`at`) and in the vectors (`col`), and v128 temporaries.
 */
function columnLoop(name: string, arrays: number, vectors: number, temporaries: number, body: (p: { arrays: number[]; vectors: number[]; at: number; col: number; tmp: number[] }) => Code): Fn {
  const params = arrays + 2 + vectors;
  const [rows, cols] = [arrays, arrays + 1];
  const L = locals(params);
  const [r, at, col, rowBytes] = ['r', 'at', 'col', 'rowBytes'].map(L.i32);
  const tmp = Array.from({ length: temporaries }, (_, k) => L.v128(`t${k}`));
  const p = { arrays: Array.from({ length: arrays }, (_, k) => k), vectors: Array.from({ length: vectors }, (_, k) => arrays + 2 + k), at, col, tmp };
  return {
    name,
    params,
    locals: L.counts(),
    body: [
      ...get(cols), ...i32(2), ...shl, ...set(rowBytes),
      ...i32(0), ...set(at), ...i32(0), ...set(r),
      ...whileLoop([...get(r), ...get(rows), ...ltS], [
        ...i32(0), ...set(col),
        ...whileLoop([...get(col), ...get(rowBytes), ...ltS], [...body(p), ...inc(at, i32(16)), ...inc(col, i32(16))]),
        ...inc(r, i32(1)),
      ]),
    ],
  };
}

const vecAt = (base: number, offset: number): Code => [...get(base), ...get(offset), ...add];

/** bnSquares(x, rows, cols, mean, acc): acc[c] += sum_r (x[r][c] - mean[c])^2. */
function bnSquares(): Fn {
  return columnLoop('bnSquares', 1, 2, 1, ({ arrays: [x], vectors: [mean, acc], at, col, tmp: [d] }) => [
    ...vecAt(x, at), ...load(), ...vecAt(mean, col), ...load(), ...fsub, ...set(d),
    ...vecAt(acc, col), ...vecAt(acc, col), ...load(), ...get(d), ...get(d), ...fmul, ...fadd, ...store(),
  ]);
}

/** z = x * scale + shift, then max(0, z) for the ReLU variant: the code of `x` (a v128 on the stack) and the channel offset. */
const affine = (x: Code, scale: number, shift: number, col: number, relu: boolean, zero: number): Code => [
  ...x, ...vecAt(scale, col), ...load(), ...fmul, ...vecAt(shift, col), ...load(), ...fadd, ...(relu ? [...get(zero), ...fmax] : []),
];

/** bnApply(x, out, rows, cols, scale, shift): out = x * scale + shift (ReLU'd in bnApplyRelu). */
function bnApply(relu: boolean): Fn {
  return columnLoop(relu ? 'bnApplyRelu' : 'bnApply', 2, 2, 1, ({ arrays: [x, out], vectors: [scale, shift], at, col, tmp: [zero] }) => [
    ...zeroVec, ...set(zero),
    ...vecAt(out, at), ...affine([...vecAt(x, at), ...load()], scale, shift, col, relu, zero), ...store(),
  ]);
}

/**
 * The gradient reaching the batch norm's output, g = dz, or dz where x * scale + shift > 0 (relu:
 * the ReLU after it, recomputed from its input).
 */
const maskedGrad = (dz: number, x: number, at: number, scale: number, shift: number, col: number, relu: boolean, zero: number): Code =>
  relu ? [...vecAt(dz, at), ...load(), ...affine([...vecAt(x, at), ...load()], scale, shift, col, false, zero), ...get(zero), ...fgt, ...and] : [...vecAt(dz, at), ...load()];

/** bnGradSums(dz, x, rows, cols, scale, shift, mean, accG, accGX): accG[c] += sum_r g; accGX[c] += sum_r g (x - mean) (g: maskedGrad). */
function bnGradSums(relu: boolean): Fn {
  return columnLoop(relu ? 'bnGradSumsRelu' : 'bnGradSums', 2, 5, 2, ({ arrays: [dz, x], vectors: [scale, shift, mean, accG, accGX], at, col, tmp: [g, zero] }) => [
    ...zeroVec, ...set(zero),
    ...maskedGrad(dz, x, at, scale, shift, col, relu, zero), ...set(g),
    ...vecAt(accG, col), ...vecAt(accG, col), ...load(), ...get(g), ...fadd, ...store(),
    ...vecAt(accGX, col), ...vecAt(accGX, col), ...load(), ...get(g), ...vecAt(x, at), ...load(), ...vecAt(mean, col), ...load(), ...fsub, ...fmul, ...fadd, ...store(),
  ]);
}

/** bnGradApply(dz, x, out, rows, cols, scale, shift, a, b, c): out = a g + b x + c (g: maskedGrad). */
function bnGradApply(relu: boolean): Fn {
  return columnLoop(relu ? 'bnGradApplyRelu' : 'bnGradApply', 3, 5, 1, ({ arrays: [dz, x, out], vectors: [scale, shift, a, b, c], at, col, tmp: [zero] }) => [
    ...zeroVec, ...set(zero),
    ...vecAt(out, at),
    ...maskedGrad(dz, x, at, scale, shift, col, relu, zero), ...vecAt(a, col), ...load(), ...fmul,
    ...vecAt(x, at), ...load(), ...vecAt(b, col), ...load(), ...fmul, ...fadd,
    ...vecAt(c, col), ...load(), ...fadd,
    ...store(),
  ]);
}

/** reluBackprop(dy, y, g, rows, cols, acc): g = dy where y > 0 else 0; acc[c] += sum_r g[r][c]. cols a multiple of 4. */
function reluBackprop(): Fn {
  const [dy, y, g, rows, cols, acc] = [0, 1, 2, 3, 4, 5];
  const [r, off, pa, end, rowBytes] = [6, 7, 8, 9, 10];
  const [v, zero] = [11, 12];
  return {
    name: 'reluBackprop',
    params: 6,
    locals: { i32: 5, v128: 2 },
    body: [
      ...zeroVec, ...set(zero),
      ...get(cols), ...i32(2), ...shl, ...set(rowBytes),
      ...i32(0), ...set(off), ...i32(0), ...set(r),
      ...whileLoop([...get(r), ...get(rows), ...ltS], [
        ...get(acc), ...set(pa),
        ...get(acc), ...get(rowBytes), ...add, ...set(end),
        ...whileLoop([...get(pa), ...get(end), ...ltS], [
          // v = dy & (y > 0)
          ...get(dy), ...get(off), ...add, ...load(), ...get(y), ...get(off), ...add, ...load(), ...get(zero), ...fgt, ...and, ...set(v),
          ...get(g), ...get(off), ...add, ...get(v), ...store(),
          ...get(pa), ...get(pa), ...load(), ...get(v), ...fadd, ...store(),
          ...inc(pa, i32(16)), ...inc(off, i32(16)),
        ]),
        ...inc(r, i32(1)),
      ]),
    ],
  };
}

/**
 * adam(p, g, m, v, out, n, a, b1, b2, s, eps, gs): n (a multiple of 4) weights of one Adam step, as
 * torch.optim.Adam on the gradient gs * g (gs: the clipping factor): m = b1 m + (1 - b1) g;
 * v = b2 v + (1 - b2) g^2; out = p - a m / (sqrt(v) s + eps) with a = lr / (1 - b1^t) and
 * s = 1 / sqrt(1 - b2^t). m and v are updated in place.
 */
function adam(): Fn {
  const [p, g, m, v, out, n, a, b1, b2, sc, eps, gs] = Array.from({ length: 12 }, (_, k) => k);
  const [off, end] = [12, 13];
  const [va, vb1, vc1, vb2, vc2, vs, veps, vg, vm, vv, vgs] = Array.from({ length: 11 }, (_, k) => 14 + k);
  const one = [0x43, 0x00, 0x00, 0x80, 0x3f]; // f32.const 1
  const at = (base: number): Code => [...get(base), ...get(off), ...add];
  return {
    name: 'adam',
    params: 12,
    paramTypes: [I32, I32, I32, I32, I32, I32, F32, F32, F32, F32, F32, F32],
    locals: { i32: 2, v128: 11 },
    body: [
      ...get(a), ...fsplat, ...set(va),
      ...get(gs), ...fsplat, ...set(vgs),
      ...get(b1), ...fsplat, ...set(vb1), ...one, ...get(b1), 0x93, ...fsplat, ...set(vc1), // f32.sub
      ...get(b2), ...fsplat, ...set(vb2), ...one, ...get(b2), 0x93, ...fsplat, ...set(vc2),
      ...get(sc), ...fsplat, ...set(vs),
      ...get(eps), ...fsplat, ...set(veps),
      ...i32(0), ...set(off),
      ...get(n), ...i32(2), ...shl, ...set(end),
      ...whileLoop([...get(off), ...get(end), ...ltS], [
        ...at(g), ...load(), ...get(vgs), ...fmul, ...set(vg),
        // m = b1 m + (1 - b1) g
        ...get(vb1), ...at(m), ...load(), ...fmul, ...get(vc1), ...get(vg), ...fmul, ...fadd, ...set(vm),
        // v = b2 v + (1 - b2) g g
        ...get(vb2), ...at(v), ...load(), ...fmul, ...get(vc2), ...get(vg), ...get(vg), ...fmul, ...fmul, ...fadd, ...set(vv),
        ...at(m), ...get(vm), ...store(),
        ...at(v), ...get(vv), ...store(),
        // out = p - a m / (sqrt(v) s + eps)
        ...at(out), ...at(p), ...load(), ...get(va), ...get(vm), ...fmul, ...get(vv), ...fsqrt, ...get(vs), ...fmul, ...get(veps), ...fadd, ...fdiv, ...fsub, ...store(),
        ...inc(off, i32(16)),
      ]),
    ],
  };
}


/**
 * convPacked(x, rowBytes, xStep, wp, tap0, wRow, blockTaps, bias, y, count, n, ni, rows, xRowStep, yRowStep, coBytes, cStart, cEnd):
 * rows of `count` output pixels of a convolution (or a matrix product: one tap row, one pixel per
 * row of the left matrix), against weights packed by packFilter: per block of 8 output channels
 * (4 for a last block of 4), the taps in order, each tap's 8 (4) weights contiguous. For output
 * pixel p and channel o of block b:
 *   y[p][o] = act(bias[o] + sum_{i<ni, t<n} x[p*xStep + i*rowBytes + 4t] * wp[block b][tap0 + i*wRow + t][o - 8b])
 * with blocks of blockTaps taps; rows advance xRowStep / yRowStep bytes, pixels coBytes in y; only
 * channels [cStart, cEnd) (cStart a multiple of 8, cEnd of 4); bias 0 for none. Tiles of 4 (or 1) pixels x 8 (or 4)
 * channels summed in registers, channel blocks outermost (a block's weights stay in L1 while every
 * pixel of the call uses them). `fma`: relaxed_madd. One tap per loop iteration: unrolled, TurboFan
 * hoists the loads of every tap and spills (measured 40% slower); 6x8 or 5x8 tiles spill too.
 */
function convPacked(relu: boolean, fma: boolean): Fn {
  const P = 18;
  const [x, rowBytes, xStep, wp, tap0, wRow, blockTaps, bias, y, count, n, ni, rows, xRowStep, yRowStep, coBytes, cStart, cEnd] = Array.from({ length: P }, (_, k) => k);
  const L = locals(P);
  const [cb, q, i, t, pw, wblock, xrow, yrow, row, xq, yq] = ['cb', 'q', 'i', 't', 'pw', 'wblock', 'xrow', 'yrow', 'row', 'xq', 'yq'].map(L.i32);
  const px = [0, 1, 2, 3].map((k) => L.i32(`px${k}`));
  const acc = Array.from({ length: 8 }, (_, k) => L.v128(`acc${k}`));
  const wv = [L.v128('w0'), L.v128('w1')];
  const [xs, b0, b1, zero] = ['xs', 'b0', 'b1', 'zero'].map(L.v128);
  /** One tap for `pixels` pixels and `vecs` vectors of 4 channels, then the pointers move on. */
  const tap = (pixels: number, vecs: number): Code => {
    const code: Code = [];
    for (let v = 0; v < vecs; v++) code.push(...get(pw), ...load(16 * v), ...set(wv[v]));
    for (let p = 0; p < pixels; p++) {
      code.push(...get(px[p]), ...splat32(), ...set(xs));
      for (let v = 0; v < vecs; v++) code.push(...mac(fma, acc[2 * p + v], xs, wv[v]));
    }
    for (let p = 0; p < pixels; p++) code.push(...inc(px[p], i32(4)));
    return [...code, ...inc(pw, i32(16 * vecs)), ...inc(t, i32(1))];
  };
  const tile = (pixels: number, vecs: number): Code => {
    const init: Code = [];
    const out: Code = [];
    for (let p = 0; p < pixels; p++) {
      for (let v = 0; v < vecs; v++) {
        init.push(...get(v ? b1 : b0), ...set(acc[2 * p + v]));
        out.push(...get(yq), ...(p ? [...get(coBytes), ...i32(p), ...mul, ...add] : []), ...get(acc[2 * p + v]), ...(relu ? [...get(zero), ...fmax] : []), ...store(16 * v));
      }
    }
    return [
      ...init,
      // xq: the tile's first pixel at tap 0
      ...get(xrow), ...get(q), ...get(xStep), ...mul, ...add, ...set(xq),
      ...i32(0), ...set(i),
      ...whileLoop([...get(i), ...get(ni), ...ltS], [
        ...get(xq), ...get(i), ...get(rowBytes), ...mul, ...add, ...set(px[0]),
        ...Array.from({ length: pixels - 1 }, (_, p) => [...get(px[p]), ...get(xStep), ...add, ...set(px[p + 1])]).flat(),
        // pw = wblock + (tap0 + i * wRow) * 16 vecs
        ...get(wblock), ...get(tap0), ...get(i), ...get(wRow), ...mul, ...add, ...i32(16 * vecs), ...mul, ...add, ...set(pw),
        ...i32(0), ...set(t),
        ...whileLoop([...get(t), ...get(n), ...ltS], tap(pixels, vecs)),
        ...inc(i, i32(1)),
      ]),
      ...out,
    ];
  };
  const biasVec = (target: number, offset: number): Code =>
    ifElse(get(bias), [...get(bias), ...get(cb), ...i32(2), ...shl, ...add, ...load(offset), ...set(target)], [...get(zero), ...set(target)]);
  const block = (vecs: number): Code => [
    ...biasVec(b0, 0),
    ...(vecs === 2 ? biasVec(b1, 16) : []),
    // wblock = wp + cb * blockTaps * 4 (blocks of 8 channels x blockTaps taps x 4 bytes precede it)
    ...get(wp), ...get(cb), ...get(blockTaps), ...mul, ...i32(2), ...shl, ...add, ...set(wblock),
    ...get(x), ...set(xrow), ...get(y), ...set(yrow), ...i32(0), ...set(row),
    ...whileLoop([...get(row), ...get(rows), ...ltS], [
      ...i32(0), ...set(q),
      ...whileLoop([...get(q), ...i32(4), ...add, ...get(count), ...leS], [
        ...get(yrow), ...get(q), ...get(coBytes), ...mul, ...add, ...get(cb), ...i32(2), ...shl, ...add, ...set(yq),
        ...tile(4, vecs), ...inc(q, i32(4)),
      ]),
      ...whileLoop([...get(q), ...get(count), ...ltS], [
        ...get(yrow), ...get(q), ...get(coBytes), ...mul, ...add, ...get(cb), ...i32(2), ...shl, ...add, ...set(yq),
        ...tile(1, vecs), ...inc(q, i32(1)),
      ]),
      ...inc(xrow, get(xRowStep)), ...inc(yrow, get(yRowStep)), ...inc(row, i32(1)),
    ]),
  ];
  return {
    name: `convPacked${relu ? 'Relu' : ''}`,
    params: P,
    locals: L.counts(),
    body: [
      ...zeroVec, ...set(zero),
      ...get(cStart), ...set(cb),
      ...whileLoop([...get(cb), ...i32(8), ...add, ...get(cEnd), ...leS], [...block(2), ...inc(cb, i32(8))]),
      ...whileLoop([...get(cb), ...i32(4), ...add, ...get(cEnd), ...leS], [...block(1), ...inc(cb, i32(4))]),
    ],
  };
}

type ConvPacked = (x: number, rowBytes: number, xStep: number, wp: number, tap0: number, wRow: number, blockTaps: number, bias: number, y: number, count: number, n: number, ni: number, rows: number, xRowStep: number, yRowStep: number, coBytes: number, cStart: number, cEnd: number) => void;

type BnApply = (x: number, out: number, rows: number, cols: number, scale: number, shift: number) => void;
type BnGradSums = (dz: number, x: number, rows: number, cols: number, scale: number, shift: number, mean: number, accG: number, accGX: number) => void;
type BnGradApply = (dz: number, x: number, out: number, rows: number, cols: number, scale: number, shift: number, a: number, b: number, c: number) => void;

export interface Simd {
  bnSquares(x: number, rows: number, cols: number, mean: number, acc: number): void;
  bnApply: BnApply;
  bnApplyRelu: BnApply;
  bnGradSums: BnGradSums;
  bnGradSumsRelu: BnGradSums;
  bnGradApply: BnGradApply;
  bnGradApplyRelu: BnGradApply;
  adam(p: number, g: number, m: number, v: number, out: number, n: number, a: number, b1: number, b2: number, s: number, eps: number, gs: number): void;
  reluBackprop(dy: number, y: number, g: number, rows: number, cols: number, acc: number): void;
  convPacked: ConvPacked;
  convPackedRelu: ConvPacked;
  dwRows(x: number, dy: number, acc: number, count: number, ci: number, co: number, xStep: number, dyStep: number, rows: number, xRowStep: number, dyRowStep: number, images: number, xImgStep: number, dyImgStep: number): void;
  maxPoolGradRow(x: number, dy: number, dx: number, ow: number, c: number, rowBytes: number): void;
  colSum(src: number, rows: number, cols: number, out: number): void;
}

/**
 * The SIMD kernels bound to this backend's memory (undefined where WebAssembly SIMD is missing).
 * `fma` (default: when relaxed SIMD is available): multiply-adds fused.
 */
export function simdFor(backend: BackendWasm, fma = relaxedSimd()): Simd | undefined {
  return kernelsFor<Simd>(backend, `simd/fma=${fma}`, () => [dwRows(fma), maxPoolGradRow(), colSum(), convPacked(false, fma), convPacked(true, fma), reluBackprop(), adam(), bnSquares(), bnApply(false), bnApply(true), bnGradSums(false), bnGradSums(true), bnGradApply(false), bnGradApply(true)]);
}
