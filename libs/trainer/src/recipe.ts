import type { TrainerConfig, TrainFidelity } from './types';

/** The training recipe of one evaluation, the same for every backend (job.json's `recipe`). */
export interface Recipe {
  epochs: number;
  batchSize: number;
  optimizer: 'adam' | 'sgd';
  /** Peak learning rate (after the warm-up). */
  learningRate: number;
  /** SGD momentum. */
  momentum: number;
  /** After the warm-up: 'cosine' decays the rate to 0 by the last step, 'constant' keeps it. */
  schedule: 'cosine' | 'constant';
  /** Fraction of the run's steps over which the rate ramps up linearly (lr * t / W). */
  warmup: number;
  /** Clip the global gradient L2 norm to this (0: no clipping). */
  clipNorm: number;
  /** 'he': He-uniform before ReLUs, Glorot-uniform elsewhere; 'glorot': Glorot-uniform everywhere. */
  init: 'he' | 'glorot';
  /** Early stopping: epochs without a better validation score (null: none). */
  patience: number | null;
  /** At most this many training samples per epoch (null: the whole split). */
  trainLimit: number | null;
  /** CPU threads for the trainer's compute. */
  threads: number;
}

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
