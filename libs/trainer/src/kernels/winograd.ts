/**
 * 3x3 stride-1 convolutions by Winograd's minimal filtering (Lavin & Gray 2016), 2.25x fewer
 * multiply-adds than direct convolution:
 *
 * - forward and input gradient, F(2x2, 3x3): each 2x2 output tile is A^T [(G g G^T) . (B^T d B)] A
 *   over its 4x4 input patch d; the elementwise products, summed over input channels, are 16 matrix
 *   products [tiles x ci] x [ci x co] (simd.ts's convPacked);
 * - weight gradient, F(3x3, 2x2): each 2x2 tile g of dy and its 4x4 input patch d add
 *   (A g A^T) . (B^T d B) to a 4x4 sum per (ci, co), 16 outer-product sums over tiles (dwRows), and
 *   dW = G^T M G once at the end (the transforms are linear).
 *
 * B^T = [1 0 -1 0; 0 1 1 0; 0 -1 1 0; 0 1 0 -1], G = [1 0 0; 1/2 1/2 1/2; 1/2 -1/2 1/2; 0 0 1],
 * A^T = [1 1 1 0; 0 1 -1 -1]. The transforms run on SIMD loops compiled per shape (constant
 * offsets, jit.ts), tiles in blocks that stay in cache; images are zero-padded to whole tiles one
 * at a time. Channel counts must be multiples of 4.
 */
import type { TensorInfo } from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { add, fadd, fmax, fneg, fsub, get, i32, ifElse, inc, load, locals, ltS, set, store, whileLoop, zeroVec, type Code, type Fn } from './asm';
import type { ConvGeometry } from './geometry';
import { kernelsFor } from './jit';
import type { Simd } from './simd';
import { alloc, f32, heapF32 } from './wasm';

/** Bytes of transformed tiles (both operands of the 16 products) per block: about L2's share. */
let blockBytes = 1 << 20;
/** Images per float32 partial sum of the weight gradient (then added up in float64). */
let imageBlock = 8;

/** Sets those (tests use tiny blocks to cover several blocks on small shapes). */
export function setWinogradBlocks(bytes = 1 << 20, images = 8): void {
  blockBytes = bytes;
  imageBlock = images;
}

/** Whether a convolution (filter kh x kw, strides) goes through Winograd. */
export function winogradFits(kh: number, kw: number, strides: [number, number], ci: number, co: number, oh: number, ow: number): boolean {
  // Small outputs waste most of their padded tiles; few channels make the transforms dominate.
  return kh === 3 && kw === 3 && strides[0] === 1 && strides[1] === 1 && ci % 4 === 0 && co % 4 === 0 && ci >= 8 && co >= 8 && oh >= 4 && ow >= 4;
}

// ---- the transforms, one SIMD loop each, specialised to the channel count and strides -------------

interface InputTransform {
  /** V[pos][t][c] (pos = 4r + c', at dst + pos * posBytes + t * cBytes) = (B^T d B)[r][c'] of `tiles` patches d from src, 2 pixels apart. */
  run(src: number, dst: number, tiles: number): void;
}
interface OutputTransform {
  /** The 2x2 outputs (A^T m A) + bias (0: none), ReLU'd when compiled so, of `tiles` tiles of M at src, to dst (2 pixels apart). */
  run(src: number, dst: number, bias: number, tiles: number): void;
}
interface DyTransform {
  /** U[pos][t][c] = (A g A^T)[r][c'] of `tiles` 2x2 tiles g of dy at src, 2 pixels apart. */
  run(src: number, dst: number, tiles: number): void;
}

/** Locals a transform's body gets: input and output pointers, the byte offset of the channel vector, extra params, v128 temporaries. */
interface BodyLocals {
  ps: number;
  pd: number;
  k: number;
  extra: number[];
  vecs: number[];
}

/**
 * The loop shared by the transforms, run(src, dst, ...extra, tiles): for each tile, for each
 * 4-channel vector, `body`; tiles advance inTileStep / outTileStep bytes.
 */
