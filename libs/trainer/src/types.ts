/** Public types of trainer backends: what the search gives a backend and gets back. */
import type { ArchitectureIR, ConfigValues } from '@marl-hpo/arch';
import type { Dataset } from '@marl-hpo/data';

/** The config's `trainer` section, with defaults filled in (libs/search's schema documents each field). */
export interface TrainerConfig {
  /** 'tfjs' (embedded), 'command', 'torch', or an npm package that registers a trainer. */
  backend: string;
  /** Epochs of a full-fidelity evaluation (a screening fidelity asks for its own). */
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
  /** Early stopping: epochs without a better validation score. */
  patience?: number;
  /** CPU threads of the trainer's compute. */
  threads: number;
  /** command: the program and its arguments; the job folder is appended. */
  command?: string[];
  /** command: its working directory (default: the current one). */
  cwd?: string;
  /** command, torch: an evaluation running longer fails (the process group is ended). */
  timeoutSeconds?: number;
  /** command: metric names metrics.json promises besides the task's quality metric. */
  metrics?: string[];
  /** command, torch: write the dataset as .npy files (default: up to 8 GiB; true: any size; false: not, command only). */
  arrays?: boolean;
  /** command, torch: keep every job folder (default: removed after the evaluation). */
  keepJobs?: boolean;
  /** command, torch: where job folders are made (default: the OS temp folder). */
  workDir?: string;
  /** torch: the Python interpreter (default: $MARL_HPO_PYTHON, else the first of python3, /usr/bin/python3 that imports torch). */
  python?: string;
  /** torch: 'auto' (CUDA when available), 'cpu' or 'cuda'. */
  device?: 'auto' | 'cpu' | 'cuda';
  /** Options of a plug-in trainer, passed through unchanged. */
  options?: Record<string, unknown>;
}

/** What a trainer gets once per search (per worker process). */
export interface TrainerContext {
  dataset: Dataset;
  /** How the config names the dataset (job.json carries it for programs that load data themselves). */
  datasetSpec: { spec: string; options: Record<string, unknown> };
  seed: number;
}

/** How much training an evaluation gets (the search's Fidelity). */
export interface TrainFidelity {
  epochs: number;
  /** Fraction of the training split used per epoch (undefined: all of it). */
  trainFraction?: number;
}

export interface TrainJob {
  /** The search's dispatch number (names the job folder). */
  proposal: number;
  ir: ArchitectureIR;
  values: ConfigValues;
  fidelity: TrainFidelity;
}

/** A trained model with the metrics of its training; the search profiles `onnx` and computes the reward. */
export interface TrainedModel {
  /** ONNX with the contract of best.onnx (input 'input' float32 NCHW, output 'probabilities'); absent when training diverged. */
  onnx?: Uint8Array;
  /** Training stopped on a non-finite loss (1-based epoch and step of the run): journaled as diverged. */
  diverged?: { epoch: number; step: number; loss: string };
  /** Validation quality (accuracy or mIoU, ...), trainSeconds, and whatever else the trainer reports. */
  metrics: Record<string, number>;
  /** Seconds per stage, e.g. {train, export} or {train, check}. */
  timings: Record<string, number>;
}

/** An open trainer: one per evaluator (per search worker process); `train` may be called many times. */
export interface TrainerSession {
  /** Metric names every successful `train` reports. */
  readonly metrics: readonly string[];
  /** Throws TrainingAborted when `signal` fires, TrainerFailure for a failed evaluation, a user error (userError) to stop the search. */
  train(job: TrainJob, signal: AbortSignal): Promise<TrainedModel>;
  /** Ends every process the session started. */
  close(): Promise<void>;
}

/** A trainer backend, registered by name. `open` checks the config and starts what the session needs. */
export interface Trainer {
  open(config: TrainerConfig, ctx: TrainerContext): Promise<TrainerSession>;
}

/** What a plug-in package's `register(api)` receives. */
export interface TrainerPluginApi {
  registerTrainer(name: string, trainer: Trainer): void;
  /** Checks ONNX bytes against the contract of best.onnx for the context's dataset, and adds the run's metadata. */
  checkModel(bytes: Uint8Array, job: TrainJob, ctx: TrainerContext, metrics: Record<string, number>, source: string): Uint8Array;
  /** Version of the trainer plug-in API. */
  apiVersion: 1;
}
