import { canonicalJson, summarize, type ArchitectureIR, type ConfigValues } from '@marl-hpo/arch';
import { BATCH_DIM, DataType, encodeModel, INPUT_NAME, IR_VERSION, OPSET_VERSION, OUTPUT_NAME } from '@marl-hpo/onnx';
import type { DatasetInfo, EvalJob, EvalOutcome, Evaluator } from './evaluator';

export interface SyntheticOptions {
  /** Wall-clock seconds each evaluation sleeps (I/O-bound stand-in for training). */
  sleepSeconds?: number;
  /** CPU seconds each evaluation spins (compute-bound stand-in, for worker benchmarks). */
  busySeconds?: number;
  /** Configurations whose hash modulo this is 0 throw (an evaluation that crashes). */
  failEvery?: number;
  /** Configurations whose hash modulo this is 1 kill the evaluating process (a crash or an out-of-memory kill). */
  exitEvery?: number;
}

/** Written by the busy loop so the arithmetic is not optimised away. */
let spin = 0;

/** FNV-1a of a string, in [0, 1). */
function hash01(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return (h >>> 0) / 2 ** 32;
}

/**
 * A deterministic stand-in for train + export + profile, to test and benchmark the search
 * machinery (journal, resume, workers, queues) in milliseconds: accuracy grows with MACs with
 * diminishing returns, latency grows linearly with MACs, each with a small per-configuration
 * deterministic offset.
 */
export class SyntheticEvaluator implements Evaluator {
  evaluations = 0;
  private readonly info: DatasetInfo;
  constructor(
    dataset: Omit<DatasetInfo, 'metrics'>,
    private readonly opts: SyntheticOptions = {},
  ) {
    const quality = dataset.task === 'segmentation' ? ['mIoU', 'loss'] : ['accuracy', 'loss'];
    this.info = { ...dataset, metrics: [...quality, 'latencyMs', 'trainSeconds', 'onnxBytes'] };
  }

  async prepare(): Promise<DatasetInfo> {
    return this.info;
  }

  async evaluate(job: EvalJob, signal: AbortSignal): Promise<EvalOutcome> {
    this.evaluations++;
    const key = canonicalJson(job.values);
    const h = hash01(key);
    if (this.opts.failEvery && Math.floor(h * 1e6) % this.opts.failEvery === 0) throw new Error(`synthetic failure for ${key}`);
    if (this.opts.exitEvery && Math.floor(h * 1e6) % this.opts.exitEvery === 1) process.kill(process.pid, 'SIGKILL');
    if (this.opts.busySeconds) {
      // CPU time, not wall time: like training, it takes longer when processes share a core.
      // Arithmetic between the clock reads keeps it in user space (getrusage is a system call).
      const start = process.cpuUsage();
      const target = this.opts.busySeconds * 1e6;
      for (;;) {
        for (let i = 0; i < 50_000; i++) spin += Math.sqrt(i + spin);
        const used = process.cpuUsage(start);
        if (used.user + used.system >= target || signal.aborted) break;
      }
    }
    if (this.opts.sleepSeconds) await sleep(this.opts.sleepSeconds * 1000, signal);
    if (signal.aborted) throw new Error('aborted');
    const { macs } = summarize(job.ir);
    const quality = 0.5 + 0.45 * (1 - Math.exp(-macs / 2e7)) + 0.02 * (h - 0.5) - 0.01 * (job.fidelity.epochs === 1 ? 1 : 0);
    const metrics = this.info.task === 'segmentation' ? { mIoU: quality, loss: 1 - quality } : { accuracy: quality, loss: 1 - quality };
    const onnx = syntheticModel(job.ir, job.values);
    return {
      metrics: { ...metrics, latencyMs: 0.05 + macs / 5e8 + 0.01 * h, trainSeconds: (macs / 1e8) * job.fidelity.epochs * (job.fidelity.trainFraction ?? 1), onnxBytes: onnx.length },
      onnx,
      timings: { train: 0, export: 0, profile: 0 },
    };
  }

  async close(): Promise<void> {}
}

/**
 * A whole ONNX model that stands in for the trained one: an Identity graph (no weights) whose
 * metadata names the template and configuration, as an exported model's does.
 */
function syntheticModel(ir: ArchitectureIR, values: ConfigValues): Uint8Array {
  const [h, w, c] = ir.input;
  const tensor = (name: string) => ({ name, type: { tensor_type: { elem_type: DataType.FLOAT, shape: { dim: [{ dim_param: BATCH_DIM }, ...[c, h, w].map((d) => ({ dim_value: BigInt(d) }))] } } } });
  return encodeModel({
    ir_version: BigInt(IR_VERSION),
    opset_import: [{ domain: '', version: BigInt(OPSET_VERSION) }],
    producer_name: 'marl-hpo synthetic',
    graph: { name: 'synthetic', node: [{ input: [INPUT_NAME], output: [OUTPUT_NAME], name: 'identity', op_type: 'Identity' }], input: [tensor(INPUT_NAME)], output: [tensor(OUTPUT_NAME)] },
    metadata_props: [
      { key: 'template', value: ir.template },
      { key: 'configuration', value: JSON.stringify(values) },
      { key: 'synthetic', value: 'true' },
    ],
  });
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done);
  });
}
