import { loadDataset, type Dataset, type DataOptions } from '@marl-hpo/data';
import { InvalidModelError, measure, profilerMetrics } from '@marl-hpo/profiler';
import { openTrainer, type TrainerSession } from '@marl-hpo/trainer';
import type { SearchConfig } from './config';
import type { DatasetInfo, EvalJob, EvalOutcome, Evaluator } from './evaluator';

/** Profiling defaults for a search: shorter than a one-off `marl-hpo profile`, still a tight median. */
const SEARCH_PROFILE_DEFAULTS = { warmup: 3, minRuns: 10, maxRuns: 300, maxSeconds: 3, targetRelCI: 0.03 };

/** What every evaluation adds to the trainer's metrics (the profiler backend may declare more). */
const PIPELINE_METRICS = ['latencyMs', 'latencyP90Ms', 'onnxBytes'];

const seconds = (since: number) => (performance.now() - since) / 1000;

/**
 * The real evaluation: the configured trainer backend (tfjs, a command, torch, a plug-in) trains
 * the IR and hands back ONNX with its validation metrics; the configured profiler measures its
 * latency. The dataset is loaded once (from its on-disk cache) and the trainer opened once.
 */
export class PipelineEvaluator implements Evaluator {
  private dataset?: Promise<Dataset>;
  private trainer?: Promise<TrainerSession>;

  constructor(private readonly config: SearchConfig) {}

  private datasetSpec(): { spec: string; options: Record<string, unknown> } {
    const { spec, ...options } = typeof this.config.dataset === 'string' ? { spec: this.config.dataset } : this.config.dataset;
    return { spec, options };
  }

  private load(): Promise<Dataset> {
    if (!this.dataset) {
      const { spec, options } = this.datasetSpec();
      this.dataset = loadDataset(spec, { seed: this.config.seed, ...(options as DataOptions) }, (key) => `dataset.${key}`);
    }
    return this.dataset;
  }

  private session(): Promise<TrainerSession> {
    this.trainer ??= this.load().then((dataset) => openTrainer(this.config.trainer, { dataset, datasetSpec: this.datasetSpec(), seed: this.config.seed }));
    return this.trainer;
  }

  /** Loads the dataset and the profiler backend and opens the trainer, so a bad config fails before any training. */
  async prepare(): Promise<DatasetInfo> {
    const profiler = await profilerMetrics({ ...SEARCH_PROFILE_DEFAULTS, ...this.config.profiler });
    const ds = await this.load();
    const trainer = await this.session();
    return { input: ds.shape, classes: ds.classes.length, task: ds.task, metrics: [...new Set([...trainer.metrics, ...PIPELINE_METRICS, ...profiler.metrics])] };
  }

  async evaluate(job: EvalJob, signal: AbortSignal): Promise<EvalOutcome> {
    const trainer = await this.session();
    const trained = await trainer.train({ proposal: job.proposal, ir: job.ir, values: job.values, fidelity: job.fidelity }, signal);
    // Nothing to measure: the search journals it as diverged.
    if (trained.diverged) return { metrics: trained.metrics, timings: trained.timings, diverged: trained.diverged };
    if (!trained.onnx) throw new Error(`trainer '${this.config.trainer.backend}' returned no model`);

    const start = performance.now();
    let latency;
    try {
      latency = await measure(trained.onnx, { ...SEARCH_PROFILE_DEFAULTS, ...this.config.profiler, source: 'the trained model' });
    } catch (e) {
      // A model the profiler cannot load fails this evaluation (a trainer's bug), not the search.
      if (e instanceof InvalidModelError) throw new Error(e.message);
      throw e;
    }
    const profileTime = seconds(start);

    return {
      metrics: { ...latency.metrics, ...trained.metrics, latencyMs: latency.p50Ms, latencyP90Ms: latency.p90Ms, onnxBytes: trained.onnx.length },
      onnx: trained.onnx,
      timings: { ...trained.timings, profile: profileTime },
      ...(latency.ops ? { ops: latency.ops } : {}),
    };
  }

  async close(): Promise<void> {
    const trainer = await this.trainer?.catch(() => undefined);
    await trainer?.close();
  }
}
