import type { BaselineMetrics } from './presets';

// Types that the runner and the summary both use: here so neither imports the other.

/** The baseline as the experiment measured it. */
export interface BaselineResult {
  values: Record<string, unknown>;
  metrics: BaselineMetrics;
  timings: Record<string, number>;
}

/** Quality after the final training: of the baseline, and of each run's best model (by run label). */
export interface FinalScores {
  trainLimit: number;
  epochs: number;
  baseline: number;
  runs: Record<string, number>;
}
