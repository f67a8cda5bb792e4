/**
 * Quality metrics, accumulated batch by batch on the CPU from logits and labels.
 * Classification: accuracy and mean cross-entropy. Segmentation: pixel accuracy, mean IoU
 * over the classes present (in the labels or the predictions: a class absent from both has
 * no IoU) and mean per-pixel cross-entropy.
 */
export interface ClassificationMetrics {
  accuracy: number;
  loss: number;
}

export interface SegmentationMetrics {
  pixelAccuracy: number;
  mIoU: number;
  loss: number;
}

export type Metrics = ClassificationMetrics | SegmentationMetrics;

/** The metrics `result()` reports per task (what a search may name in its objectives). */
export const TASK_METRICS: Readonly<Record<'classification' | 'segmentation', readonly string[]>> = {
  classification: ['accuracy', 'loss'],
  segmentation: ['pixelAccuracy', 'mIoU', 'loss'],
};

export class MetricAccumulator {
  private correct = 0;
  private count = 0;
  private lossSum = 0;
  private readonly tp: Float64Array;
  private readonly fp: Float64Array;
  private readonly fn: Float64Array;

  constructor(
    private readonly task: 'classification' | 'segmentation',
    private readonly classes: number,
  ) {
    this.tp = new Float64Array(classes);
    this.fp = new Float64Array(classes);
    this.fn = new Float64Array(classes);
  }

  /** logits: one row of `classes` scores per sample (or pixel); labels: one class id each. */
  add(logits: Float32Array, labels: Int32Array): void {
    const c = this.classes;
    const rows = labels.length;
    if (logits.length !== rows * c) throw new Error(`metrics: ${logits.length} logits for ${rows} labels x ${c} classes`);
    for (let i = 0; i < rows; i++) {
      const o = i * c;
      let best = 0;
      let max = logits[o];
      for (let k = 1; k < c; k++) {
        if (logits[o + k] > max) {
          max = logits[o + k];
          best = k;
        }
      }
      let sum = 0;
      for (let k = 0; k < c; k++) sum += Math.exp(logits[o + k] - max);
      const y = labels[i];
      if (y < 0 || y >= c) throw new Error(`metrics: label ${y} outside [0, ${c})`);
      this.lossSum += Math.log(sum) + max - logits[o + y];
      if (best === y) {
        this.correct++;
        this.tp[y]++;
      } else {
        this.fp[best]++;
        this.fn[y]++;
      }
    }
    this.count += rows;
  }

  result(): Metrics {
    const n = Math.max(this.count, 1);
    const loss = this.lossSum / n;
    if (this.task === 'classification') return { accuracy: this.correct / n, loss };
    return { pixelAccuracy: this.correct / n, mIoU: meanIoU(this.tp, this.fp, this.fn), loss };
  }
}

/** Mean of TP / (TP + FP + FN) over the classes whose denominator is not zero. */
export function meanIoU(tp: ArrayLike<number>, fp: ArrayLike<number>, fn: ArrayLike<number>): number {
  let sum = 0;
  let present = 0;
  for (let k = 0; k < tp.length; k++) {
    const d = tp[k] + fp[k] + fn[k];
    if (d > 0) {
      sum += tp[k] / d;
      present++;
    }
  }
  return present ? sum / present : 0;
}

/** The metric early stopping and model selection maximise. */
export function score(m: Metrics): number {
  return 'accuracy' in m ? m.accuracy : m.mIoU;
}
