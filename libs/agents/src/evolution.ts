/**
 * Regularized evolution (Real et al. 2019, "aging evolution").
 *
 * The population is the `population` most recent observations. Until it is full, proposals
 * are uniform random. Then: draw `sample` members uniformly (without replacement), take the
 * best (first drawn on ties), and propose it with one slot, chosen uniformly among the slots
 * with more than one choice, changed to another choice. Aging (oldest out, not worst out)
 * is what regularizes. Asynchronous by nature: a result joins the population when it arrives.
 */
import { BaseAgent } from './base';
import { numberIn, resolveOptions, type OptionSpec } from './options';
import type { Rng } from './rng';
import { checkObservations, randomConfig } from './space';
import { AgentError, type CommonOptions, type Config, type Observation } from './types';

export interface EvolutionOptions {
  population: number;
  sample: number;
}

export const evolutionDefaults: EvolutionOptions = { population: 20, sample: 5 };

export const evolutionOptionSpecs: Record<keyof EvolutionOptions, OptionSpec> = {
  population: { doc: 'members kept (the most recent observations)', default: evolutionDefaults.population, check: numberIn(2, 1e6, { integer: true }) },
  sample: { doc: 'members drawn per tournament', default: evolutionDefaults.sample, check: numberIn(1, 1e6, { integer: true }) },
};

function resolve(options: Record<string, unknown>): Record<string, unknown> {
  const o = resolveOptions('evolution', evolutionOptionSpecs, options) as unknown as EvolutionOptions;
  if (o.sample > o.population) throw new AgentError(`options.sample: ${o.sample} exceeds options.population (${o.population})`);
  return o as unknown as Record<string, unknown>;
}

export class EvolutionAgent extends BaseAgent {
  private members: Observation[] = [];

  constructor(shape: readonly number[], options: CommonOptions & Record<string, unknown>) {
    super('evolution', shape, options.seed, options.budget, resolve(options));
  }

  private get o(): EvolutionOptions {
    return this.options as unknown as EvolutionOptions;
  }

  protected proposeAt(_episode: number, rng: Rng): Config {
    if (this.members.length < this.o.population) return randomConfig(this.shape, rng);
    const pool = this.members.map((_, i) => i);
    let parent: Observation = this.members[0];
    for (let k = 0; k < this.o.sample; k++) {
      const j = k + rng.int(pool.length - k);
      [pool[k], pool[j]] = [pool[j], pool[k]];
      const m = this.members[pool[k]];
      if (k === 0 || m.reward > parent.reward) parent = m;
    }
    const child = parent.config.slice();
    const mutable = this.shape.map((n, i) => (n > 1 ? i : -1)).filter((i) => i >= 0);
    if (mutable.length === 0) return child;
    const slot = mutable[rng.int(mutable.length)];
    child[slot] = (child[slot] + 1 + rng.int(this.shape[slot] - 1)) % this.shape[slot];
    return child;
  }

  protected learn(config: Config, reward: number): void {
    this.members.push({ config, reward });
    if (this.members.length > this.o.population) this.members.shift();
  }

  protected saveData(): Record<string, unknown> {
    return { population: this.members };
  }

  protected loadData(data: Record<string, unknown>): void {
    const members = checkObservations(this.shape, data.population, 'agent state.data.population');
    if (members.length > this.o.population) throw new AgentError(`agent state.data.population: ${members.length} members exceed options.population`);
    this.members = members;
  }

  protected checkOptions(options: Record<string, unknown>): Record<string, unknown> {
    return resolve(options);
  }
}
