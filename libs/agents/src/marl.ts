/**
 * MARL: one tabular Q-learning agent per slot, communicating through their Q-tables
 * (DESIGN.md, "MARL").
 *
 * Agent i chooses slot i. Its state is the action of agent i-1 (agent 0 has a single
 * state), so Q_i is a |A_{i-1}| x |A_i| table. An episode: agents act in slot order, each
 * epsilon-greedy on Q_i[a_{i-1}, .] (greedy ties broken at random). After the global reward
 * R, from the last agent backwards (so y_i reads Q_{i+1} as just updated by this episode):
 *   y_{N-1} = R,   y_i = (1 - gamma) R + gamma max_a Q_{i+1}[a_i, a],
 *   Q_i[a_{i-1}, a_i] += alpha (y_i - Q_i[a_{i-1}, a_i]).
 * Each observation is applied, then `replay` episodes drawn uniformly from the memory of all
 * observations (this one included) are applied again (experience replay).
 *
 * Asynchronous use: an observation carries its whole trajectory (the configuration is the
 * list of actions, and agent i's state is a_{i-1}), so an update never depends on which
 * proposal it answers. Results are applied in arrival order against the current tables;
 * proposals made while results are in flight use the tables as they were (stale by the
 * number of evaluations in flight, as in asynchronous Q-learning). The learning step n uses
 * the generator (seed, n), so replaying the same arrival order rebuilds the same tables.
 */
import { BaseAgent } from './base';
import { checkSchedule, epsilonAt, type EpsilonSchedule } from './epsilon';
import { numberIn, finiteNumber, resolveOptions, type OptionSpec } from './options';
import { argmax, max, type Rng } from './rng';
import { checkObservations, choiceLabels } from './space';
import { AgentError, type AgentState, type CommonOptions, type Config, type Observation, type SearchSpace } from './types';

export interface MarlOptions {
  /** Learning rate in (0, 1]. */
  alpha: number;
  /** 0: independent learners; 1: MetaQNN-style chain (only the last agent sees R directly). */
  gamma: number;
  epsilon: EpsilonSchedule;
  /** Past episodes replayed after each observation. */
  replay: number;
  /** Starting value of every Q entry, in reward units; above the rewards to come = optimistic. */
  initialQ: number;
}

/**
 * Tuned on the tabular benchmark (tools/bench/search-tune.mjs: 5 tables, 500 repeats, seeds
 * 1000-1499, checked on seeds 0-199; figures in tools/bench/search.md). Replay matters most (none: 1.5-2.5x more evaluations).
 * With alpha 1 each replayed episode overwrites its entries, so an entry holds the target of
 * one recently replayed episode through it: a sample rather than a mean, which keeps the
 * greedy path moving among good pairs (alpha 0.1 settled too early). gamma 0 to 0.3 tie within
 * the noise; 1 (the MetaQNN chain) needs 1.5-2x more evaluations. initialQ 1 is optimistic for
 * accuracy-like rewards (<= about 1); 1.2 and 1.5 did as well. Set it just above the best
 * reward expected when rewards are on another scale.
 */
export const marlDefaults: MarlOptions = {
  alpha: 1,
  gamma: 0.1,
  epsilon: [
    [0, 1],
    [0.05, 1],
    [0.2, 0.1],
  ],
  replay: 32,
  initialQ: 1,
};

export const marlOptionSpecs: Record<keyof MarlOptions, OptionSpec> = {
  alpha: { doc: 'learning rate', default: marlDefaults.alpha, check: numberIn(0, 1, { loOpen: true }) },
  gamma: { doc: 'weight of the next agent\'s value in the target', default: marlDefaults.gamma, check: numberIn(0, 1) },
  epsilon: { doc: 'exploration schedule [[fraction of budget, epsilon], ...]', default: marlDefaults.epsilon, check: checkSchedule },
  replay: { doc: 'episodes replayed per observation', default: marlDefaults.replay, check: numberIn(0, 100000, { integer: true }) },
  initialQ: { doc: 'initial Q value', default: marlDefaults.initialQ, check: finiteNumber },
};

/** One agent's table as agents.json stores it: a heatmap of rows x columns. */
export interface MarlTable {
  slot: string;
  /** The slot whose choice is this agent's state; null for the first agent. */
  previousSlot: string | null;
  /** Labels of the previous slot's choices (['start'] for the first agent). */
  rows: string[];
  columns: string[];
  q: number[][];
  /** Observations (replays excluded) that updated each entry. */
  visits: number[][];
}

