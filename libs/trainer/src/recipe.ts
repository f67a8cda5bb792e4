import type { TrainerConfig, TrainFidelity } from './types';

/** The training recipe of one evaluation, the same for every backend (job.json's `recipe`). */
export type Recipe = Pick<TrainerConfig, 'epochs' | 'batchSize' | 'optimizer' | 'learningRate' | 'momentum' | 'schedule' | 'warmup' | 'clipNorm' | 'init' | 'threads'> & {
  /** Early stopping: epochs without a better validation score (null: none). */
  patience: number | null;
  /** At most this many training samples per epoch (null: the whole split). */
  trainLimit: number | null;
};

/** The recipe for a fidelity: its epochs, and `trainFraction` of the training split (at least one sample). */
export function recipeFor(config: TrainerConfig, fidelity: TrainFidelity, trainSize: number): Recipe {
  return {
    epochs: fidelity.epochs,
    batchSize: config.batchSize,
    optimizer: config.optimizer,
    learningRate: config.learningRate,
    momentum: config.momentum,
    schedule: config.schedule,
    warmup: config.warmup,
    clipNorm: config.clipNorm,
    init: config.init,
    patience: config.patience ?? null,
    trainLimit: fidelity.trainFraction === undefined ? null : Math.max(1, Math.ceil(trainSize * fidelity.trainFraction)),
    threads: config.threads,
  };
}
