import * as tf from '@tensorflow/tfjs';
import type { ArchitectureIR } from '@marl-hpo/arch';
import type { Batch, Split } from '@marl-hpo/data';
import { initBackend } from './backend';
import { TrainerError, TrainingAborted } from './errors';
import { MetricAccumulator, meanIoU, TASK_METRICS } from './metrics';
import { buildModel } from './model';
import { rng } from './rng';
import { evaluate, predict, train, type StepRecord, type TrainData } from './train';

/** An in-memory split with the data lib's contract (seeded shuffling). */
function split(x: Float32Array, y: Int32Array, n: number): Split {
  const per = x.length / n;
  const labelsPer = y.length / n;
  return {
    size: n,
    async *batches(batchSize: number, opts?: { shuffleSeed?: number }): AsyncIterable<Batch> {
      const order = Array.from({ length: n }, (_, i) => i);
      if (opts?.shuffleSeed !== undefined) {
        const r = rng(opts.shuffleSeed);
        for (let i = n - 1; i > 0; i--) {
          const j = Math.floor(r() * (i + 1));
          [order[i], order[j]] = [order[j], order[i]];
        }
      }
      for (let s = 0; s < n; s += batchSize) {
        const idx = order.slice(s, s + batchSize);
        const bx = new Float32Array(idx.length * per);
        const by = new Int32Array(idx.length * labelsPer);
        idx.forEach((k, i) => {
          bx.set(x.subarray(k * per, (k + 1) * per), i * per);
          by.set(y.subarray(k * labelsPer, (k + 1) * labelsPer), i * labelsPer);
        });
        yield { x: bx, y: by, n: idx.length };
      }
    },
  };
}

/** 8x8 greyscale: class 1 has a bright square in the top-left quadrant, class 0 in the bottom-right. */
function squares(n: number, seed: number): { x: Float32Array; y: Int32Array } {
  const r = rng(seed);
  const x = new Float32Array(n * 64);
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    y[i] = r() < 0.5 ? 1 : 0;
    const o = y[i] ? 0 : 4;
    for (let p = 0; p < 64; p++) x[i * 64 + p] = r() * 0.3;
    for (let a = 0; a < 3; a++) for (let b = 0; b < 3; b++) x[i * 64 + (o + a + Math.floor(r() * 2)) * 8 + o + b] += 1;
  }
  return { x, y };
}

function classification(nTrain = 96, nVal = 32): TrainData {
  const t = squares(nTrain, 1);
  const v = squares(nVal, 2);
  return { task: 'classification', shape: [8, 8, 1], classes: ['bottom', 'top'], train: split(t.x, t.y, nTrain), val: split(v.x, v.y, nVal) };
}

const cnn: ArchitectureIR = {
  template: 'test',
  task: 'classification',
  input: [8, 8, 1],
  classes: 2,
  layers: [
    { kind: 'conv2d', name: 'c1', filters: 4, kernel: 3, stride: 1, padding: 'same', activation: 'relu', batchNorm: false },
    { kind: 'maxPool', name: 'p1', size: 2, stride: 2, padding: 'valid' },
    { kind: 'conv2d', name: 'c2', filters: 4, kernel: 3, stride: 1, padding: 'same', activation: 'relu', batchNorm: true },
    { kind: 'flatten', name: 'f' },
    { kind: 'dropout', name: 'drop', rate: 0.25 },
    { kind: 'dense', name: 'logits', units: 2, activation: 'linear' },
  ],
};

beforeAll(async () => {
  await initBackend({ backend: 'wasm' });
});

