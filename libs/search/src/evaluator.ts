import type { ArchitectureIR, ConfigValues, Shape, Task } from '@marl-hpo/arch';
import type { Fidelity } from './journal';
import type { MetricName, Metrics } from './reward';

/** What templates are scaled to (the dataset's input shape, classes and task), and what evaluations report. */
export interface DatasetInfo {
  input: Shape;
  classes: number;
  task: Task;
  /**
   * Every metric this evaluator's outcomes hold (params and macs come from the static cost
   * model and need not be listed): a config naming any other fails before the first evaluation.
   */
  metrics: MetricName[];
}

/** One evaluation to run. */
export interface EvalJob {
  /** Order in which the search dispatched it (for logs; the journal numbers episodes on completion). */
  proposal: number;
  values: ConfigValues;
  ir: ArchitectureIR;
  fidelity: Fidelity;
}

export interface EvalOutcome {
  /** Measured metrics (params and macs come from the static cost model and need not be repeated). */
  metrics: Metrics;
  /** The trained model as ONNX, kept when it is the best so far. */
  onnx?: Uint8Array;
  /** Seconds per stage, e.g. {train, export, profile}. */
  timings: Record<string, number>;
  /** Time per ONNX op type, when the profiler was asked for it (profiler.ops). */
  ops?: { opType: string; ms: number; share: number; nodes: number }[];
  /** Training stopped on a non-finite loss (1-based epoch and step): no model, journaled as diverged. */
  diverged?: { epoch: number; step: number; loss: string };
}

/**
 * Trains, exports and measures configurations. `evaluate` throws on failure: an error with
 * `userError: true` (dataset missing, profiler down) stops the search; any other error is
 * recorded as a failed evaluation and the search goes on. It must honour `signal`.
 */
export interface Evaluator {
  /** Readies the evaluator (dataset, backends) and says what it works on and produces; throws a userError on a bad config. */
  prepare(): Promise<DatasetInfo>;
  evaluate(job: EvalJob, signal: AbortSignal): Promise<EvalOutcome>;
  close(): Promise<void>;
}
