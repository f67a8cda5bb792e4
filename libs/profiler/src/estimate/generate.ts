import { getTemplate, summarize, valuesOf, weightSpecs, type Shape, type WeightMap } from '@marl-hpo/arch';
import { exportOnnx } from '@marl-hpo/onnx';
import type { CalibrationModel } from './calibrate';

/** Templates and inputs the calibration models are drawn from: the shapes a search profiles. */
const SOURCES: { template: string; input: Shape; classes: number }[] = [
  { template: 'vgg', input: [28, 28, 1], classes: 10 },
  { template: 'vgg', input: [32, 32, 3], classes: 10 },
  { template: 'inception', input: [28, 28, 1], classes: 10 },
  { template: 'inception', input: [32, 32, 3], classes: 10 },
  { template: 'unet', input: [28, 28, 1], classes: 3 },
  { template: 'unet', input: [32, 32, 3], classes: 3 },
];

function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Weights like a trained network's: 1-D tensors (biases, batch-norm statistics) 1, others
 * uniform with variance 1/fan_in, so activations neither explode nor sink into denormals
 * (which run many times slower on x86 and would distort the timings).
 */
function randomWeight(shape: number[], rand: () => number): Float32Array {
  const n = shape.reduce((a, b) => a * b, 1);
  if (shape.length === 1) return new Float32Array(n).fill(1);
  const bound = Math.sqrt(3 / (n / shape[shape.length - 1]));
  let s = Math.floor(rand() * 2 ** 31) | 1;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1103515245) + 12345) | 0; // an LCG: millions of values, quickly
    out[i] = ((s >>> 8) / 2 ** 24 * 2 - 1) * bound;
  }
  return out;
}

export interface GenerateOptions {
  seed?: number;
  /** Redraw configurations above these (keeps calibration quick); defaults 400M MACs, 20M parameters. */
  maxMacs?: number;
  maxParams?: number;
}

/**
 * `count` ONNX models from random configurations of the built-in templates (vgg, inception,
 * unet at 28x28x1 and 32x32x3), with random weights; configurations the template rejects or
 * above the limits are redrawn. Seeded: the same seed gives the same models.
 */
export function generateCalibrationModels(count: number, opts: GenerateOptions = {}): CalibrationModel[] {
  const { seed = 0, maxMacs = 400e6, maxParams = 20e6 } = opts;
  const rand = rng(seed);
  const out: CalibrationModel[] = [];
  for (let attempt = 0; out.length < count; attempt++) {
    if (attempt > count * 50) throw new Error('generateCalibrationModels: too many rejected configurations');
    const src = SOURCES[out.length % SOURCES.length];
    const t = getTemplate(src.template);
    const opts = { input: src.input, classes: src.classes };
    const space = t.space(opts);
    // Skew towards the first (smallest) choices by a random power per model: small to large models.
    const skew = 1 + 3 * rand();
    const config = space.slots.map((s) => Math.floor(rand() ** skew * s.choices.length));
    let ir;
    try {
      ir = t.instantiate(valuesOf(space, config), opts);
    } catch {
      continue; // e.g. a spatial size that reaches 0: draw again
    }
    const { macs, params } = summarize(ir);
    if (macs > maxMacs || params > maxParams) continue;
    const weights: WeightMap = {};
    for (const w of weightSpecs(ir)) weights[w.name] = { shape: w.shape, data: randomWeight(w.shape, rand) };
    out.push({ name: `${src.template}-${src.input.join('x')}-${out.length}`, bytes: exportOnnx(ir, weights, { configuration: config }) });
  }
  return out;
}
