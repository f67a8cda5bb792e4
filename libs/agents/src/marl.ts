/**
 * MARL: one agent per slot, each with a Q-table, communicating through their tables
 * (DESIGN.md, "MARL").
 *
 * Agent i chooses slot i. Its state is the action of agent i-1 (agent 0 has a single
 * state), so Q_i is a |A_{i-1}| x |A_i| table.
 *
 * Learning. After each result the tables are recomputed from the memory of every result so
 * far (Q-learning with the sample-average step 1/n and the whole memory replayed to its fixed
 * point, i.e. fitted Q iteration):
 * 1. Rank-normalised reward: u = q^rankPower, q = the reward's rank among the rewards seen
 *    (0 the worst, 1 the best, ties share their mean rank; 0.5 for a single result). The rule is
 *    scale-free (any objective, any units) and rankPower 4 weighs the best results most.
 * 2. Targets, from the last agent backwards (agent i reads agent i+1's table, just computed):
 *      y_{N-1} = u,   y_i = (1 - gamma) u + gamma max_a Q_{i+1}[a_i, a].
 * 3. Value estimate: each entry is the mean of the targets of the results through it, shrunk
 *    by `prior` pseudo-observations toward the value of its choice whatever the state, itself
 *    shrunk toward initialQ:
 *      V_i[a]    = (sum of y_i over results with a_i = a            + prior initialQ) / (n_i[a] + prior)
 *      Q_i[s, a] = (sum of y_i over results with a_{i-1} = s, a_i = a + prior V_i[a]) / (n_i[s, a] + prior)
 *    So a pair never tried is worth its choice's value (what one agent learned about a choice
 *    transfers to every state), and a choice never tried is worth initialQ: 1, the value of
 *    the best result, is optimism that makes agents try their untried choices early.
 *
 * Proposing. Agents act in slot order, each greedy on Q_i[a_{i-1}, .] (ties at random; the
 * `epsilon` schedule, 0 by default, picks a uniform choice instead). Exploration comes from the
 * optimistic initialQ and from this rule: a configuration already evaluated or in flight
 * teaches nothing, so it is mutated (1 random slot changed; 2 after 20 attempts, 3 after 40...)
 * until one is new: a local search around the greedy configuration. After 200 attempts (a
 * nearly exhausted space) the configuration is proposed again.
 *
 * Asynchronous use: an observation carries its whole trajectory (the configuration is the
 * list of actions, and agent i's state is a_{i-1}), so it never depends on which proposal it
 * answers, and the tables are a function of the set of results, whatever their arrival order.
 * Proposals made while results are in flight use the tables as they are and avoid the
 * configurations in flight. Proposal k draws from the generator (seed, k); learning draws nothing.
 */
import { BaseAgent } from './base';
import { checkSchedule, epsilonAt, type EpsilonSchedule } from './epsilon';
import { finiteNumber, numberIn, resolveOptions, type OptionSpec } from './options';
import { argmax, max, type Rng } from './rng';
import { checkObservations, choiceLabels } from './space';
import { AgentError, type AgentState, type CommonOptions, type Config, type Observation, type SearchSpace } from './types';

export interface MarlOptions {
  /** 0: independent learners; 1: MetaQNN-style chain (only the last agent sees the reward directly). */
  gamma: number;
  /** Probability that an agent picks a uniform choice instead of its greedy one. */
  epsilon: EpsilonSchedule;
  /** Value of a choice never tried, in normalised reward units (0 the worst result, 1 the best). */
  initialQ: number;
  /** Exponent of the rank-normalised reward. */
  rankPower: number;
  /** Pseudo-observations of the parent estimate in each entry (see the file comment). */
  prior: number;
}

/**
 * Tuned on nb201-cifar10 (accuracy, and accuracy under a latency limit) and the tables of
 * tools/bench/tables, seeds 1000-1499, budgets 20-200, checked on seeds 0-499 and 2000-2499
 * (figures and what did not work: tools/bench/search.md). What matters most: no repeated
 * evaluation (dedup: 40 -> 36 evaluations to the top 1% of nb201-cifar10), the sample mean over
 * the whole memory instead of one sampled target (-> 28.5), shrinkage toward the choice's value
 * (-> 20), no epsilon (optimism and dedup explore enough, and nothing depends on the budget: -> 18).
 * rankPower 4 beats 1 (23) and 2 (20); gamma 0 to 0.3 tie; prior 0.5 to 2 tie.
 */
export const marlDefaults: MarlOptions = {
  gamma: 0.1,
  epsilon: [[0, 0]],
  initialQ: 1,
  rankPower: 4,
  prior: 1,
};

export const marlOptionSpecs: Record<keyof MarlOptions, OptionSpec> = {
  gamma: { doc: "weight of the next agent's value in the target", default: marlDefaults.gamma, check: numberIn(0, 1) },
  epsilon: { doc: 'exploration schedule [[fraction of budget, epsilon], ...]', default: marlDefaults.epsilon, check: checkSchedule },
  initialQ: { doc: 'value of an untried choice (0: worst result, 1: best)', default: marlDefaults.initialQ, check: finiteNumber },
  rankPower: { doc: 'exponent of the rank-normalised reward', default: marlDefaults.rankPower, check: numberIn(0, 100, { loOpen: true }) },
  prior: { doc: 'pseudo-observations shrinking each entry toward its choice value', default: marlDefaults.prior, check: numberIn(0, 1e6, { loOpen: true }) },
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
  /** Observations through each entry. */
  visits: number[][];
}

/** Mutation attempts before a repeated configuration is proposed anyway; one more slot changes every MUTATION_STEP attempts. */
const MUTATION_ATTEMPTS = 200;
const MUTATION_STEP = 20;

