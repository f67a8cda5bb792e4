/**
 * Plain-loop kernels that run on both the wasm and the cpu backend: `Heap` hides where a
 * tensor's float32 data lives (a view of the wasm heap, or the cpu backend's array).
 */
import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { alloc, f32 } from './wasm';

export interface Heap {
  alloc(shape: number[]): TensorInfo;
  read(t: TensorInfo): Float32Array;
  write(t: TensorInfo): Float32Array;
  /** Finishes an output written through `write`. */
  done(t: TensorInfo): TensorInfo;
}

interface CpuBackend {
  data: { get(dataId: object): { values: Float32Array } };
  makeTensorInfo(shape: number[], dtype: 'float32', values: Float32Array): TensorInfo;
}

function wasmHeap(backend: BackendWasm): Heap {
  // Allocate first, then take views (views go stale when the heap grows).
  return { alloc: (shape) => alloc(backend, shape), read: (t) => f32(backend, t), write: (t) => f32(backend, t), done: (t) => t };
}

function cpuHeap(backend: CpuBackend): Heap {
  const pending = new Map<TensorInfo, Float32Array>();
  const buffer = (t: TensorInfo) => {
    const b = pending.get(t);
    if (!b) throw new Error('cpu kernel: output not allocated with heap.alloc');
    return b;
  };
  return {
    alloc(shape) {
      const t = { dataId: {}, shape, dtype: 'float32' as const };
      pending.set(t, new Float32Array(shape.reduce((a, b) => a * b, 1)));
      return t;
    },
    read: (t) => backend.data.get(t.dataId).values,
    write: buffer,
    done: (t) => backend.makeTensorInfo(t.shape, 'float32', buffer(t)),
  };
}

/** One kernel function as KernelConfigs for the wasm and cpu backends. */
export function forBackends<I, A>(kernelName: string, kernel: (heap: Heap, inputs: I, attrs: A) => TensorInfo | TensorInfo[]): KernelConfig[] {
  const make = (backendName: 'wasm' | 'cpu'): KernelConfig => ({
    kernelName,
    backendName,
    kernelFunc: (({ inputs, backend, attrs }: { inputs: I; backend: unknown; attrs: A }) =>
      kernel(backendName === 'wasm' ? wasmHeap(backend as BackendWasm) : cpuHeap(backend as CpuBackend), inputs, attrs)) as unknown as KernelFunc,
  });
  return [make('wasm'), make('cpu')];
}
