/**
 * A few WebAssembly SIMD loops, assembled at run time into a module that imports the tfjs wasm
 * backend's memory, so they read and write tensors in place. They cover what neither XNNPACK (as
 * tfjs exposes it) nor plain JS does fast: the conv weight gradient as row-by-row outer products,
 * the 2x2 max-pool gradient, and column sums. Pointers are byte offsets into that memory.
 */
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';

// ---- a minimal assembler -------------------------------------------------------------------

type Code = number[];
const I32 = 0x7f;
const V128 = 0x7b;

function uleb(n: number): Code {
  const out: Code = [];
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n !== 0) b |= 0x80;
    out.push(b);
  } while (n !== 0);
  return out;
}

function sleb(n: number): Code {
  const out: Code = [];
  for (;;) {
    const b = n & 0x7f;
    n >>= 7;
    if ((n === 0 && (b & 0x40) === 0) || (n === -1 && (b & 0x40) !== 0)) return [...out, b];
    out.push(b | 0x80);
  }
}

const vec = (items: Code[]): Code => [...uleb(items.length), ...items.flat()];
const str = (s: string): Code => vec([...Buffer.from(s, 'utf8')].map((b) => [b]));
const section = (id: number, body: Code): Code => [id, ...uleb(body.length), ...body];

const get = (i: number): Code => [0x20, ...uleb(i)];
const set = (i: number): Code => [0x21, ...uleb(i)];
const i32 = (v: number): Code => [0x41, ...sleb(v)];
const add = [0x6a];
const sub = [0x6b];
const mul = [0x6c];
const shl = [0x74];
const ltS = [0x48];
const leS = [0x4c];
const eqz = [0x45];
const simd = (op: number, ...imm: number[]): Code => [0xfd, ...uleb(op), ...imm];
const load = (offset = 0): Code => simd(0x00, 4, ...uleb(offset));
const store = (offset = 0): Code => simd(0x0b, 4, ...uleb(offset));
const splat32 = (offset = 0): Code => simd(0x09, 2, ...uleb(offset));
const fadd = simd(0xe4);
const fmul = simd(0xe6);
const fgt = simd(0x44);
const fge = simd(0x46);
const and = simd(0x4e);
const fmax = simd(0xe9);
const fsub = simd(0xe5);
const fdiv = simd(0xe7);
const fsqrt = simd(0xe3);
const fsplat = simd(0x13);
const F32 = 0x7d;
const zeroVec: Code = [...i32(0), ...simd(0x11)]; // i32x4.splat 0
const ifElse = (cond: Code, then: Code, otherwise: Code): Code => [...cond, 0x04, 0x40, ...then, 0x05, ...otherwise, 0x0b];

/** `while (cond) body`: cond leaves an i32 on the stack. */
const whileLoop = (cond: Code, body: Code): Code => [0x02, 0x40, 0x03, 0x40, ...cond, ...eqz, 0x0d, 1, ...body, 0x0c, 0, 0x0b, 0x0b];
/** local i += step */
const inc = (i: number, step: Code): Code => [...get(i), ...step, ...add, ...set(i)];

interface Fn {
  name: string;
  params: number;
  /** Types of the params (default all i32). */
  paramTypes?: number[];
  locals: { i32: number; v128: number };
  body: Code;
}

function assemble(fns: Fn[]): Uint8Array {
  const types = fns.map((f) => [0x60, ...vec(Array.from({ length: f.params }, (_, i) => [f.paramTypes?.[i] ?? I32])), 0]);
  const imports = vec([[...str('env'), ...str('memory'), 0x02, 0x00, 0x01]]);
  const bodies = fns.map((f) => {
    const locals = vec([
      [...uleb(f.locals.i32), I32],
      [...uleb(f.locals.v128), V128],
    ]);
    const code = [...locals, ...f.body, 0x0b];
    return [...uleb(code.length), ...code];
  });
  return Uint8Array.from([
    ...[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00],
    ...section(1, vec(types)),
    ...section(2, imports),
    ...section(3, vec(fns.map((_, i) => uleb(i)))),
    ...section(7, vec(fns.map((f, i) => [...str(f.name), 0x00, ...uleb(i)]))),
    ...section(10, vec(bodies)),
  ]);
}

// ---- kernels -------------------------------------------------------------------------------

