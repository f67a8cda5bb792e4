import { type EvaluationRecord, type Metrics, qualityOf, type SearchConfigInput } from '@marl-hpo/search';

/** The baseline's measured metrics, from which an experiment sets its constraints and goal. */
export type BaselineMetrics = Metrics & { params: number; latencyMs: number };

export interface ExperimentPreset {
  name: string;
  description: string;
  /** Everything but the budget, seed and algorithm, given the baseline's metrics. */
  config(baseline: BaselineMetrics, tiny: boolean): Omit<SearchConfigInput, 'budget'>;
  /** The claim to check: does this evaluation reach the experiment's goal? */
  goal: { text: string; reached(r: EvaluationRecord, baseline: BaselineMetrics): boolean };
  /**
   * Final training (the paper's protocol: search with short training, then train the chosen
   * model fully): the baseline and each search's best model are retrained on `trainLimit`
   * images for `epochs`, and the accuracy goal is checked on these numbers.
   */
  final(tiny: boolean): { trainLimit: number; epochs: number };
  defaults: { budget: number; seeds: number };
}

const FASHION_MNIST = '/usr/share/datasets/fashion-mnist';
const fmnist = (tiny: boolean) => ({ spec: `idx:${FASHION_MNIST}`, limit: tiny ? { train: 256, val: 128 } : { train: 4000, val: 2000 } });
const quality = (r: Pick<EvaluationRecord, 'metrics'>) => qualityOf(r) ?? -Infinity;

/**
 * The method's headline (Iranfar et al. 2021) at this machine's scale: a model at least 20x
 * smaller and 40% faster than the baseline, within 0.5 points of its accuracy.
 */
const smallerFasterAsGood = (sizeRatio: number, latencyRatio: number, points: number): ExperimentPreset['goal'] => ({
  text: `>= ${sizeRatio}x fewer parameters, <= ${latencyRatio}x the latency, quality >= baseline - ${points} points`,
  reached: (r, b) => r.status === 'ok' && (r.metrics.params ?? Infinity) * sizeRatio <= b.params && (r.metrics.latencyMs ?? Infinity) <= latencyRatio * b.latencyMs && quality(r) >= quality({ metrics: b }) - points / 100,
});

function classification(template: string, sizeRatio: number): ExperimentPreset['config'] {
  return (b, tiny) => ({
    template,
    templateOptions: { batchNorm: true },
    dataset: fmnist(tiny),
    objectives: [{ metric: 'accuracy', goal: 'max' }, { metric: 'latencyMs', target: 0.6 * b.latencyMs, weight: -0.07 }],
    constraints: [{ metric: 'params', max: Math.floor(b.params / sizeRatio) }],
    trainer: { epochs: tiny ? 1 : 2, batchSize: 64, learningRate: 0.002 },
    profiler: { backend: 'ort-cpu', threads: 1 },
  });
}

export const presets: ExperimentPreset[] = [
  {
    name: 'vgg-fmnist',
    description: 'VGG-16-BN scaled to 28x28 on Fashion-MNIST (Debian dataset-fashion-mnist)',
    config: classification('vgg', 20),
    goal: smallerFasterAsGood(20, 0.6, 0.5),
    final: (tiny) => (tiny ? { trainLimit: 512, epochs: 1 } : { trainLimit: 12000, epochs: 2 }),
    defaults: { budget: 20, seeds: 3 },
  },
  {
    name: 'inception-fmnist',
    description: 'GoogLeNet-BN (small-input stem) on Fashion-MNIST',
    config: classification('inception', 20),
    goal: smallerFasterAsGood(20, 0.6, 0.5),
    final: (tiny) => (tiny ? { trainLimit: 256, epochs: 1 } : { trainLimit: 12000, epochs: 2 }),
    defaults: { budget: 20, seeds: 3 },
  },
  {
    name: 'unet-shapes',
    description: 'U-Net on builtin:shapes (generated shapes on textured backgrounds, 32x32, per-pixel classes)',
    config: (b, tiny) => ({
      template: 'unet',
      dataset: tiny ? { spec: 'builtin:shapes?count=160', shape: [32, 32, 3], limit: { train: 96, val: 32 } } : { spec: 'builtin:shapes?count=1000', shape: [32, 32, 3], limit: { train: 800, val: 200 } },
      objectives: [{ metric: 'mIoU', goal: 'max' }, { metric: 'latencyMs', target: 0.6 * b.latencyMs, weight: -0.07 }],
      constraints: [{ metric: 'params', max: Math.floor(b.params / 20) }],
      trainer: { epochs: tiny ? 1 : 3, batchSize: 16, learningRate: 0.003 },
      profiler: { backend: 'ort-cpu', threads: 1 },
    }),
    goal: smallerFasterAsGood(20, 0.6, 0.5),
    final: (tiny) => (tiny ? { trainLimit: 96, epochs: 2 } : { trainLimit: 800, epochs: 8 }),
    defaults: { budget: 20, seeds: 3 },
  },
];
