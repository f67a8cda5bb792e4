/**
 * A minimal WebAssembly assembler for the SIMD kernels (simd.ts): opcodes as byte arrays, structured
 * loops, and a module of functions that imports the tfjs wasm backend's memory.
 */
import v8 from 'node:v8';

export type Code = number[];
export const I32 = 0x7f;
export const V128 = 0x7b;

export function uleb(n: number): Code {
  const out: Code = [];
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n !== 0) b |= 0x80;
    out.push(b);
  } while (n !== 0);
  return out;
}

export function sleb(n: number): Code {
  const out: Code = [];
  for (;;) {
    const b = n & 0x7f;
    n >>= 7;
    if ((n === 0 && (b & 0x40) === 0) || (n === -1 && (b & 0x40) !== 0)) return [...out, b];
    out.push(b | 0x80);
  }
}

export const vec = (items: Code[]): Code => [...uleb(items.length), ...items.flat()];
export const str = (s: string): Code => vec([...Buffer.from(s, 'utf8')].map((b) => [b]));
export const section = (id: number, body: Code): Code => [id, ...uleb(body.length), ...body];

export const get = (i: number): Code => [0x20, ...uleb(i)];
export const set = (i: number): Code => [0x21, ...uleb(i)];
export const i32 = (v: number): Code => [0x41, ...sleb(v)];
export const add = [0x6a];
export const sub = [0x6b];
export const mul = [0x6c];
export const shl = [0x74];
export const ltS = [0x48];
export const leS = [0x4c];
export const eqz = [0x45];
export const simd = (op: number, ...imm: number[]): Code => [0xfd, ...uleb(op), ...imm];
export const load = (offset = 0): Code => simd(0x00, 4, ...uleb(offset));
export const store = (offset = 0): Code => simd(0x0b, 4, ...uleb(offset));
export const splat32 = (offset = 0): Code => simd(0x09, 2, ...uleb(offset));
export const fadd = simd(0xe4);
export const fmul = simd(0xe6);
export const fgt = simd(0x44);
export const fge = simd(0x46);
export const and = simd(0x4e);
export const fmax = simd(0xe9);
export const fsub = simd(0xe5);
export const fneg = simd(0xe1);
export const fdiv = simd(0xe7);
export const fsqrt = simd(0xe3);
export const fsplat = simd(0x13);
export const F32 = 0x7d;
export const zeroVec: Code = [...i32(0), ...simd(0x11)]; // i32x4.splat 0
export const ifElse = (cond: Code, then: Code, otherwise: Code): Code => [...cond, 0x04, 0x40, ...then, 0x05, ...otherwise, 0x0b];

/** `while (cond) body`: cond leaves an i32 on the stack. */
export const whileLoop = (cond: Code, body: Code): Code => [0x02, 0x40, 0x03, 0x40, ...cond, ...eqz, 0x0d, 1, ...body, 0x0c, 0, 0x0b, 0x0b];
/** local i += step */
export const inc = (i: number, step: Code): Code => [...get(i), ...step, ...add, ...set(i)];

export interface Fn {
  name: string;
  params: number;
  /** Types of the params (default all i32). */
  paramTypes?: number[];
  locals: { i32: number; v128: number };
  body: Code;
}

export function assemble(fns: Fn[]): Uint8Array {
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

/** A one-function module whose body is `code` (no params, no locals, nothing left on the stack). */
export function probe(code: Code): Uint8Array {
  return Uint8Array.from([
    ...[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00],
    ...section(1, vec([[0x60, 0, 0]])),
    ...section(3, vec([[0]])),
    ...section(10, vec([[...uleb(code.length + 2), 0, ...code, 0x0b]])),
  ]);
}

// The WebAssembly JS API (not in this project's TypeScript libs).
declare const WebAssembly: {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: unknown };
  validate(bytes: Uint8Array): boolean;
};

export const compileModule = (bytes: Uint8Array): object => new WebAssembly.Module(bytes);
export const instantiate = (module: object, memory: object): unknown => new WebAssembly.Instance(module, { env: { memory } }).exports;

/** f32x4.relaxed_madd(a, b, c) = a * b + c (fused or not, as the CPU does it). */
export const fmadd = simd(0x105);

/** acc += x * w (v128 locals), fused when `fma` (relaxed SIMD). */
export const mac = (fma: boolean, acc: number, x: number, w: number): Code =>
  fma ? [...get(x), ...get(w), ...get(acc), ...fmadd, ...set(acc)] : [...get(acc), ...get(x), ...get(w), ...fmul, ...fadd, ...set(acc)];

/** Locals of a function, allocated by name after its params. */
export function locals(params: number) {
  const i32s: string[] = [];
  const v128s: string[] = [];
  return {
    i32: (name: string) => params + (i32s.push(name) - 1),
    /** v128 locals come after every i32 one: call only once all i32 locals exist. */
    v128: (name: string) => params + i32s.length + (v128s.push(name) - 1),
    counts: () => ({ i32: i32s.length, v128: v128s.length }),
  };
}

/** WebAssembly features this V8 accepts (relaxed SIMD needs --experimental-wasm-relaxed-simd in Node 20). */
export function wasmFeatures(): { simd128: boolean; relaxedSimd: boolean } {
  const v = (code: Code) => WebAssembly.validate(probe(code));
  const zero = [...i32(0), ...simd(0x11)];
  return { simd128: v([...zero, 0x1a]), relaxedSimd: v([...zero, ...zero, ...zero, ...fmadd, 0x1a]) };
}

let relaxedTried = false;

/**
 * Relaxed SIMD (for its fused multiply-add): default in newer V8, behind a flag in Node 20's, which
 * V8 reads when it validates a module, so setting it at run time works in every process (worker
 * processes included). MARL_HPO_NO_RELAXED_SIMD=1 keeps plain SIMD.
 */
export function relaxedSimd(): boolean {
  if (process.env['MARL_HPO_NO_RELAXED_SIMD'] === '1') return false;
  if (!relaxedTried && !wasmFeatures().relaxedSimd) {
    relaxedTried = true;
    v8.setFlagsFromString('--experimental-wasm-relaxed-simd');
  }
  return wasmFeatures().relaxedSimd;
}