function tileLoop(extraParams: number, cBytes: number, inTileStep: number, outTileStep: number, temporaries: number, body: (l: BodyLocals) => Code): Fn {
  const params = 3 + extraParams;
  const [src, dst, tiles] = [0, 1, extraParams + 2];
  const extra = Array.from({ length: extraParams }, (_, k) => 2 + k);
  const L = locals(params);
  const [t, ps, pd, k, ts, td] = ['t', 'ps', 'pd', 'k', 'ts', 'td'].map(L.i32);
  const vecs = Array.from({ length: temporaries }, (_, i) => L.v128(`v${i}`));
  return {
    name: 'run',
    params,
    locals: L.counts(),
    body: [
      ...get(src), ...set(ts), ...get(dst), ...set(td), ...i32(0), ...set(t),
      ...whileLoop([...get(t), ...get(tiles), ...ltS], [
        ...get(ts), ...set(ps), ...get(td), ...set(pd), ...i32(0), ...set(k),
        ...whileLoop([...get(k), ...i32(cBytes), ...ltS], [...body({ ps, pd, k, extra, vecs }), ...inc(ps, i32(16)), ...inc(pd, i32(16)), ...inc(k, i32(16))]),
        ...inc(ts, i32(inTileStep)), ...inc(td, i32(outTileStep)), ...inc(t, i32(1)),
      ]),
    ],
  };
}

function inputTransform(cBytes: number, rowBytes: number, posBytes: number): Fn {
  // Row r of B^T d: (d0 - d2, d1 + d2, d2 - d1, d1 - d3)[r]; then the same along the columns.
  const rowPairs: [number, number, Code][] = [[0, 2, fsub], [1, 2, fadd], [2, 1, fsub], [1, 3, fsub]];
  const body = ({ ps, pd, vecs: tv }: BodyLocals): Code => {
    const code: Code = [];
    for (let r = 0; r < 4; r++) {
      const [a, b, op] = rowPairs[r];
      for (let c = 0; c < 4; c++) code.push(...get(ps), ...load(a * rowBytes + c * cBytes), ...get(ps), ...load(b * rowBytes + c * cBytes), ...op, ...set(tv[c]));
      for (let c = 0; c < 4; c++) {
        const [x, y, op2] = rowPairs[c];
        code.push(...get(pd), ...get(tv[x]), ...get(tv[y]), ...op2, ...store((4 * r + c) * posBytes));
      }
    }
    return code;
  };
  return tileLoop(0, cBytes, 2 * cBytes, cBytes, 4, body);
}

function outputTransform(cBytes: number, rowBytes: number, posBytes: number, relu: boolean): Fn {
  const body = ({ ps, pd, k, extra: [bias], vecs }: BodyLocals): Code => {
    const [s0, s1, s2, s3, b, zero] = vecs;
    const s = [s0, s1, s2, s3];
    const m = (r: number, c: number): Code => [...get(ps), ...load((4 * r + c) * posBytes)];
    const out = (value: Code): Code => [...value, ...get(b), ...fadd, ...(relu ? [...get(zero), ...fmax] : [])];
    const code: Code = [
      ...zeroVec, ...set(zero),
      ...ifElse(get(bias), [...get(bias), ...get(k), ...add, ...load(), ...set(b)], [...get(zero), ...set(b)]),
    ];
    for (let r = 0; r < 2; r++) {
      // Row r of A^T m: m0 + m1 + m2, or m1 - m2 - m3 (per column).
      for (let c = 0; c < 4; c++) code.push(...(r === 0 ? [...m(0, c), ...m(1, c), ...fadd, ...m(2, c), ...fadd] : [...m(1, c), ...m(2, c), ...fsub, ...m(3, c), ...fsub]), ...set(s[c]));
      code.push(...get(pd), ...out([...get(s0), ...get(s1), ...fadd, ...get(s2), ...fadd]), ...store(r * rowBytes));
      code.push(...get(pd), ...out([...get(s1), ...get(s2), ...fsub, ...get(s3), ...fsub]), ...store(r * rowBytes + cBytes));
    }
    return code;
  };
  return tileLoop(1, cBytes, cBytes, 2 * cBytes, 6, body);
}

