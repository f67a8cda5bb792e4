/**
 * The training loop: seeded initialisation and shuffling, Adam or SGD on softmax
 * cross-entropy (per pixel for segmentation), validation after every epoch, optional early
 * stopping (best weights restored), cancellation between steps, no tensor left behind.
 */
import * as tf from '@tensorflow/tfjs';
import type { ArchitectureIR, WeightMap } from '@marl-hpo/arch';
import type { Batch, Dataset, Split } from '@marl-hpo/data';
import { initBackend, type BackendInfo, type BackendOptions } from './backend';
import { TrainerError, TrainingAborted } from './errors';
import { MetricAccumulator, score, type Metrics } from './metrics';
import { buildModel, type Model } from './model';
import { Optimizer } from './optimizer';
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
}

interface Resolved {
  epochs: number;
  batchSize: number;
  optimizer: 'adam' | 'sgd';
  learningRate: number;
  momentum: number;
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
  const optimizer = opts.optimizer ?? 'adam';
  if (optimizer !== 'adam' && optimizer !== 'sgd') throw new TrainerError(`optimizer: expected 'adam' or 'sgd', got ${JSON.stringify(optimizer)}`);
  const learningRate = opts.learningRate ?? 1e-3;
  if (!(learningRate > 0) || !Number.isFinite(learningRate)) throw new TrainerError(`learningRate: expected a positive number, got ${JSON.stringify(learningRate)}`);
  const momentum = opts.momentum ?? 0;
  if (!(momentum >= 0 && momentum < 1)) throw new TrainerError(`momentum: expected a number in [0, 1), got ${JSON.stringify(momentum)}`);
  return {
    epochs: int('epochs', 2, 1),
    batchSize: int('batchSize', 64, 1),
    optimizer,
    learningRate,
    momentum,
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

export function makeOptimizer(kind: 'adam' | 'sgd', learningRate: number, momentum = 0): Optimizer {
  return new Optimizer({ kind, learningRate, momentum });
}

/** One optimisation step on a batch (x NHWC, y one-hot rows); returns the batch's mean loss. */
export function trainStep(model: Model, optimizer: Optimizer, x: tf.Tensor4D, y: tf.Tensor2D, seed = 0): number {
  const { value, grads } = tf.variableGrads(() => lossOf(model.apply(x, { training: true, seed }), y), model.trainable);
  optimizer.apply(
    model.trainable,
    model.trainable.map((v) => grads[v.name]),
  );
  const loss = value.dataSync()[0];
  tf.dispose([value, grads]);
  return loss;
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

  const model = buildModel(ir, options.weights, { seed: deriveSeed(o.seed, 'init') });
  const optimizer = makeOptimizer(o.optimizer, o.learningRate, o.momentum);
  let best: { score: number; epoch: number; weights: tf.Tensor[]; metrics: Metrics } | undefined;
  const history: EpochRecord[] = [];
  let trainSeconds = 0;
  let step = 0;
  try {
    for (let epoch = 1; epoch <= o.epochs; epoch++) {
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
        lossSum += trainStep(model, optimizer, x, y, stepSeed);
        tf.dispose([x, y]);
        steps++;
        samples += n;
        seconds += (performance.now() - start) / 1000;
        await yieldToEventLoop();
        start = performance.now();
        if (samples >= o.trainLimit) break;
      }
      trainSeconds += seconds;
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
