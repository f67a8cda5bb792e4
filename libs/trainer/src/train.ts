/**
 * The training loop: seeded initialisation and shuffling, Adam or SGD on softmax
 * cross-entropy (per pixel for segmentation), validation after every epoch, optional early
 * stopping (best weights restored), cancellation between steps, no tensor left behind.
 *
 * The default recipe (every part overridable): He initialisation, a linear learning-rate
 * warm-up over the first 5% of the steps then cosine decay, gradient clipping at global norm
 * 1, and a non-finite loss ends the run as diverged (instead of training on NaN weights).
 */
import * as tf from '@tensorflow/tfjs';
import type { ArchitectureIR, WeightMap } from '@marl-hpo/arch';
import type { Batch, Dataset, Split } from '@marl-hpo/data';
import { initBackend, type BackendInfo, type BackendOptions } from './backend';
import { TrainerError, TrainingAborted } from './errors';
import { MetricAccumulator, score, type Metrics } from './metrics';
import { buildModel, type InitScheme, type Model } from './model';
import { Optimizer, type StepInfo } from './optimizer';
import { learningRateAt, type Schedule, type ScheduleKind } from './schedule';
import { deriveSeed } from './rng';

/** What train() reads of a dataset (libs/data's Dataset satisfies it). */
export type TrainData = Pick<Dataset, 'task' | 'shape' | 'classes' | 'train' | 'val'> & { test?: Split };

export interface TrainOptions extends BackendOptions {
  /** Default 2. */
  epochs?: number;
  /** Default 64. */
  batchSize?: number;
  /** Default 'adam' (beta1 0.9, beta2 0.999). */
  optimizer?: 'adam' | 'sgd';
  /** Default 1e-3. */
  learningRate?: number;
  /** SGD momentum. Default 0. */
  momentum?: number;
  /** Learning rate after the warm-up: 'cosine' decays it to 0 over the remaining steps, 'constant' keeps it. Default 'cosine'. */
  schedule?: ScheduleKind;
  /** Fraction of the run's steps over which the learning rate ramps up linearly from lr / W. Default 0.05. */
  warmup?: number;
  /** Clip the global gradient L2 norm to this (0: no clipping). Default 1. */
  clipNorm?: number;
  /** Weight initialisation. Default 'he'. */
  init?: InitScheme;
  /** Early stopping: stop after this many epochs without a better validation score, keep the best weights. */
  patience?: number;
  /** Seeds initialisation, shuffling and dropout. Default 0. */
  seed?: number;
  /** At most this many training samples per epoch (a low-fidelity evaluation). */
  trainLimit?: number;
  /** Start from these weights instead of a seeded initialisation. */
  weights?: WeightMap;
  /** Called after every epoch. */
  onEpoch?: (record: EpochRecord) => void;
  /** Called after every optimisation step. */
  onStep?: (record: StepRecord) => void;
  /** Where to write one progress line per epoch (e.g. process.stderr when it is a TTY). */
  progress?: { write(text: string): unknown };
}

export interface EpochRecord {
  epoch: number;
  /** Mean training loss over the epoch's steps. */
  loss: number;
  samples: number;
  /** Seconds of optimisation in this epoch (validation excluded). */
  seconds: number;
  val: Metrics;
}

export interface StepRecord {
  epoch: number;
  /** 1-based step of the run. */
  step: number;
  /** The rate this step used (the schedule's). */
  learningRate: number;
  loss: number;
  /** Global gradient norm before clipping, and the clipping factor (absent when the loss was not finite). */
  gradNorm?: number;
  scale?: number;
}

export interface TrainResult {
  weights: WeightMap;
  /** Validation metrics of the returned weights. */
  metrics: Metrics;
  /** Seconds spent in optimisation steps (validation excluded). */
  trainSeconds: number;
  /** Epochs run (fewer than asked when early stopping fired). */
  epochs: number;
  history: EpochRecord[];
  backend: BackendInfo;
  /** Set when the loss became non-finite: training stopped there and `metrics` is empty. */
  diverged?: Divergence;
}

/** Where a run diverged (1-based epoch and step of the run). */
export interface Divergence {
  epoch: number;
  step: number;
  /** The loss as text ('NaN', 'Infinity'). */
  loss: string;
}

/** The recipe's defaults (what `train` uses for options not given). */
export const TRAIN_DEFAULTS = { epochs: 2, batchSize: 64, optimizer: 'adam', learningRate: 1e-3, momentum: 0, schedule: 'cosine', warmup: 0.05, clipNorm: 1, init: 'he' } as const;

