/** The embedded trainer: tfjs with our WebAssembly kernels (libs/trainer), exported by libs/onnx. */
import { exportOnnx } from '@marl-hpo/onnx';
import { runMetadata } from '../check-model';
import { TASK_METRICS } from '../metrics';
import { recipeFor } from '../recipe';
import { train } from '../train';
import type { TrainedModel, Trainer, TrainerSession } from '../types';

const seconds = (since: number) => (performance.now() - since) / 1000;

export const tfjsTrainer: Trainer = {
  async open(config, ctx): Promise<TrainerSession> {
    const ds = ctx.dataset;
    return {
      metrics: [...TASK_METRICS[ds.task], 'trainSeconds'],
      async train(job, signal): Promise<TrainedModel> {
        const { patience, trainLimit, ...r } = recipeFor(config, job.fidelity, ds.train.size);
        let start = performance.now();
        const trained = await train(job.ir, ds, { ...r, patience: patience ?? undefined, trainLimit: trainLimit ?? undefined, seed: ctx.seed }, signal);
        const trainTime = seconds(start);
        if (trained.diverged) return { metrics: { trainSeconds: trained.trainSeconds }, diverged: trained.diverged, timings: { train: trainTime } };
        start = performance.now();
        const metrics: Record<string, number> = { ...trained.metrics, trainSeconds: trained.trainSeconds };
        const onnx = exportOnnx(job.ir, trained.weights, { configuration: job.values, metrics, metadata: runMetadata(ctx) });
        return { onnx, metrics, timings: { train: trainTime, export: seconds(start) } };
      },
      async close() {},
    };
  },
};
