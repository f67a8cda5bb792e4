import { loadDataset, type Dataset, type DataOptions } from '@marl-hpo/data';
import { exportOnnx } from '@marl-hpo/onnx';
import { measure, profilerMetrics } from '@marl-hpo/profiler';
import { TASK_METRICS, train } from '@marl-hpo/trainer';
import type { SearchConfig } from './config';
import type { DatasetInfo, EvalJob, EvalOutcome, Evaluator } from './evaluator';
import type { Metrics } from './reward';

/** Profiling defaults for a search: shorter than a one-off `marl-hpo profile`, still a tight median. */
const SEARCH_PROFILE_DEFAULTS = { warmup: 3, minRuns: 10, maxRuns: 300, maxSeconds: 3, targetRelCI: 0.03 };

/** What every evaluation adds to the trainer's task metrics (the profiler backend may declare more). */
const PIPELINE_METRICS = ['trainSeconds', 'latencyMs', 'latencyP90Ms', 'onnxBytes'];

const seconds = (since: number) => (performance.now() - since) / 1000;

/**
 * The real evaluation: train the IR on the dataset (validation metrics), export ONNX, measure
 * its latency on the configured backend. The dataset is loaded once (from its on-disk cache).
 */
export class PipelineEvaluator implements Evaluator {
  private dataset?: Promise<Dataset>;

  constructor(private readonly config: SearchConfig) {}

  private load(): Promise<Dataset> {
    if (!this.dataset) {
      const { spec, ...options } = typeof this.config.dataset === 'string' ? { spec: this.config.dataset } : this.config.dataset;
      this.dataset = loadDataset(spec, { seed: this.config.seed, ...(options as DataOptions) }, (key) => `dataset.${key}`);
    }
    return this.dataset;
  }

  /** Loads the dataset and the profiler backend, so a bad config fails before any training. */
  async prepare(): Promise<DatasetInfo> {
    const profiler = await profilerMetrics({ ...SEARCH_PROFILE_DEFAULTS, ...this.config.profiler });
    const ds = await this.load();
    return { input: ds.shape, classes: ds.classes.length, task: ds.task, metrics: [...TASK_METRICS[ds.task], ...PIPELINE_METRICS, ...profiler.metrics] };
  }

  async evaluate(job: EvalJob, signal: AbortSignal): Promise<EvalOutcome> {
    const ds = await this.load();
    const t = this.config.trainer;
    let start = performance.now();
    const trainLimit = job.fidelity.trainFraction === undefined ? undefined : Math.max(1, Math.ceil(ds.train.size * job.fidelity.trainFraction));
    const trained = await train(
      job.ir,
      ds,
      {
        epochs: job.fidelity.epochs,
        batchSize: t.batchSize,
        optimizer: t.optimizer,
        learningRate: t.learningRate,
        momentum: t.momentum,
        schedule: t.schedule,
        warmup: t.warmup,
        clipNorm: t.clipNorm,
        init: t.init,
        patience: t.patience,
        threads: t.threads,
        seed: this.config.seed,
        trainLimit,
      },
      signal,
    );
    const trainTime = seconds(start);
    // Nothing to export or measure: the search journals it as diverged.
    if (trained.diverged) return { metrics: { trainSeconds: trained.trainSeconds }, diverged: trained.diverged, timings: { train: trainTime } };

    start = performance.now();
    const quality: Metrics = { ...trained.metrics };
    const onnx = exportOnnx(job.ir, trained.weights, {
      configuration: job.values,
      metrics: { ...trained.metrics, trainSeconds: trained.trainSeconds },
      // How to feed the model: NCHW pixels scaled to [0, 1], then (x - mean) / std per channel.
      metadata: { preprocessing: JSON.stringify({ scale: 1 / 255, mean: ds.normalize.mean, std: ds.normalize.std }), dataset: ds.name },
    });
    const exportTime = seconds(start);

    start = performance.now();
    const latency = await measure(onnx, { ...SEARCH_PROFILE_DEFAULTS, ...this.config.profiler });
    const profileTime = seconds(start);

    return {
      metrics: { ...latency.metrics, ...quality, trainSeconds: trained.trainSeconds, latencyMs: latency.p50Ms, latencyP90Ms: latency.p90Ms, onnxBytes: onnx.length },
      onnx,
      timings: { train: trainTime, export: exportTime, profile: profileTime },
      ...(latency.ops ? { ops: latency.ops } : {}),
    };
  }

  async close(): Promise<void> {}
}