interface Resolved {
  epochs: number;
  batchSize: number;
  optimizer: 'adam' | 'sgd';
  learningRate: number;
  momentum: number;
  schedule: ScheduleKind;
  warmup: number;
  clipNorm: number;
  init: InitScheme;
  patience?: number;
  seed: number;
  trainLimit: number;
}

function resolve(opts: TrainOptions): Resolved {
  const check = (name: keyof TrainOptions, v: unknown, min: number) => {
    if (!Number.isInteger(v) || (v as number) < min) throw new TrainerError(`${name}: expected an integer >= ${min}, got ${JSON.stringify(v)}`);
    return v as number;
  };
  const int = (name: keyof TrainOptions, fallback: number, min: number): number => check(name, opts[name] ?? fallback, min);
  const D = TRAIN_DEFAULTS;
  const optimizer = opts.optimizer ?? D.optimizer;
  if (optimizer !== 'adam' && optimizer !== 'sgd') throw new TrainerError(`optimizer: expected 'adam' or 'sgd', got ${JSON.stringify(optimizer)}`);
  const learningRate = opts.learningRate ?? D.learningRate;
  if (!(learningRate > 0) || !Number.isFinite(learningRate)) throw new TrainerError(`learningRate: expected a positive number, got ${JSON.stringify(learningRate)}`);
  const momentum = opts.momentum ?? D.momentum;
  if (!(momentum >= 0 && momentum < 1)) throw new TrainerError(`momentum: expected a number in [0, 1), got ${JSON.stringify(momentum)}`);
  const schedule = opts.schedule ?? D.schedule;
  if (schedule !== 'cosine' && schedule !== 'constant') throw new TrainerError(`schedule: expected 'cosine' or 'constant', got ${JSON.stringify(schedule)}`);
  const warmup = opts.warmup ?? D.warmup;
  if (!(warmup >= 0 && warmup < 1)) throw new TrainerError(`warmup: expected a fraction in [0, 1), got ${JSON.stringify(warmup)}`);
  const clipNorm = opts.clipNorm ?? D.clipNorm;
  if (!(clipNorm >= 0) || !Number.isFinite(clipNorm)) throw new TrainerError(`clipNorm: expected a number >= 0 (0: no clipping), got ${JSON.stringify(clipNorm)}`);
  const init = opts.init ?? D.init;
  if (init !== 'he' && init !== 'glorot') throw new TrainerError(`init: expected 'he' or 'glorot', got ${JSON.stringify(init)}`);
  return {
    epochs: int('epochs', D.epochs, 1),
    batchSize: int('batchSize', D.batchSize, 1),
    optimizer,
    learningRate,
    momentum,
    schedule,
    warmup,
    clipNorm,
    init,
    patience: opts.patience === undefined ? undefined : check('patience', opts.patience, 1),
    seed: int('seed', 0, 0),
    trainLimit: int('trainLimit', Number.MAX_SAFE_INTEGER, 1),
  };
}

/** Checks that the dataset fits the model: input shape, classes, task. */
export function checkData(ir: ArchitectureIR, data: Pick<TrainData, 'task' | 'shape' | 'classes'>): void {
  if (data.task !== ir.task) throw new TrainerError(`dataset: a ${data.task} dataset cannot train a ${ir.task} model`);
  if (data.shape.join() !== ir.input.join()) throw new TrainerError(`dataset: images are [${data.shape}], the model's input is [${ir.input}]`);
  if (data.classes.length !== ir.classes) throw new TrainerError(`dataset: ${data.classes.length} classes, the model has ${ir.classes}`);
}

/** Checks one batch against the dataset's shape: n images, n labels (n*H*W for segmentation). */
function checkBatch(batch: Batch, shape: number[], task: string): void {
  const pixels = shape[0] * shape[1];
  const labels = task === 'segmentation' ? batch.n * pixels : batch.n;
  if (batch.x.length !== batch.n * pixels * shape[2] || batch.y.length !== labels) {
    throw new TrainerError(`dataset: a batch of ${batch.n} has ${batch.x.length} pixel values and ${batch.y.length} labels, expected ${batch.n * pixels * shape[2]} and ${labels}`);
  }
}

/** Gives timers and abort signals a chance to run between synchronous wasm steps. */
const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

function checkAbort(signal?: AbortSignal): void {
  if (signal?.aborted) throw new TrainingAborted();
}