describe('train', () => {
  it('learns a separable task, leaks no tensor, and a seed repeats the run exactly', async () => {
    const before = tf.memory().numTensors;
    const a = await train(cnn, classification(), { epochs: 4, batchSize: 16, learningRate: 0.01, seed: 3 });
    expect(tf.memory().numTensors).toBe(before);
    expect('accuracy' in a.metrics && a.metrics.accuracy).toBeGreaterThan(0.9);
    expect(a.epochs).toBe(4);
    expect(a.history.map((h) => h.epoch)).toEqual([1, 2, 3, 4]);
    expect(a.history.every((h) => h.samples === 96)).toBe(true);
    expect(a.trainSeconds).toBeGreaterThan(0);
    expect(Object.keys(a.weights)).toEqual(['c1/kernel', 'c1/bias', 'c2/kernel', 'c2/bn/gamma', 'c2/bn/beta', 'c2/bn/mean', 'c2/bn/variance', 'logits/kernel', 'logits/bias']);

    const b = await train(cnn, classification(), { epochs: 4, batchSize: 16, learningRate: 0.01, seed: 3 });
    expect(b.metrics).toEqual(a.metrics);
    expect(b.history.map((h) => h.loss)).toEqual(a.history.map((h) => h.loss));
    for (const k of Object.keys(a.weights)) expect(b.weights[k].data).toEqual(a.weights[k].data);

    const c = await train(cnn, classification(), { epochs: 1, batchSize: 16, learningRate: 0.01, seed: 4 });
    expect(c.weights['c1/kernel'].data).not.toEqual(a.weights['c1/kernel'].data);
  });

  it('evaluate and predict reproduce the returned weights and metrics', async () => {
    const data = classification();
    const result = await train(cnn, data, { epochs: 2, batchSize: 32, seed: 1 });
    const before = tf.memory().numTensors;
    expect(await evaluate(cnn, result.weights, data.val, { batchSize: 7 })).toEqual(expect.objectContaining({ accuracy: (result.metrics as { accuracy: number }).accuracy }));
    const x = squares(3, 9).x;
    const out = await predict(cnn, result.weights, { shape: [3, 8, 8, 1], data: x });
    expect(out.shape).toEqual([3, 2]);
    const model = buildModel(cnn, result.weights);
    const ref = tf.tidy(() => model.apply(tf.tensor4d(x, [3, 8, 8, 1])).dataSync());
    model.dispose();
    expect([...out.data]).toEqual([...ref]);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('stops early and keeps the best epoch', async () => {
    // A learning rate too small to change anything (and no batch-norm statistics): the validation score never improves on epoch 1.
    const still: ArchitectureIR = { ...cnn, layers: cnn.layers.map((l) => (l.kind === 'conv2d' ? { ...l, batchNorm: false } : l)) };
    const result = await train(still, classification(), { epochs: 6, batchSize: 32, optimizer: 'sgd', learningRate: 1e-12, patience: 2, seed: 1 });
    expect(result.epochs).toBe(3);
    expect(result.metrics).toEqual(result.history[0].val);
  });

  it('limits the training samples per epoch', async () => {
    const result = await train(cnn, classification(), { epochs: 1, batchSize: 16, trainLimit: 40, seed: 1 });
    expect(result.history[0].samples).toBe(40);
  });

  it('cancels with an AbortSignal, between steps, without leaking', async () => {
    const before = tf.memory().numTensors;
    const ctl = new AbortController();
    const run = train(cnn, classification(), { epochs: 50, batchSize: 8, seed: 1, onEpoch: () => ctl.abort() }, ctl.signal);
    await expect(run).rejects.toBeInstanceOf(TrainingAborted);
    expect(tf.memory().numTensors).toBe(before);
    // From a timer while the steps run (the loop yields to the event loop between steps).
    const timer = new AbortController();
    setTimeout(() => timer.abort(), 30);
    const started = performance.now();
    await expect(train(cnn, classification(512), { epochs: 1000, batchSize: 8, seed: 1 }, timer.signal)).rejects.toBeInstanceOf(TrainingAborted);
    expect(performance.now() - started).toBeLessThan(20000);
    expect(tf.memory().numTensors).toBe(before);
    const aborted = new AbortController();
    aborted.abort();
    await expect(train(cnn, classification(), {}, aborted.signal)).rejects.toBeInstanceOf(TrainingAborted);
  });

  it('rejects a dataset that does not fit the model, and bad options, naming the field', async () => {
    const data = classification();
    await expect(train(cnn, { ...data, shape: [8, 8, 3] })).rejects.toThrow(/^dataset: images are \[8,8,3\], the model's input is \[8,8,1\]$/);
    await expect(train(cnn, { ...data, classes: ['a', 'b', 'c'] })).rejects.toThrow(/^dataset: 3 classes, the model has 2$/);
    await expect(train(cnn, { ...data, task: 'segmentation' })).rejects.toThrow(TrainerError);
    await expect(train(cnn, data, { epochs: 0 })).rejects.toThrow(/^epochs: expected an integer >= 1, got 0$/);
    await expect(train(cnn, { ...data, val: split(new Float32Array(0), new Int32Array(0), 0) })).rejects.toThrow(/^dataset: the validation split is empty/);
    const short = { ...data, train: split(new Float32Array(2 * 60), new Int32Array(2), 2) }; // 60 values per image instead of 64
    await expect(train(cnn, short)).rejects.toThrow(/^dataset: a batch of 2 has 120 pixel values and 2 labels, expected 128 and 2$/);
    await expect(train(cnn, data, { learningRate: -1 })).rejects.toThrow(/^learningRate: /);
    await expect(train(cnn, data, { optimizer: 'rmsprop' as 'adam' })).rejects.toThrow(/^optimizer: /);
    const e = await train(cnn, data, { weights: {} }).catch((err) => err);
    expect(e).toBeInstanceOf(TrainerError);
    expect(e.userError).toBe(true);
    expect(e.message).toBe("weights: missing 'c1/kernel'");
  });

  it('trains a segmentation model with SGD and reports pixel accuracy and mIoU', async () => {
    // Masks: class = whether the pixel is brighter than 0.5 (learnable per pixel).
    const n = 24;
    const r = rng(5);
    const x = Float32Array.from({ length: n * 36 }, () => r());
    const y = Int32Array.from(x, (v) => (v > 0.5 ? 1 : 0));
    const data: TrainData = { task: 'segmentation', shape: [6, 6, 1], classes: ['dark', 'bright'], train: split(x, y, n), val: split(x, y, n) };
    const ir: ArchitectureIR = {
      template: 'test',
      task: 'segmentation',
      input: [6, 6, 1],
      classes: 2,
      layers: [
        { kind: 'conv2d', name: 'enc', filters: 4, kernel: 3, stride: 2, padding: 'same', activation: 'relu', batchNorm: false },
        { kind: 'convTranspose', name: 'dec', filters: 4, kernel: 2, stride: 2, padding: 'same', activation: 'relu', batchNorm: false },
        { kind: 'skip', name: 'sk', from: 'input' },
        { kind: 'conv2d', name: 'logits', filters: 2, kernel: 1, stride: 1, padding: 'same', activation: 'linear', batchNorm: false },
      ],
    };
    const result = await train(ir, data, { epochs: 30, batchSize: 8, optimizer: 'sgd', momentum: 0.9, learningRate: 0.1, seed: 2 });
    const m = result.metrics as { pixelAccuracy: number; mIoU: number; loss: number };
    expect(Object.keys(m).sort()).toEqual(['loss', 'mIoU', 'pixelAccuracy']);
    expect(m.pixelAccuracy).toBeGreaterThan(0.8);
    expect(m.mIoU).toBeGreaterThan(0.6);
    expect(m.mIoU).toBeLessThanOrEqual(m.pixelAccuracy);
  });
});

describe('recipe', () => {
  it('each step uses the scheduled learning rate: warm-up, then cosine decay', async () => {
    const steps: StepRecord[] = [];
    // 96 samples / 16 = 6 steps per epoch, 2 epochs: 12 steps, 25% warm-up = 3 steps.
    await train(cnn, classification(), { epochs: 2, batchSize: 16, learningRate: 0.01, warmup: 0.25, seed: 1, onStep: (s) => steps.push(s) });
    expect(steps.map((s) => s.step)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
    const want = [1 / 3, 2 / 3, 1, ...Array.from({ length: 9 }, (_, k) => (1 + Math.cos((Math.PI * k) / 9)) / 2)].map((f) => 0.01 * f);
    steps.forEach((s, i) => expect(s.learningRate).toBeCloseTo(want[i], 12));
    expect(steps.every((s) => s.scale !== undefined && s.scale <= 1 && s.gradNorm !== undefined && s.gradNorm > 0)).toBe(true);
  });

  it('clips the gradient norm to clipNorm (and not with clipNorm 0)', async () => {
    const clipped: StepRecord[] = [];
    await train(cnn, classification(), { epochs: 1, batchSize: 16, clipNorm: 1e-3, seed: 1, onStep: (s) => clipped.push(s) });
    for (const s of clipped) expect((s.gradNorm as number) * (s.scale as number)).toBeCloseTo(1e-3, 6);
    const free: StepRecord[] = [];
    await train(cnn, classification(), { epochs: 1, batchSize: 16, clipNorm: 0, seed: 1, onStep: (s) => free.push(s) });
    expect(free.every((s) => s.scale === 1)).toBe(true);
  });

  it('a non-finite loss stops the run and reports it as diverged', async () => {
    const before = tf.memory().numTensors;
    const steps: StepRecord[] = [];
    const data = classification();
    // Plain SGD at an absurd rate, no clipping, no batch norm: the activations overflow float32 within a few steps.
    const plain: ArchitectureIR = { ...cnn, layers: cnn.layers.map((l) => (l.kind === 'conv2d' ? { ...l, batchNorm: false } : l)) };
    const r = await train(plain, data, { epochs: 5, batchSize: 16, optimizer: 'sgd', learningRate: 1e20, clipNorm: 0, warmup: 0, schedule: 'constant', seed: 1, onStep: (s) => steps.push(s) });
    expect(r.diverged).toBeDefined();
    const d = r.diverged as { epoch: number; step: number; loss: string };
    expect(['NaN', 'Infinity']).toContain(d.loss);
    expect(d.step).toBe(steps.length);
    expect(d.step).toBeLessThan(5 * 6);
    expect(Number.isFinite(steps[steps.length - 1].loss)).toBe(false);
    expect(steps.slice(0, -1).every((s) => Number.isFinite(s.loss))).toBe(true);
    expect(r.metrics).toEqual({});
    expect(r.epochs).toBe(d.epoch);
    expect(tf.memory().numTensors).toBe(before);
  });

  it("'glorot' initialises ReLU layers with Glorot's smaller range", () => {
    const he = buildModel(cnn, undefined, { seed: 1 });
    const glorot = buildModel(cnn, undefined, { seed: 1, init: 'glorot' });
    const max = (m: typeof he) => Math.max(...Array.from(m.variables.get('c1/kernel')?.dataSync() ?? [], Math.abs));
    // c1: 3x3x1 -> 4, fan in 9, fan out 36: He sqrt(6/9) = 0.816, Glorot sqrt(6/45) = 0.365.
    expect(max(he)).toBeGreaterThan(0.5);
    expect(max(he)).toBeLessThanOrEqual(Math.sqrt(6 / 9));
    expect(max(glorot)).toBeLessThanOrEqual(Math.sqrt(6 / 45));
    he.dispose();
    glorot.dispose();
  });

  it('rejects bad recipe options, naming the field', async () => {
    const data = classification();
    await expect(train(cnn, data, { warmup: 1 })).rejects.toThrow(/^warmup: expected a fraction in \[0, 1\), got 1$/);
    await expect(train(cnn, data, { clipNorm: -1 })).rejects.toThrow(/^clipNorm: /);
    await expect(train(cnn, data, { schedule: 'step' as 'cosine' })).rejects.toThrow(/^schedule: /);
    await expect(train(cnn, data, { init: 'zeros' as 'he' })).rejects.toThrow(/^init: /);
  });
});

describe('metrics', () => {
  it('mean IoU over the classes present, on a hand case', () => {
    // labels   0 0 1 1 2 | predictions 0 1 1 1 0; class 3 appears in neither.
    // class 0: TP 1, FP 1, FN 1 -> 1/3; class 1: TP 2, FP 1 -> 2/3; class 2: FN 1 -> 0.
    const acc = new MetricAccumulator('segmentation', 4);
    const logits = new Float32Array(5 * 4);
    [0, 1, 1, 1, 0].forEach((p, i) => (logits[i * 4 + p] = 5));
    acc.add(logits, Int32Array.from([0, 0, 1, 1, 2]));
    const m = acc.result() as { pixelAccuracy: number; mIoU: number; loss: number };
    expect(Object.keys(m).sort()).toEqual([...TASK_METRICS.segmentation].sort()); // what a search may name
    expect(m.pixelAccuracy).toBeCloseTo(3 / 5, 12);
    expect(m.mIoU).toBeCloseTo((1 / 3 + 2 / 3 + 0) / 3, 12);
    expect(meanIoU([0, 0], [0, 0], [0, 0])).toBe(0);
  });

  it('cross-entropy of known logits', () => {
    const acc = new MetricAccumulator('classification', 3);
    acc.add(Float32Array.from([0, 0, 0, 2, 0, 0]), Int32Array.from([1, 0]));
    const m = acc.result() as { accuracy: number; loss: number };
    expect(Object.keys(m).sort()).toEqual([...TASK_METRICS.classification].sort());
    // Row 1: uniform -> ln 3 (argmax ties go to class 0: wrong). Row 2: -log(e^2 / (e^2 + 2)).
    expect(m.loss).toBeCloseTo((Math.log(3) + Math.log(1 + 2 * Math.exp(-2))) / 2, 6);
    expect(m.accuracy).toBe(0.5);
  });
});