function dyTransform(cBytes: number, rowBytes: number, posBytes: number): Fn {
  const body = ({ ps, pd, vecs: [u0, u1] }: BodyLocals): Code => {
    const g = (r: number, c: number): Code => [...get(ps), ...load(r * rowBytes + c * cBytes)];
    // Row r of A g: g0, g0 + g1, g0 - g1, -g1 (per column).
    const rowOf = (r: number, c: number): Code => (r === 0 ? g(0, c) : r === 1 ? [...g(0, c), ...g(1, c), ...fadd] : r === 2 ? [...g(0, c), ...g(1, c), ...fsub] : [...g(1, c), ...fneg]);
    const code: Code = [];
    for (let r = 0; r < 4; r++) {
      code.push(...rowOf(r, 0), ...set(u0), ...rowOf(r, 1), ...set(u1));
      const cols: Code[] = [get(u0), [...get(u0), ...get(u1), ...fadd], [...get(u0), ...get(u1), ...fsub], [...get(u1), ...fneg]];
      cols.forEach((v, c) => code.push(...get(pd), ...v, ...store((4 * r + c) * posBytes)));
    }
    return code;
  };
  return tileLoop(0, cBytes, 2 * cBytes, cBytes, 2, body);
}

const specialised = <T>(backend: BackendWasm, key: string, fn: () => Fn): T => {
  const k = kernelsFor<T>(backend, `winograd/${key}`, () => [fn()]);
  if (!k) throw new Error(`winograd: the ${key} loop does not compile`);
  return k;
};

// ---- the filter transforms (small: plain JS) ------------------------------------------------------

/** U[pos] = (G g G^T) for filter [3, 3, ci, co], each position packed as convPacked reads it (ci taps, blocks of 8 output channels). */
function transformFilter(backend: BackendWasm, filter: TensorInfo): TensorInfo {
  const [, , ci, co] = filter.shape;
  const pair = ci * co;
  const out = alloc(backend, [16, pair]);
  const w = f32(backend, filter);
  const u = f32(backend, out);
  const gg = new Float64Array(12);
  for (let c = 0; c < ci; c++) {
    for (let o = 0; o < co; o++) {
      // G g, row by row: g0, (g0 + g1 + g2) / 2, (g0 - g1 + g2) / 2, g2 (rows of the 3x3 g).
      for (let j = 0; j < 3; j++) {
        const a = w[(j * ci + c) * co + o];
        const b = w[((3 + j) * ci + c) * co + o];
        const d = w[((6 + j) * ci + c) * co + o];
        gg[j] = a;
        gg[3 + j] = (a + b + d) / 2;
        gg[6 + j] = (a - b + d) / 2;
        gg[9 + j] = d;
      }
      // Packed index of (tap c, channel o): block of 8 channels (or the last of 4), then tap, then channel.
      const b0 = o - (o % 8);
      const at = b0 * ci + c * Math.min(8, co - b0) + (o - b0);
      for (let r = 0; r < 4; r++) {
        const a = gg[3 * r];
        const b = gg[3 * r + 1];
        const d = gg[3 * r + 2];
        u[4 * r * pair + at] = a;
        u[(4 * r + 1) * pair + at] = (a + b + d) / 2;
        u[(4 * r + 2) * pair + at] = (a - b + d) / 2;
        u[(4 * r + 3) * pair + at] = d;
      }
    }
  }
  return out;
}

// ---- shared geometry -------------------------------------------------------------------------------

interface Tiling {
  th: number;
  tw: number;
  /** Tile rows per block and tiles per block (the layout's row count). */
  band: number;
  tiles: number;
}

function tiling(oh: number, ow: number, ci: number, co: number): Tiling {
  const th = Math.ceil(oh / 2);
  const tw = Math.ceil(ow / 2);
  const band = Math.max(1, Math.min(th, Math.floor(blockBytes / (64 * (ci + co)) / tw)));
  return { th, tw, band, tiles: band * tw };
}