function batchTensors(batch: Batch, shape: number[], classes: number, limit: number): { x: tf.Tensor4D; y: tf.Tensor2D; n: number } {
  const n = Math.min(batch.n, limit);
  const per = shape[0] * shape[1] * shape[2];
  const labelsPer = batch.y.length / batch.n;
  return tf.tidy(() => ({
    x: tf.tensor4d(batch.x.subarray(0, n * per), [n, shape[0], shape[1], shape[2]]),
    y: oneHot(batch.y.subarray(0, n * labelsPer), classes),
    n,
  }));
}

/**
 * One-hot float rows for class ids, built on the CPU (the wasm OneHot kernel writes int32 bits
 * into float32 outputs).
 */
export function oneHot(labels: Int32Array, classes: number): tf.Tensor2D {
  const data = new Float32Array(labels.length * classes);
  for (let i = 0; i < labels.length; i++) {
    const y = labels[i];
    if (!(y >= 0 && y < classes)) throw new TrainerError(`dataset: label ${y} outside [0, ${classes})`);
    data[i * classes + y] = 1;
  }
  return tf.tensor2d(data, [labels.length, classes]);
}

export function lossOf(logits: tf.Tensor, onehot: tf.Tensor2D): tf.Scalar {
  const c = logits.shape[logits.shape.length - 1];
  return tf.losses.softmaxCrossEntropy(onehot, tf.reshape(logits, [-1, c])) as tf.Scalar;
}

export function makeOptimizer(kind: 'adam' | 'sgd', learningRate: number, momentum = 0, clipNorm = 0): Optimizer {
  return new Optimizer({ kind, learningRate, momentum, clipNorm: clipNorm > 0 ? clipNorm : undefined });
}

/**
 * One optimisation step on a batch (x NHWC, y one-hot rows) at `learningRate` (default: the
 * optimizer's); returns the batch's mean loss. A non-finite loss leaves the weights as they were.
 */
export function trainStep(model: Model, optimizer: Optimizer, x: tf.Tensor4D, y: tf.Tensor2D, seed = 0, learningRate?: number): { loss: number } & Partial<StepInfo> {
  const { value, grads } = tf.variableGrads(() => lossOf(model.apply(x, { training: true, seed }), y), model.trainable);
  try {
    const loss = value.dataSync()[0];
    if (!Number.isFinite(loss)) return { loss };
    const info = optimizer.apply(
      model.trainable,
      model.trainable.map((v) => grads[v.name]),
      learningRate,
    );
    return { loss, ...info };
  } finally {
    tf.dispose([value, grads]);
  }
}

/** Metrics of the model on a split (inference mode). */
export async function evaluateModel(model: Model, split: Split, batchSize = 64, signal?: AbortSignal): Promise<Metrics> {
  const { task, classes, input } = model.ir;
  const acc = new MetricAccumulator(task, classes);
  for await (const batch of split.batches(batchSize)) {
    checkAbort(signal);
    checkBatch(batch, input, task);
    const logits = tf.tidy(() => {
      const x = tf.tensor4d(batch.x, [batch.n, input[0], input[1], input[2]]);
      return model.apply(x, { training: false });
    });
    acc.add(logits.dataSync() as Float32Array, batch.y);
    logits.dispose();
    await yieldToEventLoop();
  }
  return acc.result();
}

function format(r: EpochRecord, epochs: number): string {
  const m = Object.entries(r.val)
    .map(([k, v]) => `${k} ${(v as number).toFixed(4)}`)
    .join(', ');
  return `epoch ${r.epoch}/${epochs}: loss ${r.loss.toFixed(4)}, ${Math.round(r.samples / r.seconds)} samples/s; val ${m}\n`;
}

