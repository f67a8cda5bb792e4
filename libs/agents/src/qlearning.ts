/**
 * MetaQNN-style single-agent Q-learning (Baker et al. 2017) over the whole configuration.
 *
 * One agent walks the slots in order; its state is the whole prefix chosen so far (so,
 * unlike MARL, nothing generalises across prefixes: the table is a tree). Reward 0 on
 * every step but the last, which gets R; Q(s, a) += alpha (r + gamma max_a' Q(s', a') - Q(s, a)),
 * applied from the last step backwards, then `replay` stored episodes are replayed.
 * Unvisited entries hold `initialQ`; the tree is stored sparsely.
 */
import { BaseAgent } from './base';
import { checkSchedule, epsilonAt, type EpsilonSchedule } from './epsilon';
import { finiteNumber, numberIn, resolveOptions, type OptionSpec } from './options';
import { argmax, max, type Rng } from './rng';
import { checkObservations } from './space';
import { AgentError, type CommonOptions, type Config, type Observation } from './types';

export interface QLearningOptions {
  alpha: number;
  gamma: number;
  epsilon: EpsilonSchedule;
  replay: number;
  initialQ: number;
}

/** MetaQNN's epsilon staircase (models trained at each epsilon), as fractions of the budget. */
function metaQnnSchedule(): EpsilonSchedule {
  const steps: [number, number][] = [[1500, 1], [100, 0.9], [100, 0.8], [100, 0.7], [150, 0.6], [150, 0.5], [150, 0.4], [150, 0.3], [150, 0.2], [150, 0.1]];
  const total = steps.reduce((s, [n]) => s + n, 0);
  const out: EpsilonSchedule = [];
  let at = 0;
  for (const [n, eps] of steps) {
    out.push([at / total, eps], [(at + n) / total, eps]);
    at += n;
  }
  return out.map(([f, e]) => [Math.round(f * 1e6) / 1e6, e]);
}

/** MetaQNN's published settings. */
export const qlearningDefaults: QLearningOptions = {
  alpha: 0.01,
  gamma: 1,
  epsilon: metaQnnSchedule(),
  replay: 128,
  initialQ: 0.5,
};

export const qlearningOptionSpecs: Record<keyof QLearningOptions, OptionSpec> = {
  alpha: { doc: 'learning rate', default: qlearningDefaults.alpha, check: numberIn(0, 1, { loOpen: true }) },
  gamma: { doc: 'discount between steps', default: qlearningDefaults.gamma, check: numberIn(0, 1) },
  epsilon: { doc: 'exploration schedule [[fraction of budget, epsilon], ...]', default: qlearningDefaults.epsilon, check: checkSchedule },
  replay: { doc: 'episodes replayed per observation', default: qlearningDefaults.replay, check: numberIn(0, 100000, { integer: true }) },
  initialQ: { doc: 'initial Q value', default: qlearningDefaults.initialQ, check: finiteNumber },
};

const key = (config: Config, length: number) => config.slice(0, length).join(',');

export class QLearningAgent extends BaseAgent {
  /** Prefix ("" for the root, "2,0" after two steps) -> Q values of the next slot's choices. */
  private q = new Map<string, number[]>();
  private memory: Observation[] = [];

  constructor(shape: readonly number[], options: CommonOptions & Record<string, unknown>) {
    super('qlearning', shape, options.seed, options.budget, resolveOptions('qlearning', qlearningOptionSpecs, options));
  }

  private get o(): QLearningOptions {
    return this.options as unknown as QLearningOptions;
  }

  private values(prefix: string, depth: number): number[] {
    return this.q.get(prefix) ?? new Array<number>(this.shape[depth]).fill(this.o.initialQ);
  }

  protected proposeAt(episode: number, rng: Rng): Config {
    const eps = epsilonAt(this.o.epsilon, episode, this.budget);
    const config: Config = [];
    for (let i = 0; i < this.shape.length; i++) {
      config.push(rng.next() < eps ? rng.int(this.shape[i]) : argmax(this.values(key(config, i), i), rng));
    }
    return config;
  }

  private update(config: Config, reward: number): void {
    const { alpha, gamma } = this.o;
    const last = this.shape.length - 1;
    for (let i = last; i >= 0; i--) {
      const prefix = key(config, i);
      const row = this.q.get(prefix) ?? new Array<number>(this.shape[i]).fill(this.o.initialQ);
      const y = i === last ? reward : gamma * max(this.values(key(config, i + 1), i + 1));
      row[config[i]] += alpha * (y - row[config[i]]);
      this.q.set(prefix, row);
    }
  }

  protected learn(config: Config, reward: number, _index: number, rng: Rng): void {
    this.memory.push({ config, reward });
    this.update(config, reward);
    for (let r = 0; r < this.o.replay; r++) {
      const m = this.memory[rng.int(this.memory.length)];
      this.update(m.config, m.reward);
    }
  }

  protected saveData(): Record<string, unknown> {
    // Sorted keys: the snapshot does not depend on the order entries were created in.
    return { q: Object.fromEntries([...this.q].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))), memory: this.memory };
  }

  protected loadData(data: Record<string, unknown>): void {
    const raw = data.q;
    if (!raw || typeof raw !== 'object' || Array.isArray(raw)) throw new AgentError('agent state.data.q: expected an object of prefix -> Q values');
    const q = new Map<string, number[]>();
    for (const [prefix, row] of Object.entries(raw as Record<string, unknown>)) {
      const depth = prefix === '' ? 0 : prefix.split(',').length;
      const ok = depth < this.shape.length && Array.isArray(row) && row.length === this.shape[depth] && row.every((x) => typeof x === 'number' && Number.isFinite(x));
      if (!ok) throw new AgentError(`agent state.data.q["${prefix}"]: expected ${this.shape[depth] ?? 0} finite numbers`);
      q.set(prefix, (row as number[]).slice());
    }
    this.memory = checkObservations(this.shape, data.memory, 'agent state.data.memory');
    this.q = q;
  }

  protected checkOptions(options: Record<string, unknown>): Record<string, unknown> {
    return resolveOptions('qlearning', qlearningOptionSpecs, options);
  }
}
