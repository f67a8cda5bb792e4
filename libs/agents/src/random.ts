import { BaseAgent } from './base';
import type { Rng } from './rng';
import { randomConfig } from './space';
import { resolveOptions } from './options';
import type { CommonOptions, Config } from './types';

/** Uniform random search (with replacement, like Optuna's RandomSampler). Learns nothing. */
export class RandomAgent extends BaseAgent {
  constructor(shape: readonly number[], options: CommonOptions & Record<string, unknown>) {
    super('random', shape, options.seed, options.budget, resolveOptions('random', {}, options));
  }

  protected proposeAt(_episode: number, rng: Rng): Config {
    return randomConfig(this.shape, rng);
  }

  protected learn(): void {
    // Random search ignores results.
  }

  protected saveData(): Record<string, unknown> {
    return {};
  }

  protected loadData(): void {
    // Nothing learnt, nothing to load.
  }

  protected checkOptions(options: Record<string, unknown>): Record<string, unknown> {
    return resolveOptions('random', {}, options);
  }
}
