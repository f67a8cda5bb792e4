/**
 * Backend selection. tfjs is one global engine, so the first successful initBackend decides
 * for the whole process; later calls return the same backend (a different explicit choice
 * switches it, thread counts are fixed at the first wasm init).
 *
 * 'auto': @tensorflow/tfjs-node when it can be required (an optional dependency, native
 * TensorFlow), else wasm with our kernels. 'cpu' is tfjs's pure-JS reference backend
 * (slow; the kernels' tests compare against it).
 */
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { getThreadsCount, setThreadsCount, setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { TrainerError } from './errors';
import { registerKernels } from './kernels/register_all_kernels';

export type BackendName = 'tensorflow' | 'wasm' | 'cpu';

export interface BackendOptions {
  /** Default 'auto'. */
  backend?: 'auto' | BackendName;
  /** Compute threads where the backend supports them (wasm needs WebAssembly threads). Default 1. */
  threads?: number;
}

export interface BackendInfo {
  name: BackendName;
  /** Threads the backend actually uses. */
  threads: number;
}

let wasmReady: Promise<void> | undefined;
let tfNodeLoaded: boolean | undefined;
let initialised = false;
function loadTfNode(): boolean {
  if (tfNodeLoaded === undefined) {
    try {
      // Registers the 'tensorflow' backend; absent on machines where the native build failed.
      require('@tensorflow/tfjs-node');
      tfNodeLoaded = true;
    } catch {
      tfNodeLoaded = false;
    }
  }
  return tfNodeLoaded;
}

/**
 * The folder holding the .wasm binaries, resolved through node's module resolution so it is
 * found from the sources (jest) and from the esbuild bundle (npm packages stay external).
 */
export function wasmDir(): string {
  return path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm')) + path.sep;
}

async function initWasm(threads: number): Promise<void> {
  if (!wasmReady) {
    wasmReady = (async () => {
      setWasmPaths(wasmDir());
      setThreadsCount(threads);
      if (!(await tf.setBackend('wasm'))) throw new Error('the tfjs wasm backend failed to initialise');
      // After initialisation: the stock kernels we replace (and still call) must have run their setup.
      registerKernels('wasm');
    })();
  }
  await wasmReady;
  if (tf.getBackend() !== 'wasm') await tf.setBackend('wasm');
}

function threadsOf(name: BackendName): number {
  return name === 'wasm' ? getThreadsCount() : 1;
}

/** Selects and initialises the compute backend (idempotent). */
export async function initBackend(opts: BackendOptions = {}): Promise<BackendInfo> {
  const want = opts.backend ?? 'auto';
  const threads = opts.threads ?? 1;
  if (!Number.isInteger(threads) || threads < 1) throw new TrainerError(`threads: expected an integer >= 1, got ${threads}`);
  if (!['auto', 'tensorflow', 'wasm', 'cpu'].includes(want)) throw new TrainerError(`backend: expected auto, tensorflow, wasm or cpu, got '${want}'`);
  tf.enableProdMode();
  // Our cpu kernels (fixes of wrong tfjs ones) replace kernels we never call: safe at any time.
  registerKernels('cpu');
  const current = tf.getBackend() as BackendName | undefined;
  if (want === 'auto' && initialised && current) return { name: current, threads: threadsOf(current) };
  if (want === current && initialised) return { name: current, threads: threadsOf(current) };

  let name: BackendName;
  if (want === 'tensorflow' || (want === 'auto' && loadTfNode())) {
    if (!loadTfNode()) throw new TrainerError("backend 'tensorflow': @tensorflow/tfjs-node is not installed on this machine");
    if (!(await tf.setBackend('tensorflow'))) throw new Error('the tfjs-node backend failed to initialise');
    name = 'tensorflow';
  } else if (want === 'cpu') {
    await tf.setBackend('cpu');
    name = 'cpu';
  } else {
    await initWasm(threads);
    name = 'wasm';
  }
  await tf.ready();
  initialised = true;
  return { name, threads: threadsOf(name) };
}
