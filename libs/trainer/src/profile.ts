/**
 * Where the time of one training step goes (`marl-hpo bench train --profile`): every kernel the
 * engine dispatches is timed (outermost calls only: a kernel of ours calling a stock one counts
 * once), grouped by phase (forward, backward, optimizer) and by kind; what a phase spends outside
 * kernels is dispatch (tape, tidy, shape checks, JS glue). Heap allocation (malloc/free) is timed
 * separately, wherever it happens, and so are reads back to JS (the loss).
 */
import os from 'node:os';
import fs from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { benchArchs } from './bench';
import { initBackend, type BackendOptions } from './backend';
import { TrainerError } from './errors';
import { relaxedSimd, wasmFeatures } from './kernels/asm';
import { buildModel } from './model';
import { rng } from './rng';
import { lossOf, makeOptimizer, oneHot } from './train';

export type Phase = 'forward' | 'backward' | 'optimizer';

/** What a kernel does, for the summary. */
export type OpKind = 'conv' | 'matmul' | 'pool' | 'batchnorm' | 'elementwise' | 'reduction' | 'layout/copy' | 'other';

const KINDS: [RegExp, OpKind][] = [
  [/^(Fused)?Conv2D|^DepthwiseConv2d|^FusedDepthwise/, 'conv'],
  [/MatMul/, 'matmul'],
  [/Pool/, 'pool'],
  [/BatchNorm/i, 'batchnorm'],
  [/^(Sum|Mean|Max|Min|Prod|ArgMax|ArgMin|All|Any)$/, 'reduction'],
  [/^(Transpose|Reshape|Identity|Slice|Concat|Pad|Cast|Tile|GatherV2|Pack|Unpack|Fill|ZerosLike|OnesLike|StridedSlice|Split|SplitV)$/, 'layout/copy'],
  [/^(Add|AddN|Sub|Multiply|RealDiv|Div|Relu|Relu6|ReluBackprop|Step|Exp|Log|Neg|Sqrt|Rsqrt|Square|SquaredDifference|Maximum|Minimum|Greater|GreaterEqual|Less|LessEqual|Equal|Sigmoid|Tanh|Softmax|Select|Abs|Elu|LeakyRelu|Prelu|IsNan|IsFinite|Pow|ClipByValue)$/, 'elementwise'],
];

export function opKind(kernel: string): OpKind {
  return KINDS.find(([re]) => re.test(kernel))?.[1] ?? 'other';
}

export interface OpProfile {
  phase: Phase;
  kernel: string;
  kind: OpKind;
  /** Input shapes, e.g. "64x28x28x32 3x3x32x32". */
  shapes: string;
  /** Per step. */
  calls: number;
  /** Milliseconds per step, heap allocation inside the kernel included. */
  ms: number;
}

export interface PhaseProfile {
  /** Wall milliseconds per step. */
  ms: number;
  /** In kernels. */
  kernelMs: number;
  /** Outside kernels: the engine's bookkeeping and our JS around the ops. */
  dispatchMs: number;
  kernelCalls: number;
  /** malloc/free calls and their milliseconds (inside kernels or not). */
  allocs: number;
  allocMs: number;
  /** Bytes allocated per step. */
  allocBytes: number;
}

export interface CpuInfo {
  model: string;
  /** The widest x86 vector extension (AVX-512, AVX2, AVX, SSE4.2...), or the architecture. */
  simd: string;
  /** WebAssembly features this V8 validates; fma: our kernels use relaxed SIMD's fused multiply-add. */
  wasm: { simd128: boolean; relaxedSimd: boolean; fma: boolean };
  node: string;
}

export interface TrainProfile {
  cpu: CpuInfo;
  arch: string;
  batch: number;
  steps: number;
  backend: string;
  /** Wall milliseconds of one step (forward + backward + optimizer + reading the loss). */
  stepMs: number;
  /** Multiply-adds of one step (forward, input and weight gradients) and the rate they ran at. */
  macs: number;
  gmacPerSec: number;
  phases: Record<Phase, PhaseProfile>;
  /** Kernel time by kind, per step. */
  kinds: Partial<Record<OpKind, number>>;
  /** Every kernel by phase, slowest first. */
  ops: OpProfile[];
  /** The process's peak resident set (MB) at the end. */
  peakRssMb: number;
}

