/**
 * Modules assembled at run time (asm.ts), compiled once per key and instantiated once per wasm
 * memory (the tfjs backend's): the SIMD kernels of simd.ts, and loops specialised to one tensor
 * shape (winograd.ts), whose strides become constant offsets.
 */
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { assemble, compileModule, instantiate, type Fn } from './asm';

/** Distinct modules kept (a long search meets many shapes); past this the caches start over. */
const MAX_MODULES = 512;

const modules = new Map<string, object | null>();
let instances = new WeakMap<object, Map<string, unknown>>();

/** The backend's wasm memory, undefined when it has none we can import (no SIMD build). */
export function memoryOf(backend: BackendWasm): object | undefined {
  return (backend.wasm as unknown as { asm?: { memory?: object } }).asm?.memory;
}

/**
 * The exports of the module `build` assembles, bound to this backend's memory; undefined where it
 * does not compile (no WebAssembly SIMD). `key` names what the module depends on.
 */
export function kernelsFor<T>(backend: BackendWasm, key: string, build: () => Fn[]): T | undefined {
  const memory = memoryOf(backend);
  if (!memory) return undefined;
  let forMemory = instances.get(memory);
  const ready = forMemory?.get(key);
  if (ready) return ready as T;
  if (!modules.has(key) && modules.size >= MAX_MODULES) {
    modules.clear();
    instances = new WeakMap();
    forMemory = undefined;
  }
  let module = modules.get(key);
  if (module === undefined) {
    try {
      module = compileModule(assemble(build()));
    } catch {
      module = null;
    }
    modules.set(key, module);
  }
  if (!module) return undefined;
  const exports = instantiate(module, memory) as T;
  if (!forMemory) instances.set(memory, (forMemory = new Map()));
  forMemory.set(key, exports);
  return exports;
}