const keyOf = (config: readonly number[]) => config.join(',');

/** Rank of each value among all, in [0, 1] (ties share their mean rank; 0.5 for a single value). */
export function rankFractions(values: readonly number[]): number[] {
  const n = values.length;
  if (n === 1) return [0.5];
  const order = values.map((_, i) => i).sort((a, b) => values[a] - values[b]);
  const out = new Array<number>(n);
  for (let lo = 0; lo < n; ) {
    let hi = lo;
    while (hi + 1 < n && values[order[hi + 1]] === values[order[lo]]) hi++;
    for (let k = lo; k <= hi; k++) out[order[k]] = (lo + hi) / 2 / (n - 1);
    lo = hi + 1;
  }
  return out;
}

export class MarlAgent extends BaseAgent {
  private q: number[][][] = [];
  private visits: number[][][] = [];
  private memory: Observation[] = [];
  private evaluated = new Set<string>();
  private readonly labels: { slot: string; columns: string[] }[];

  constructor(space: SearchSpace, shape: readonly number[], options: CommonOptions & Record<string, unknown>) {
    super('marl', shape, options.seed, options.budget, resolveOptions('marl', marlOptionSpecs, options));
    this.labels = space.slots.map((s) => ({ slot: s.name, columns: choiceLabels(s.choices) }));
    this.setMemory([]);
  }

  private get o(): MarlOptions {
    return this.options as unknown as MarlOptions;
  }

  private setMemory(memory: Observation[]): void {
    this.memory = memory;
    this.evaluated = new Set(memory.map((m) => keyOf(m.config)));
    this.fit();
  }

  /** The learning rule (steps 1-3 of the file comment): every table from the memory. */
  private fit(): void {
    const { gamma, initialQ, rankPower, prior } = this.o;
    const last = this.shape.length - 1;
    const u = this.memory.length ? rankFractions(this.memory.map((m) => m.reward)).map((x) => x ** rankPower) : [];
    const grid = (i: number) => Array.from({ length: i === 0 ? 1 : this.shape[i - 1] }, () => new Array<number>(this.shape[i]).fill(0));
    this.q = this.shape.map((_, i) => grid(i));
    this.visits = this.shape.map((_, i) => grid(i));
    for (let i = last; i >= 0; i--) {
      const sums = grid(i);
      const n = this.visits[i];
      this.memory.forEach(({ config }, k) => {
        const s = i === 0 ? 0 : config[i - 1];
        const a = config[i];
        sums[s][a] += i === last ? u[k] : (1 - gamma) * u[k] + gamma * max(this.q[i + 1][a]);
        n[s][a]++;
      });
      for (let a = 0; a < this.shape[i]; a++) {
        let sum = 0;
        let count = 0;
        sums.forEach((row, s) => ((sum += row[a]), (count += n[s][a])));
        const value = (sum + prior * initialQ) / (count + prior);
        sums.forEach((row, s) => (this.q[i][s][a] = (row[a] + prior * value) / (n[s][a] + prior)));
      }
    }
  }

  protected proposeAt(episode: number, rng: Rng): Config {
    const eps = epsilonAt(this.o.epsilon, episode, this.budget);
    const greedy: Config = [];
    let prev = 0;
    for (let i = 0; i < this.shape.length; i++) {
      const a = eps > 0 && rng.next() < eps ? rng.int(this.shape[i]) : argmax(this.q[i][prev], rng);
      greedy.push(a);
      prev = a;
    }
    return this.unseen(greedy, rng);
  }

  /** `config` if neither evaluated nor in flight, else a mutation of it that is (see the file comment). */
  private unseen(config: Config, rng: Rng): Config {
    const seen = new Set([...this.evaluated, ...this.inFlight.map(keyOf)]);
    if (!seen.has(keyOf(config))) return config;
    const mutable = this.shape.map((n, i) => (n > 1 ? i : -1)).filter((i) => i >= 0);
    if (mutable.length === 0) return config;
    for (let t = 0; t < MUTATION_ATTEMPTS; t++) {
      const child = config.slice();
      for (let j = 0; j <= Math.floor(t / MUTATION_STEP); j++) {
        const i = mutable[rng.int(mutable.length)];
        child[i] = (child[i] + 1 + rng.int(this.shape[i] - 1)) % this.shape[i];
      }
      if (!seen.has(keyOf(child))) return child;
    }
    return config;
  }

  protected learn(config: Config, reward: number): void {
    this.memory.push({ config, reward });
    this.evaluated.add(keyOf(config));
    this.fit();
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

  /** The tables are recomputed from the memory; the stored ones (for the report) must have the right shape. */
  protected loadData(data: Record<string, unknown>): void {
    const tables = data.tables;
    if (!Array.isArray(tables) || tables.length !== this.shape.length) {
      throw new AgentError(`agent state.data.tables: expected ${this.shape.length} tables`);
    }
    tables.forEach((t, i) => {
      const rows = i === 0 ? 1 : this.shape[i - 1];
      for (const field of ['q', 'visits'] as const) {
        const value = (t as MarlTable)?.[field];
        const ok =
          Array.isArray(value) &&
          value.length === rows &&
          value.every((r) => Array.isArray(r) && r.length === this.shape[i] && r.every((x) => typeof x === 'number' && Number.isFinite(x)));
        if (!ok) throw new AgentError(`agent state.data.tables[${i}].${field}: expected ${rows} x ${this.shape[i]} finite numbers`);
      }
    });
    this.setMemory(checkObservations(this.shape, data.memory, 'agent state.data.memory'));
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