export function cpuInfo(): CpuInfo {
  let flags = '';
  try {
    flags = /^flags\s*:(.*)$/m.exec(fs.readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? '';
  } catch {
    // not Linux: the architecture is all we report
  }
  const has = (f: string) => new RegExp(`\\b${f}\\b`).test(flags);
  const fma = relaxedSimd();
  const simd = has('avx512f') ? 'AVX-512' : has('avx2') ? 'AVX2' : has('avx') ? 'AVX' : has('sse4_2') ? 'SSE4.2' : has('sse2') ? 'SSE2' : os.arch();
  return { model: os.cpus()[0]?.model.trim() ?? 'unknown', simd: has('fma') ? `${simd}+FMA` : simd, wasm: { ...wasmFeatures(), fma }, node: process.version };
}

export interface ProfileOptions extends BackendOptions {
  arch: string;
  batch?: number;
  /** Profiled steps (after 3 unprofiled ones). Default 10. */
  steps?: number;
}

/** Forward multiply-adds of a bench arch per sample (conv and dense), x3 for a training step less conv1's input gradient. */
function stepMacs(arch: keyof typeof benchArchs, batch: number): number {
  let [h, w, c] = benchArchs[arch].input;
  let forward = 0;
  let firstInput = 0;
  for (const l of benchArchs[arch].layers) {
    if (l.kind === 'conv2d') {
      const m = h * w * c * l.filters * l.kernel * l.kernel;
      if (forward === 0) firstInput = m;
      forward += m;
      c = l.filters;
    } else if (l.kind === 'maxPool') {
      h = Math.floor(h / 2);
      w = Math.floor(w / 2);
    } else if (l.kind === 'flatten') {
      c = h * w * c;
      h = w = 1;
    } else if (l.kind === 'dense') {
      forward += c * l.units;
      c = l.units;
    }
  }
  return batch * (3 * forward - firstInput);
}

/** Profiles `steps` training steps of a bench arch (random data, Adam 1e-3, as bench train). */
export async function profileTrain(opts: ProfileOptions): Promise<TrainProfile> {
  const arch = opts.arch as keyof typeof benchArchs;
  const ir = benchArchs[arch];
  if (!ir) throw new TrainerError(`arch: expected ${Object.keys(benchArchs).join(', ')}, got '${opts.arch}'`);
  const batch = opts.batch ?? 64;
  const steps = opts.steps ?? 10;
  const backend = await initBackend(opts);
  const r = rng(0);
  const x = tf.tensor4d(Float32Array.from({ length: batch * 28 * 28 }, () => 2 * r() - 1), [batch, 28, 28, 1]);
  const y = oneHot(Int32Array.from({ length: batch }, () => Math.floor(r() * 10)), 10);
  const model = buildModel(ir);
  const optimizer = makeOptimizer('adam', 1e-3);

  let phase: Phase = 'forward';
  let depth = 0;
  const ops = new Map<string, OpProfile>();
  const empty = (): PhaseProfile => ({ ms: 0, kernelMs: 0, dispatchMs: 0, kernelCalls: 0, allocs: 0, allocMs: 0, allocBytes: 0 });
  const phases: Record<Phase, PhaseProfile> = { forward: empty(), backward: empty(), optimizer: empty() };
  let recording = false;

  // Time every kernel of the backend (outermost calls).
  const originals = tf.getKernelsForBackend(tf.getBackend());
  for (const k of originals) {
    const inner = k.kernelFunc;
    tf.unregisterKernel(k.kernelName, k.backendName);
    tf.registerKernel({
      ...k,
      kernelFunc: ((args: Parameters<typeof inner>[0]) => {
        if (!recording || depth > 0) return inner(args);
        depth++;
        const t0 = performance.now();
        try {
          return inner(args);
        } finally {
          const ms = performance.now() - t0;
          depth--;
          const shapes = Object.values(args.inputs)
            .map((t) => (t as tf.TensorInfo | undefined)?.shape.join('x') ?? '-')
            .join(' ');
          const key = `${phase}/${k.kernelName}/${shapes}`;
          const op = ops.get(key) ?? { phase, kernel: k.kernelName, kind: opKind(k.kernelName), shapes, calls: 0, ms: 0 };
          op.calls++;
          op.ms += ms;
          ops.set(key, op);
          phases[phase].kernelMs += ms;
          phases[phase].kernelCalls++;
        }
      }) as typeof inner,
    });
  }
  // Time heap allocation (wasm backend only).
  const wasm = backend.name === 'wasm' ? ((tf.backend() as BackendWasm).wasm as unknown as { _malloc(n: number): number; _free(p: number): void }) : undefined;
  const malloc = wasm?._malloc;
  const free = wasm?._free;
  if (wasm && malloc && free) {
    wasm._malloc = (n: number) => {
      if (!recording) return malloc(n);
      const t0 = performance.now();
      const p = malloc(n);
      const p0 = phases[phase];
      p0.allocMs += performance.now() - t0;
      p0.allocs++;
      p0.allocBytes += n;
      return p;
    };
    wasm._free = (p: number) => {
      if (!recording) return free(p);
      const t0 = performance.now();
      free(p);
      phases[phase].allocMs += performance.now() - t0;
      phases[phase].allocs++;
    };
  }

  const step = () => {
    const t0 = performance.now();
    phase = 'forward';
    let t1 = 0;
    const { value, grads } = tf.variableGrads(() => {
      const loss = lossOf(model.apply(x, { training: true }), y);
      t1 = performance.now();
      phase = 'backward';
      return loss;
    }, model.trainable);
    const t2 = performance.now();
    phase = 'optimizer';
    optimizer.apply(
      model.trainable,
      model.trainable.map((v) => grads[v.name]),
    );
    value.dataSync();
    tf.dispose([value, grads]);
    const t3 = performance.now();
    if (recording) {
      phases.forward.ms += t1 - t0;
      phases.backward.ms += t2 - t1;
      phases.optimizer.ms += t3 - t2;
    }
  };
  try {
    for (let i = 0; i < 3; i++) step();
    recording = true;
    for (let i = 0; i < steps; i++) step();
    recording = false;
  } finally {
    recording = false;
    for (const k of originals) {
      tf.unregisterKernel(k.kernelName, k.backendName);
      tf.registerKernel(k);
    }
    if (wasm && malloc && free) {
      wasm._malloc = malloc;
      wasm._free = free;
    }
    tf.dispose([x, y]);
    optimizer.dispose();
    model.dispose();
  }
  const per = (v: number) => Number((v / steps).toFixed(3));
  for (const p of Object.values(phases)) {
    p.dispatchMs = per(p.ms - p.kernelMs);
    for (const key of ['ms', 'kernelMs', 'kernelCalls', 'allocs', 'allocMs', 'allocBytes'] as const) p[key] = per(p[key]);
  }
  const opList = [...ops.values()].map((o) => ({ ...o, calls: per(o.calls), ms: per(o.ms) })).sort((a, b) => b.ms - a.ms);
  const kinds: Partial<Record<OpKind, number>> = {};
  for (const o of opList) kinds[o.kind] = Number(((kinds[o.kind] ?? 0) + o.ms).toFixed(3));
  const stepMs = Number((phases.forward.ms + phases.backward.ms + phases.optimizer.ms).toFixed(3));
  const macs = stepMacs(arch, batch);
  return {
    cpu: cpuInfo(),
    arch,
    batch,
    steps,
    backend: backend.name,
    stepMs,
    macs,
    gmacPerSec: Number((macs / stepMs / 1e6).toFixed(2)),
    phases,
    kinds,
    ops: opList,
    peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024),
  };
}