export class MarlAgent extends BaseAgent {
  private q: number[][][] = [];
  private visits: number[][][] = [];
  private memory: Observation[] = [];
  private readonly labels: { slot: string; columns: string[] }[];

  constructor(space: SearchSpace, shape: readonly number[], options: CommonOptions & Record<string, unknown>) {
    super('marl', shape, options.seed, options.budget, resolveOptions('marl', marlOptionSpecs, options));
    this.labels = space.slots.map((s) => ({ slot: s.name, columns: choiceLabels(s.choices) }));
    this.reset();
  }

  private get o(): MarlOptions {
    return this.options as unknown as MarlOptions;
  }

  private reset(): void {
    const rows = (i: number) => (i === 0 ? 1 : this.shape[i - 1]);
    this.q = this.shape.map((n, i) => Array.from({ length: rows(i) }, () => new Array<number>(n).fill(this.o.initialQ)));
    this.visits = this.shape.map((n, i) => Array.from({ length: rows(i) }, () => new Array<number>(n).fill(0)));
    this.memory = [];
  }

  protected proposeAt(episode: number, rng: Rng): Config {
    const eps = epsilonAt(this.o.epsilon, episode, this.budget);
    const config: Config = [];
    let prev = 0;
    for (let i = 0; i < this.shape.length; i++) {
      const a = rng.next() < eps ? rng.int(this.shape[i]) : argmax(this.q[i][prev], rng);
      config.push(a);
      prev = a;
    }
    return config;
  }

  /** The MARL rule for one episode (see the file comment). */
  private update(config: Config, reward: number): void {
    const { alpha, gamma } = this.o;
    const last = this.shape.length - 1;
    for (let i = last; i >= 0; i--) {
      const s = i === 0 ? 0 : config[i - 1];
      const a = config[i];
      const y = i === last ? reward : (1 - gamma) * reward + gamma * max(this.q[i + 1][a]);
      this.q[i][s][a] += alpha * (y - this.q[i][s][a]);
    }
  }

  protected learn(config: Config, reward: number, _index: number, rng: Rng): void {
    this.memory.push({ config, reward });
    config.forEach((a, i) => this.visits[i][i === 0 ? 0 : config[i - 1]][a]++);
    this.update(config, reward);
    for (let r = 0; r < this.o.replay; r++) {
      const m = this.memory[rng.int(this.memory.length)];
      this.update(m.config, m.reward);
    }
  }

  /** Q-tables with labels, one per agent. */
  tables(): MarlTable[] {
    return this.labels.map((l, i) => ({
      slot: l.slot,
      previousSlot: i === 0 ? null : this.labels[i - 1].slot,
      rows: i === 0 ? ['start'] : this.labels[i - 1].columns,
      columns: l.columns,
      q: this.q[i].map((r) => r.slice()),
      visits: this.visits[i].map((r) => r.slice()),
    }));
  }

  protected saveData(): Record<string, unknown> {
    return { tables: this.tables(), memory: this.memory };
  }

  protected loadData(data: Record<string, unknown>): void {
    const tables = data.tables;
    if (!Array.isArray(tables) || tables.length !== this.shape.length) {
      throw new AgentError(`agent state.data.tables: expected ${this.shape.length} tables`);
    }
    const grid = (value: unknown, i: number, field: string): number[][] => {
      const rows = i === 0 ? 1 : this.shape[i - 1];
      const ok =
        Array.isArray(value) &&
        value.length === rows &&
        value.every((r) => Array.isArray(r) && r.length === this.shape[i] && r.every((x) => typeof x === 'number' && Number.isFinite(x)));
      if (!ok) throw new AgentError(`agent state.data.tables[${i}].${field}: expected ${rows} x ${this.shape[i]} finite numbers`);
      return (value as number[][]).map((r) => r.slice());
    };
    const q = tables.map((t, i) => grid((t as MarlTable)?.q, i, 'q'));
    const visits = tables.map((t, i) => grid((t as MarlTable)?.visits, i, 'visits'));
    this.memory = checkObservations(this.shape, data.memory, 'agent state.data.memory');
    this.q = q;
    this.visits = visits;
  }

  protected checkOptions(options: Record<string, unknown>): Record<string, unknown> {
    return resolveOptions('marl', marlOptionSpecs, options);
  }
}

/** The labelled Q-tables of a MARL snapshot (agents.json), one heatmap per agent. */
export function marlTables(state: AgentState): MarlTable[] {
  if (state?.algorithm !== 'marl' || !Array.isArray(state.data?.tables)) throw new AgentError('agent state: not a MARL snapshot (no data.tables)');
  return state.data.tables as MarlTable[];
}