/** Trains the IR on the dataset and returns the weights with their validation metrics. */
export async function train(ir: ArchitectureIR, data: TrainData, options: TrainOptions = {}, signal?: AbortSignal): Promise<TrainResult> {
  const o = resolve(options);
  checkData(ir, data);
  if (data.train.size === 0) throw new TrainerError('dataset: the training split is empty');
  if (data.val.size === 0) throw new TrainerError('dataset: the validation split is empty (metrics and early stopping are computed on it)');
  checkAbort(signal);
  const backend = await initBackend(options);

  const model = buildModel(ir, options.weights, { seed: deriveSeed(o.seed, 'init'), init: o.init });
  const optimizer = makeOptimizer(o.optimizer, o.learningRate, o.momentum, o.clipNorm);
  const schedule: Schedule = { learningRate: o.learningRate, total: o.epochs * Math.ceil(Math.min(data.train.size, o.trainLimit) / o.batchSize), warmup: o.warmup, kind: o.schedule };
  let best: { score: number; epoch: number; weights: tf.Tensor[]; metrics: Metrics } | undefined;
  const history: EpochRecord[] = [];
  let trainSeconds = 0;
  let step = 0;
  let diverged: Divergence | undefined;
  try {
    for (let epoch = 1; epoch <= o.epochs && !diverged; epoch++) {
      let lossSum = 0;
      let steps = 0;
      let samples = 0;
      let seconds = 0;
      let start = performance.now();
      for await (const batch of data.train.batches(o.batchSize, { shuffleSeed: deriveSeed(o.seed, `shuffle/${epoch}`) })) {
        checkAbort(signal);
        checkBatch(batch, data.shape, ir.task);
        const stepSeed = deriveSeed(o.seed, `step/${step++}`);
        const { x, y, n } = batchTensors(batch, data.shape, ir.classes, o.trainLimit - samples);
        const learningRate = learningRateAt(step, schedule);
        const { loss, gradNorm, scale } = trainStep(model, optimizer, x, y, stepSeed, learningRate);
        tf.dispose([x, y]);
        options.onStep?.({ epoch, step, learningRate, loss, gradNorm, scale });
        if (!Number.isFinite(loss)) {
          diverged = { epoch, step, loss: String(loss) };
          break;
        }
        lossSum += loss;
        steps++;
        samples += n;
        seconds += (performance.now() - start) / 1000;
        await yieldToEventLoop();
        start = performance.now();
        if (samples >= o.trainLimit) break;
      }
      trainSeconds += seconds;
      if (diverged) break;
      const val = await evaluateModel(model, data.val, o.batchSize, signal);
      const record: EpochRecord = { epoch, loss: lossSum / Math.max(steps, 1), samples, seconds, val };
      history.push(record);
      options.onEpoch?.(record);
      options.progress?.write(format(record, o.epochs));
      if (o.patience !== undefined) {
        if (!best || score(val) > best.score) {
          tf.dispose(best?.weights ?? []);
          best = { score: score(val), epoch, weights: [...model.variables.values()].map((v) => tf.clone(v)), metrics: val };
        } else if (epoch - best.epoch >= o.patience) {
          break;
        }
      }
    }
    if (diverged) {
      options.progress?.write(`diverged: loss ${diverged.loss} at step ${diverged.step} (epoch ${diverged.epoch})\n`);
      return { weights: model.getWeights(), metrics: {} as Metrics, trainSeconds, epochs: diverged.epoch, history, backend, diverged };
    }
    let metrics = history[history.length - 1].val;
    if (best) {
      // Early stopping keeps the best epoch's weights.
      const vars = [...model.variables.values()];
      best.weights.forEach((w, i) => vars[i].assign(w));
      metrics = best.metrics;
    }
    return { weights: model.getWeights(), metrics, trainSeconds, epochs: history.length, history, backend };
  } finally {
    tf.dispose(best?.weights ?? []);
    optimizer.dispose();
    model.dispose();
  }
}

/** Metrics of given weights on a split. */
export async function evaluate(ir: ArchitectureIR, weights: WeightMap, split: Split, opts: BackendOptions & { batchSize?: number } = {}, signal?: AbortSignal): Promise<Metrics> {
  await initBackend(opts);
  const model = buildModel(ir, weights);
  try {
    return await evaluateModel(model, split, opts.batchSize ?? 64, signal);
  } finally {
    model.dispose();
  }
}

/** Logits of the IR with the given weights for an NHWC batch x: [N, classes] or [N, H, W, classes]. */
export async function predict(ir: ArchitectureIR, weights: WeightMap, x: { shape: number[]; data: Float32Array }, opts: BackendOptions = {}): Promise<{ shape: number[]; data: Float32Array }> {
  if (x.shape.length !== 4 || x.shape.slice(1).join() !== ir.input.join()) throw new TrainerError(`predict: x must be [N, ${ir.input}], got [${x.shape}]`);
  await initBackend(opts);
  const model = buildModel(ir, weights);
  try {
    const out = tf.tidy(() => model.apply(tf.tensor4d(x.data, x.shape as [number, number, number, number]), { training: false }));
    const result = { shape: out.shape.slice(), data: out.dataSync() as Float32Array };
    out.dispose();
    return result;
  } finally {
    model.dispose();
  }
}