/**
 * dwRows(x, dy, acc, count, ci, co, xStep, dyStep, rows, xRowStep, dyRowStep, images, xImgStep, dyImgStep):
 * acc[ci][co] += sum over `images` x `rows` x `count` pixels of x[pixel][ci] * dy[pixel][co]; x
 * advances xStep bytes per pixel, xRowStep per row and xImgStep per image, dy likewise. co a
 * multiple of 4; counts >= 1. Tiles of 4 (or 1) input x 8 (or 4) output channels, summed in
 * registers over all those pixels (acc is read and written once per tile).
 */
function dwRows(): Fn {
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
      for (let v = 0; v < vecs; v++) step.push(...get(a(r * 2 + v)), ...get(xs), ...get(d(v)), ...fmul, ...fadd, ...set(a(r * 2 + v)));
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
 * convRows(x, rowBytes, xStep, w, wRowBytes, bias, y, count, ci, co, ni, nj, rows, xRowStep, yRowStep, cStart, cEnd):
 * `rows` rows of `count` output pixels of a convolution whose taps (ni rows x nj columns) are all
 * inside the input: y[p][o] = act(bias[o] + sum_{i<ni, j<nj, c<ci} x[p*xStep + i*rowBytes + (j*ci + c)*4]
 * * w[i*wRowBytes + ((j*ci + c)*co + o)*4]), rows advancing xRowStep / yRowStep bytes; act = ReLU for
 * convRowsRelu; only output channels [cStart, cEnd) (multiples of 4). bias is 0 for none. Tiles of
 * 4 (or 1) pixels x 8 (or 4) output channels summed in registers; channels outermost, so a block of w
 * is reused by every row.
 */
function convRows(relu: boolean): Fn {
  const [x, rowBytes, xStep, w, wRowBytes, bias, y, count, ci, co, ni, nj, rows, xRowStep, yRowStep, cStart, cEnd] = Array.from({ length: 17 }, (_, k) => k);
  const [cb, q, i, njci, c, px, pw, co4, xq, row, xrow, yrow] = Array.from({ length: 12 }, (_, k) => 17 + k);
  const a = (k: number) => 29 + k; // 8 accumulators: pixel p, vector v -> a(2p + v)
  const wv = (v: number) => 37 + v;
  const [xs, b0, b1, zero] = [39, 40, 41, 42];
  const tile = (pixels: number, vecs: number): Code => {
    const init: Code = [];
    const out: Code = [];
    for (let p = 0; p < pixels; p++) {
      for (let v = 0; v < vecs; v++) {
        init.push(...get(v ? b1 : b0), ...set(a(2 * p + v)));
        // yrow + ((q + p) * co + cb) * 4, + 16 v as the store offset
        out.push(...get(yrow), ...get(q), ...i32(p), ...add, ...get(co4), ...mul, ...add, ...get(cb), ...i32(2), ...shl, ...add);
        out.push(...get(a(2 * p + v)), ...(relu ? [...get(zero), ...fmax] : []), ...store(16 * v));
      }
    }
    const inner: Code = [];
    for (let v = 0; v < vecs; v++) inner.push(...get(pw), ...load(16 * v), ...set(wv(v)));
    for (let p = 0; p < pixels; p++) {
      inner.push(...get(px), ...(p ? [...get(xStep), ...i32(p), ...mul, ...add] : []), ...splat32(), ...set(xs));
      for (let v = 0; v < vecs; v++) inner.push(...get(a(2 * p + v)), ...get(xs), ...get(wv(v)), ...fmul, ...fadd, ...set(a(2 * p + v)));
    }
    inner.push(...inc(px, i32(4)), ...inc(pw, get(co4)), ...inc(c, i32(1)));
    return [
      ...init,
      // xq = xrow + q * xStep: the tile's first pixel at tap (0, 0)
      ...get(xrow), ...get(q), ...get(xStep), ...mul, ...add, ...set(xq),
      ...i32(0), ...set(i),
      // Within a tap row, taps (j, c) are contiguous in x and in w: one loop over nj * ci.
      ...whileLoop([...get(i), ...get(ni), ...ltS], [
        ...get(xq), ...get(i), ...get(rowBytes), ...mul, ...add, ...set(px),
        ...get(w), ...get(i), ...get(wRowBytes), ...mul, ...add, ...get(cb), ...i32(2), ...shl, ...add, ...set(pw),
        ...i32(0), ...set(c),
        // if (nj * ci) do { ... } while (c < nj * ci)
        ...get(njci), 0x04, 0x40, 0x03, 0x40, ...inner, ...get(c), ...get(njci), ...ltS, 0x0d, 0, 0x0b, 0x0b,
        ...inc(i, i32(1)),
      ]),
      ...out,
    ];
  };
  const biasVec = (target: number, offset: number): Code =>
    ifElse(get(bias), [...get(bias), ...get(cb), ...i32(2), ...shl, ...add, ...load(offset), ...set(target)], [...get(zero), ...set(target)]);
  const pixelTiles = (vecs: number): Code => [
    ...biasVec(b0, 0),
    ...(vecs === 2 ? biasVec(b1, 16) : []),
    ...get(x), ...set(xrow), ...get(y), ...set(yrow), ...i32(0), ...set(row),
    ...whileLoop([...get(row), ...get(rows), ...ltS], [
      ...i32(0), ...set(q),
      ...whileLoop([...get(q), ...i32(4), ...add, ...get(count), ...leS], [...tile(4, vecs), ...inc(q, i32(4))]),
      ...whileLoop([...get(q), ...get(count), ...ltS], [...tile(1, vecs), ...inc(q, i32(1))]),
      ...inc(xrow, get(xRowStep)), ...inc(yrow, get(yRowStep)), ...inc(row, i32(1)),
    ]),
  ];
  return {
    name: relu ? 'convRowsRelu' : 'convRows',
    params: 17,
    locals: { i32: 12, v128: 14 },
    body: [
      ...zeroVec, ...set(zero),
      ...get(co), ...i32(2), ...shl, ...set(co4),
      ...get(nj), ...get(ci), ...mul, ...set(njci),
      ...get(cStart), ...set(cb),
      ...whileLoop([...get(cb), ...i32(8), ...add, ...get(cEnd), ...leS], [...pixelTiles(2), ...inc(cb, i32(8))]),
      ...whileLoop([...get(cb), ...i32(4), ...add, ...get(cEnd), ...leS], [...pixelTiles(1), ...inc(cb, i32(4))]),
    ],
  };
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

type ConvRows = (x: number, rowBytes: number, xStep: number, w: number, wRowBytes: number, bias: number, y: number, count: number, ci: number, co: number, ni: number, nj: number, rows: number, xRowStep: number, yRowStep: number, cStart: number, cEnd: number) => void;

export interface Simd {
  adam(p: number, g: number, m: number, v: number, out: number, n: number, a: number, b1: number, b2: number, s: number, eps: number, gs: number): void;
  reluBackprop(dy: number, y: number, g: number, rows: number, cols: number, acc: number): void;
  convRows: ConvRows;
  convRowsRelu: ConvRows;
  dwRows(x: number, dy: number, acc: number, count: number, ci: number, co: number, xStep: number, dyStep: number, rows: number, xRowStep: number, dyRowStep: number, images: number, xImgStep: number, dyImgStep: number): void;
  maxPoolGradRow(x: number, dy: number, dx: number, ow: number, c: number, rowBytes: number): void;
  colSum(src: number, rows: number, cols: number, out: number): void;
}

// The WebAssembly JS API (not in this project's TypeScript libs).
declare const WebAssembly: {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: unknown };
  validate(bytes: Uint8Array): boolean;
};

/** A one-function module whose body is `code` (no params, no locals, nothing left on the stack). */
function probe(code: Code): Uint8Array {
  return Uint8Array.from([
    ...[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00],
    ...section(1, vec([[0x60, 0, 0]])),
    ...section(3, vec([[0]])),
    ...section(10, vec([[...uleb(code.length + 2), 0, ...code, 0x0b]])),
  ]);
}

/** WebAssembly features this V8 accepts (relaxed SIMD needs --experimental-wasm-relaxed-simd in Node 20). */
export function wasmFeatures(): { simd128: boolean; relaxedSimd: boolean } {
  const v = (code: Code) => WebAssembly.validate(probe(code));
  const zero = [...i32(0), ...simd(0x11)];
  return { simd128: v([...zero, 0x1a]), relaxedSimd: v([...zero, ...zero, ...zero, ...simd(0x105), 0x1a]) };
}

let compiled: object | undefined;
const instances = new WeakMap<object, Simd>();

/** The SIMD kernels bound to this backend's memory (undefined where WebAssembly SIMD is missing). */
export function simdFor(backend: BackendWasm): Simd | undefined {
  const memory = (backend.wasm as unknown as { asm?: { memory?: object } }).asm?.memory;
  if (!memory) return undefined;
  let s = instances.get(memory);
  if (!s) {
    try {
      compiled ??= new WebAssembly.Module(assemble([dwRows(), maxPoolGradRow(), colSum(), convRows(false), convRows(true), reluBackprop(), adam()]));
    } catch {
      return undefined;
    }
    s = new WebAssembly.Instance(compiled, { env: { memory } }).exports as unknown as Simd;
    instances.set(memory, s);
  }
  return s;
}