/** Copies image b of x [n, h, w, c] into xp [hp, wp, c] at (top, left), clipped; xp's other pixels stay as they are (zero). */
function padImage(backend: BackendWasm, x: TensorInfo, b: number, xp: TensorInfo, top: number, left: number): void {
  const [, h, w, c] = x.shape;
  const [hp, wp] = xp.shape;
  const heap = heapF32(backend);
  const xb = backend.getMemoryOffset(x.dataId) / 4;
  const pb = backend.getMemoryOffset(xp.dataId) / 4;
  const c0 = Math.max(0, -left);
  const c1 = Math.min(w, wp - left);
  if (c1 <= c0) return;
  for (let r = Math.max(0, -top); r < Math.min(h, hp - top); r++) {
    const src = xb + ((b * h + r) * w + c0) * c;
    heap.copyWithin(pb + ((r + top) * wp + c0 + left) * c, src, src + (c1 - c0) * c);
  }
}

function zeros(backend: BackendWasm, shape: number[]): TensorInfo {
  const t = alloc(backend, shape);
  f32(backend, t).fill(0);
  return t;
}

// ---- forward / input gradient ------------------------------------------------------------------------

/** y = act(conv3x3(x, filter) + bias), stride 1, padding (g.top, g.left), output g.outShape. */
export function winogradConv(backend: BackendWasm, simd: Simd, x: TensorInfo, filter: TensorInfo, bias: TensorInfo | undefined, g: ConvGeometry, relu: boolean): TensorInfo {
  const [n, , , ci] = x.shape;
  const [, oh, ow, co] = g.outShape;
  const { th, tw, band, tiles } = tiling(oh, ow, ci, co);
  const even = oh % 2 === 0 && ow % 2 === 0;
  const y = alloc(backend, g.outShape);
  const u = transformFilter(backend, filter);
  const xp = zeros(backend, [2 * th + 2, 2 * tw + 2, ci]);
  const v = alloc(backend, [16, tiles, ci]);
  const m = alloc(backend, [16, tiles, co]);
  // Odd sizes: whole tiles go to a padded image, then its valid part to y.
  const yp = even ? undefined : alloc(backend, [2 * th, 2 * tw, co]);
  const outRow = (even ? ow : 2 * tw) * co * 4;
  const input = specialised<InputTransform>(backend, `in/${ci}/${(2 * tw + 2) * ci}/${tiles}`, () => inputTransform(ci * 4, (2 * tw + 2) * ci * 4, tiles * ci * 4));
  const output = specialised<OutputTransform>(backend, `out/${co}/${outRow}/${tiles}/${relu}`, () => outputTransform(co * 4, outRow, tiles * co * 4, relu));
  const ptr = (t: TensorInfo) => backend.getMemoryOffset(t.dataId);
  const [pxp, pv, pm, pu, pb] = [ptr(xp), ptr(v), ptr(m), ptr(u), bias ? ptr(bias) : 0];
  for (let b = 0; b < n; b++) {
    padImage(backend, x, b, xp, g.top, g.left);
    const yImage = yp ? ptr(yp) : ptr(y) + b * oh * ow * co * 4;
    for (let ty0 = 0; ty0 < th; ty0 += band) {
      const rows = Math.min(band, th - ty0);
      for (let r = 0; r < rows; r++) input.run(pxp + 2 * (ty0 + r) * (2 * tw + 2) * ci * 4, pv + r * tw * ci * 4, tw);
      for (let pos = 0; pos < 16; pos++) {
        simd.convPacked(pv + pos * tiles * ci * 4, 0, ci * 4, pu + pos * ci * co * 4, 0, 0, ci, 0, pm + pos * tiles * co * 4, rows * tw, ci, 1, 1, 0, 0, co * 4, 0, co);
      }
      for (let r = 0; r < rows; r++) output.run(pm + r * tw * co * 4, yImage + 2 * (ty0 + r) * outRow, pb, tw);
    }
    if (yp) {
      const heap = heapF32(backend);
      for (let r = 0; r < oh; r++) {
        const src = ptr(yp) / 4 + r * 2 * tw * co;
        heap.copyWithin(ptr(y) / 4 + (b * oh + r) * ow * co, src, src + ow * co);
      }
    }
  }
  for (const t of [u, xp, v, m, ...(yp ? [yp] : [])]) backend.disposeData(t.dataId);
  return y;
}

// ---- weight gradient -------------------------------------------------------------------------------

