import { createHash } from 'node:crypto';
import { canonicalJson, type ConfigValues } from '@marl-hpo/arch';
import type { DatasetInfo, EvalJob, Fidelity, Metrics, SearchConfig } from '@marl-hpo/search';
import type { QueueLocation } from './connection';

// What the coordinator and the workers exchange through BullMQ. A job carries everything a
// worker on another machine needs (the search config: dataset, trainer, profiler, synthetic;
// and the EvalJob: configuration, IR, fidelity); the result carries the metrics, and the ONNX
// bytes go to a separate key so the queue's event stream stays small.

export type QueueJobData =
  | { kind: 'prepare'; run: string; config: SearchConfig }
  | { kind: 'evaluate'; run: string; config: SearchConfig; job: EvalJob };

export type PrepareResult = { info: DatasetInfo };
export type EvaluateResult = { metrics: Metrics; timings: Record<string, number>; onnxBytes?: number };

/** Marks a failure the user must fix (dataset missing on a worker...): the search stops instead of recording it. */
export const USER_ERROR_MARK = '[user error] ';

/** Jobs and their ONNX are kept this long for a coordinator to come back (then Redis drops them). */
export const KEEP_SECONDS = 7 * 24 * 3600;

const hash = (value: unknown) => createHash('sha256').update(canonicalJson(value)).digest('hex').slice(0, 16);

/** Everything of the config an evaluation can depend on (the budget and name may change on --resume). */
export function configKey(config: SearchConfig): string {
  return hash({ ...config, budget: undefined, name: undefined });
}

/**
 * Deterministic job ids: run, global proposal number, and what is evaluated. A resumed
 * coordinator that makes the same proposal again gets the same id, and BullMQ does not add a
 * job whose id exists: it re-attaches to the job queued, running or finished.
 */
export function evaluateJobId(run: string, proposal: number, config: SearchConfig, values: ConfigValues, fidelity: Fidelity): string {
  return `${run}-${proposal}-${hash({ config: configKey(config), values, fidelity })}`;
}

export function prepareJobId(run: string, config: SearchConfig): string {
  return `${run}-prepare-${configKey(config)}`;
}

/** The global proposal number of an evaluate job id (undefined for other ids). */
export function proposalOf(jobId: string): number | undefined {
  const m = /^[0-9a-f]+-(\d+)-[0-9a-f]+$/.exec(jobId);
  return m ? Number(m[1]) : undefined;
}

export const onnxKey = (loc: QueueLocation, jobId: string) => `${loc.prefix}:${loc.queue}:onnx:${jobId}`;
/** The run's jobs not yet collected by its coordinator (to re-attach or clean up on --resume). */
export const outstandingKey = (loc: QueueLocation, run: string) => `${loc.prefix}:${loc.queue}:run:${run}:jobs`;
