/**
 * The learning-rate schedule of a training run: a linear warm-up over the first `warmup`
 * fraction of the steps, then cosine decay to zero (or a constant rate). Steps are numbered
 * from 1 to `total`; the PyTorch reference trainer (tools/bench/train_fashion_torch.py) uses the
 * same formula.
 */
export type ScheduleKind = 'cosine' | 'constant';

export interface Schedule {
  /** Peak learning rate. */
  learningRate: number;
  /** Optimizer steps of the whole run. */
  total: number;
  /** Fraction of `total` spent warming up (0: none). */
  warmup: number;
  kind: ScheduleKind;
}

/** Warm-up steps: round(warmup * total), at most total - 1 when there is more than one step. */
export function warmupSteps(s: Pick<Schedule, 'total' | 'warmup'>): number {
  return Math.max(0, Math.min(Math.round(s.warmup * s.total), s.total - 1));
}

/**
 * The rate of step t (1-based): lr * t / W during the W warm-up steps, then lr for 'constant', or
 * lr * (1 + cos(pi * (t - W - 1) / (total - W))) / 2 for 'cosine' (lr at the first step after
 * warm-up, approaching 0 at the last).
 */
export function learningRateAt(t: number, s: Schedule): number {
  const w = warmupSteps(s);
  if (t <= w) return (s.learningRate * t) / w;
  if (s.kind === 'constant') return s.learningRate;
  const progress = Math.min(1, (t - w - 1) / Math.max(1, s.total - w));
  return (s.learningRate * (1 + Math.cos(Math.PI * progress))) / 2;
}