/** dW [3, 3, ci, co] of a 3x3 stride-1 convolution with padding (top, left), from x [n, h, w, ci] and dy [n, oh, ow, co]. */
export function winogradFilterGrad(backend: BackendWasm, simd: Simd, x: TensorInfo, dy: TensorInfo, top: number, left: number): TensorInfo {
  const [n, , , ci] = x.shape;
  const [, oh, ow, co] = dy.shape;
  const { th, tw, band, tiles } = tiling(oh, ow, ci, co);
  const even = oh % 2 === 0 && ow % 2 === 0;
  const out = alloc(backend, [3, 3, ci, co]);
  const xp = zeros(backend, [2 * th + 2, 2 * tw + 2, ci]);
  const dyp = even ? undefined : zeros(backend, [2 * th, 2 * tw, co]);
  const v = alloc(backend, [16, tiles, ci]);
  const ud = alloc(backend, [16, tiles, co]);
  const acc = alloc(backend, [16, ci, co]);
  const dyRow = (even ? ow : 2 * tw) * co * 4;
  const input = specialised<InputTransform>(backend, `in/${ci}/${(2 * tw + 2) * ci}/${tiles}`, () => inputTransform(ci * 4, (2 * tw + 2) * ci * 4, tiles * ci * 4));
  const dyT = specialised<DyTransform>(backend, `dy/${co}/${dyRow}/${tiles}`, () => dyTransform(co * 4, dyRow, tiles * co * 4));
  const ptr = (t: TensorInfo) => backend.getMemoryOffset(t.dataId);
  const [pxp, pv, pud, pacc] = [ptr(xp), ptr(v), ptr(ud), ptr(acc)];
  const size = 16 * ci * co;
  const total = new Float64Array(size);
  for (let b0 = 0; b0 < n; b0 += imageBlock) {
    f32(backend, acc).fill(0);
    for (let b = b0; b < Math.min(n, b0 + imageBlock); b++) {
      padImage(backend, x, b, xp, top, left);
      if (dyp) padImage(backend, dy, b, dyp, 0, 0);
      const dyImage = dyp ? ptr(dyp) : ptr(dy) + b * oh * ow * co * 4;
      for (let ty0 = 0; ty0 < th; ty0 += band) {
        const rows = Math.min(band, th - ty0);
        for (let r = 0; r < rows; r++) {
          input.run(pxp + 2 * (ty0 + r) * (2 * tw + 2) * ci * 4, pv + r * tw * ci * 4, tw);
          dyT.run(dyImage + 2 * (ty0 + r) * dyRow, pud + r * tw * co * 4, tw);
        }
        for (let pos = 0; pos < 16; pos++) {
          simd.dwRows(pv + pos * tiles * ci * 4, pud + pos * tiles * co * 4, pacc + pos * ci * co * 4, rows * tw, ci, co, ci * 4, co * 4, 1, 0, 0, 1, 0, 0);
        }
      }
    }
    const a = f32(backend, acc);
    for (let k = 0; k < size; k++) total[k] += a[k];
  }
  // dW = G^T M G: rows (m0 + (m1 + m2) / 2, (m1 - m2) / 2, (m1 + m2) / 2 + m3) of M, then the same on its columns.
  const dw = f32(backend, out);
  const pair = ci * co;
  const t = new Float64Array(12);
  for (let k = 0; k < pair; k++) {
    for (let c = 0; c < 4; c++) {
      const m0 = total[c * pair + k];
      const m1 = total[(4 + c) * pair + k];
      const m2 = total[(8 + c) * pair + k];
      const m3 = total[(12 + c) * pair + k];
      t[c] = m0 + (m1 + m2) / 2;
      t[4 + c] = (m1 - m2) / 2;
      t[8 + c] = (m1 + m2) / 2 + m3;
    }
    for (let i = 0; i < 3; i++) {
      const m0 = t[4 * i];
      const m1 = t[4 * i + 1];
      const m2 = t[4 * i + 2];
      const m3 = t[4 * i + 3];
      dw[3 * i * pair + k] = m0 + (m1 + m2) / 2;
      dw[(3 * i + 1) * pair + k] = (m1 - m2) / 2;
      dw[(3 * i + 2) * pair + k] = (m1 + m2) / 2 + m3;
    }
  }
  for (const tt of [xp, v, ud, acc, ...(dyp ? [dyp] : [])]) backend.disposeData(tt.dataId);
  return out;
}
