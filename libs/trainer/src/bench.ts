/**
 * Training throughput benchmark: the architectures, data and optimizer of
 * ../shared/bench/torch_reference.py (input 28x28x1, 10 classes, random normal data, Adam 1e-3,
 * softmax cross-entropy, one untimed warm-up epoch), so the two figures compare as a ratio.
 */
import * as tf from '@tensorflow/tfjs';
import type { ArchitectureIR } from '@marl-hpo/arch';
import { initBackend, type BackendOptions } from './backend';
import { TrainerError } from './errors';
import { buildModel } from './model';
import { rng } from './rng';
import type { Metrics } from './metrics';
import { evaluate, makeOptimizer, oneHot, train, trainStep, type TrainData } from './train';

const conv = (name: string, filters: number, batchNorm = false) => ({ kind: 'conv2d' as const, name, filters, kernel: 3, stride: 1, padding: 'same' as const, activation: 'relu' as const, batchNorm });
const pool = (name: string) => ({ kind: 'maxPool' as const, name, size: 2, stride: 2, padding: 'valid' as const });

/** The reference's archs (small, vgg), and vgg with batch norm after every conv (ours only: what searches train by default). */
export const benchArchs: Record<'small' | 'vgg' | 'vgg-bn', ArchitectureIR> = {
  small: {
    template: 'bench-small',
    task: 'classification',
    input: [28, 28, 1],
    classes: 10,
    layers: [conv('conv1', 16), pool('pool1'), conv('conv2', 32), pool('pool2'), { kind: 'flatten', name: 'flatten' }, { kind: 'dense', name: 'logits', units: 10, activation: 'linear' }],
  },
  vgg: {
    template: 'bench-vgg',
    task: 'classification',
    input: [28, 28, 1],
    classes: 10,
    layers: [
      conv('conv1', 32),
      conv('conv2', 32),
      pool('pool1'),
      conv('conv3', 64),
      conv('conv4', 64),
      pool('pool2'),
      { kind: 'flatten', name: 'flatten' },
      { kind: 'dense', name: 'fc', units: 128, activation: 'relu' },
      { kind: 'dense', name: 'logits', units: 10, activation: 'linear' },
    ],
  },
  'vgg-bn': {
    template: 'bench-vgg-bn',
    task: 'classification',
    input: [28, 28, 1],
    classes: 10,
    layers: [
      conv('conv1', 32, true),
      conv('conv2', 32, true),
      pool('pool1'),
      conv('conv3', 64, true),
      conv('conv4', 64, true),
      pool('pool2'),
      { kind: 'flatten', name: 'flatten' },
      { kind: 'dense', name: 'fc', units: 128, activation: 'relu' },
      { kind: 'dense', name: 'logits', units: 10, activation: 'linear' },
    ],
  },
};

export interface BenchTrainOptions extends BackendOptions {
  arch: string;
  samples?: number;
  batch?: number;
  epochs?: number;
}

export interface BenchTrainResult {
  framework: string;
  arch: string;
  batch: number;
  samples: number;
  epochs: number;
  threads: number;
  trainSamplesPerSec: number;
}

export async function benchTrain(opts: BenchTrainOptions): Promise<BenchTrainResult> {
  const ir = benchArchs[opts.arch as keyof typeof benchArchs];
  if (!ir) throw new TrainerError(`arch: expected ${Object.keys(benchArchs).join(', ')}, got '${opts.arch}'`);
  const samples = opts.samples ?? 2048;
  const batch = opts.batch ?? 64;
  const epochs = opts.epochs ?? 2;
  const backend = await initBackend(opts);
  const r = rng(0);
  const gauss = () => Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());
  const xs = Float32Array.from({ length: samples * 28 * 28 }, gauss);
  const ys = Int32Array.from({ length: samples }, () => Math.floor(r() * 10));

  const model = buildModel(ir);
  const optimizer = makeOptimizer('adam', 1e-3);
  const x = tf.tensor4d(xs, [samples, 28, 28, 1]);
  const y = oneHot(ys, 10);
  const epoch = () => {
    for (let i = 0; i < samples; i += batch) {
      const n = Math.min(batch, samples - i);
      const [xb, yb] = tf.tidy(() => [x.slice([i, 0, 0, 0], [n, 28, 28, 1]), y.slice([i, 0], [n, 10])]);
      trainStep(model, optimizer, xb as tf.Tensor4D, yb as tf.Tensor2D);
      tf.dispose([xb, yb]);
    }
  };
  try {
    epoch(); // warm-up, as the reference does
    const start = performance.now();
    for (let e = 0; e < epochs; e++) epoch();
    const seconds = (performance.now() - start) / 1000;
    return { framework: `tfjs-${backend.name}`, arch: opts.arch, batch, samples, epochs, threads: backend.threads, trainSamplesPerSec: (samples * epochs) / seconds };
  } finally {
    tf.dispose([x, y]);
    optimizer.dispose();
    model.dispose();
  }
}

export interface BenchAccuracyOptions extends BackendOptions {
  arch: string;
  /** A 28x28x1, 10-class dataset with a test split (e.g. Fashion-MNIST via libs/data's idx: source). */
  data: TrainData;
  batch?: number;
  epochs?: number;
  seed?: number;
  /** Adam's learning rate. Default 1e-3 (the reference's). */
  learningRate?: number;
  progress?: { write(text: string): unknown };
}

export interface BenchAccuracyResult extends BenchTrainResult {
  val: Metrics;
  test?: Metrics;
  trainSeconds: number;
}

/**
 * Quality of the benchmark setup on real data: the arch trained with train()'s default recipe (Adam,
 * lr 1e-3 unless given, batch 64, He init, warm-up and cosine decay, gradient clipping; the
 * reference: tools/bench/train_fashion_torch.py --recipe), then its test-split metrics. Throughput
 * here includes data streaming.
 */
export async function benchAccuracy(opts: BenchAccuracyOptions): Promise<BenchAccuracyResult> {
  const ir = benchArchs[opts.arch as keyof typeof benchArchs];
  if (!ir) throw new TrainerError(`arch: expected ${Object.keys(benchArchs).join(', ')}, got '${opts.arch}'`);
  const batch = opts.batch ?? 64;
  const epochs = opts.epochs ?? 2;
  // Without a validation split (all training images used), the per-epoch metrics are the test split's (nothing depends on them).
  const data = opts.data.val.size === 0 && opts.data.test ? { ...opts.data, val: opts.data.test } : opts.data;
  const result = await train(ir, data, { epochs, batchSize: batch, optimizer: 'adam', learningRate: opts.learningRate ?? 1e-3, seed: opts.seed ?? 0, backend: opts.backend, threads: opts.threads, progress: opts.progress });
  const test = opts.data.test ? await evaluate(ir, result.weights, opts.data.test, { batchSize: 256 }) : undefined;
  const samples = result.history[0].samples;
  return {
    framework: `tfjs-${result.backend.name}`,
    arch: opts.arch,
    batch,
    samples,
    epochs: result.epochs,
    threads: result.backend.threads,
    trainSamplesPerSec: (samples * result.epochs) / result.trainSeconds,
    trainSeconds: result.trainSeconds,
    val: result.metrics,
    test,
  };
}
