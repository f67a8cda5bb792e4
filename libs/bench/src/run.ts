/**
 * Tabular search benchmark: every algorithm searches the table `repeats` times with the
 * budget given, scored by the search's own reward code. Two ways to charge the budget:
 * - 'episodes' (default): every propose/observe costs one, repeated configurations included;
 * - 'evaluations': as the search counts (libs/search/src/search.ts), a repeated configuration
 *   (cache hit) and one that violates a params/MACs constraint (rejected by the static cost
 *   model before training) are free, up to MAX_STEPS_PER_EVALUATION proposals per evaluation.
 */
import { algorithms as allAlgorithms, createAgent, type Algorithm } from '@marl-hpo/agents';
import { computeReward, MAX_STEPS_PER_EVALUATION, MIN_REWARD, type RewardSpec, violatedConstraints } from '@marl-hpo/search';
import { meanCi, median, type MeanCi } from './stats';
import { BenchTableError, checkTableMetrics, configKey, type BenchTable } from './table';

export const DEFAULT_CHECKPOINTS = [10, 25, 50, 100];
export type Accounting = 'episodes' | 'evaluations';

export interface SearchBenchOptions {
  algorithms: Algorithm[];
  budget: number;
  repeats: number;
  /** Repeat r runs with seed + r. */
  seed: number;
  objective: RewardSpec;
  /** What costs budget (see the file comment); default 'episodes'. */
  accounting?: Accounting;
  /** Per-algorithm agent options, e.g. {marl: {alpha: 0.2}}. */
  agentOptions?: Partial<Record<Algorithm, Record<string, unknown>>>;
  /** Called after each algorithm (progress on a TTY). */
  onAlgorithm?(algorithm: string, seconds: number): void;
}

export interface AlgorithmResult {
  /** Resolved agent options (defaults filled in). */
  options: Record<string, unknown>;
  /** Best reward found after n evaluations, per checkpoint n. */
  bestReward: Record<string, MeanCi>;
  /** optimum - best reward found after n evaluations. */
  regret: Record<string, MeanCi>;
  /** Median over repeats of the first evaluation whose configuration is in the table's top 1% (budget + 1 if never). */
  evalsToTop1pct: number;
  /** Fraction of repeats that reached the top 1% within the budget. */
  top1pctReached: number;
  /**
   * Evaluations uniform random search needs, in expectation, to reach this algorithm's mean
   * best reward at the budget (exact, randomEquivalentEvals): above the budget means fewer
   * evaluations than random search for the same result. null beyond RANDOM_EQUIVALENT_CAP x budget.
   */
  randomEquivalentEvals: number | null;
  /** Mean number of distinct configurations proposed. */
  distinctConfigs: number;
  /** Mean number of proposals (equals the budget with 'episodes' accounting). */
  proposals: number;
  /** Mean fraction of evaluations that failed (absent, error, infeasible). */
  failedFraction: number;
  /** Wall time of all repeats (informational: the machine is shared). */
  seconds: number;
}

export interface SearchBenchResult {
  table: string;
  /** Size of the space; rows may cover fewer configurations. */
  configurations: number;
  rows: number;
  objective: RewardSpec;
  optimum: number;
  /** The top 1% is the ceil(rows / 100) best rows; reaching `threshold` means reaching it. */
  top1pct: { rows: number; threshold: number };
  budget: number;
  repeats: number;
  seed: number;
  accounting: Accounting;
  checkpoints: number[];
  /** Exact figures of uniform random search (randomSearchFigures): a reference without sampling noise. */
  randomSearchTheory: { evalsToTop1pct: number; top1pctReached: number };
  results: Record<string, AlgorithmResult>;
}

/** Reward of every configuration the table holds (absent ones score MIN_REWARD). */
export function tableRewards(table: BenchTable, objective: RewardSpec): Map<string, number> {
  return new Map(table.rows.map((r) => [configKey(r.choice), computeReward(objective, r.metrics, r.error).reward]));
}

export function checkpointsFor(budget: number): number[] {
  const cps = DEFAULT_CHECKPOINTS.filter((c) => c < budget);
  return [...cps, budget];
}

/**
 * Figures of one algorithm from its reward traces: per repeat, the reward of each costly
 * evaluation in order; a trace shorter than the budget (the search stopped early) keeps its
 * best reward for the remaining checkpoints.
 */
export function summarize(traces: number[][], budget: number, optimum: number, threshold: number): Omit<AlgorithmResult, 'options' | 'seconds' | 'distinctConfigs' | 'proposals' | 'randomEquivalentEvals'> {
  const cps = checkpointsFor(budget);
  const best = traces.map((trace) => {
    let b = MIN_REWARD;
    return trace.map((r) => (b = Math.max(b, r)));
  });
  const hit = best.map((curve) => {
    const i = curve.findIndex((b) => b >= threshold);
    return i < 0 ? budget + 1 : i + 1;
  });
  const after = (curve: number[], n: number) => (curve.length ? curve[Math.min(n, curve.length) - 1] : MIN_REWARD);
  const at = (f: (b: number) => number) => Object.fromEntries(cps.map((c) => [String(c), meanCi(best.map((curve) => f(after(curve, c))))]));
  const evaluated = traces.reduce((n, t) => n + t.length, 0);
  return {
    bestReward: at((b) => b),
    regret: at((b) => optimum - b),
    evalsToTop1pct: median(hit),
    top1pctReached: hit.filter((h) => h <= budget).length / hit.length,
    failedFraction: evaluated ? traces.reduce((n, t) => n + t.filter((r) => r === MIN_REWARD).length, 0) / evaluated : 0,
  };
}

/**
 * Exact figures of uniform random search for `hits` top configurations among `pool`: the
 * median first hit and the probability of a hit within `budget`. With replacement for
 * 'episodes' accounting; without for 'evaluations' (a repeated configuration is free).
 */
export function randomSearchFigures(hits: number, pool: number, budget: number, withReplacement: boolean): { evalsToTop1pct: number; top1pctReached: number } {
  let miss = 1;
  let median = budget + 1;
  for (let n = 1; n <= budget; n++) {
    miss *= withReplacement ? 1 - hits / pool : Math.max(0, (pool - hits - (n - 1)) / (pool - (n - 1)));
    if (median > budget && 1 - miss >= 0.5) median = n;
  }
  return { evalsToTop1pct: median, top1pctReached: 1 - miss };
}

/**
 * Evaluations uniform random search needs for an expected best reward of `target`: exact
 * order statistics over `values`, the rewards of every configuration it can draw (with
 * replacement for 'episodes' accounting, without for 'evaluations'), linear between whole
 * numbers, at least 1; null when `cap` evaluations fall short.
 */
export function randomEquivalentEvals(values: readonly number[], target: number, withReplacement: boolean, cap: number): number | null {
  const v = [...values].sort((a, b) => a - b);
  const N = v.length;
  // below[k]: probability that all n draws are among the k smallest values.
  const below = new Float64Array(N + 1).fill(1);
  let previous = -Infinity;
  for (let n = 1; n <= (withReplacement ? cap : Math.min(cap, N)); n++) {
    for (let k = 0; k <= N; k++) below[k] *= withReplacement ? k / N : Math.max(0, (k - (n - 1)) / (N - (n - 1)));
    let expected = 0;
    for (let k = 1; k <= N; k++) expected += v[k - 1] * (below[k] - below[k - 1]);
    if (expected >= target - 1e-12) return n === 1 || expected === previous ? n : n - 1 + (target - previous) / (expected - previous);
    previous = expected;
  }
  return null;
}

/** Where randomEquivalentEvals gives up, in multiples of the budget. */
export const RANDOM_EQUIVALENT_CAP = 20;

export function runSearchBench(table: BenchTable, opts: SearchBenchOptions): SearchBenchResult {
  const { budget, repeats, seed, objective } = opts;
  const accounting = opts.accounting ?? 'episodes';
  for (const a of opts.algorithms) if (!allAlgorithms.includes(a)) throw new BenchTableError(`algorithms: unknown '${a}' (algorithms: ${allAlgorithms.join(', ')})`);
  checkTableMetrics(table, objective, 'objective');
  const rewards = tableRewards(table, objective);
  // Rows the static cost model would reject before training (free with 'evaluations').
  const prechecked = new Set(
    table.rows.filter((r) => violatedConstraints(objective, { params: r.metrics.params, macs: r.metrics.macs }).length).map((r) => configKey(r.choice)),
  );
  const sorted = [...rewards.values()].sort((a, b) => b - a);
  const optimum = sorted[0];
  const topRows = Math.ceil(sorted.length / 100);
  const threshold = sorted[topRows - 1];
  const space = { slots: table.slots };
  const configurations = table.slots.reduce((n, s) => n * s.choices.length, 1);
  // What uniform random search draws from: every configuration, or with 'evaluations' those the cost model lets through.
  const drawable = accounting === 'episodes' ? configurations : configurations - prechecked.size;
  const drawn = [...rewards].filter(([key]) => accounting === 'episodes' || !prechecked.has(key)).map(([, r]) => r);
  const pool = [...drawn, ...new Array<number>(drawable - drawn.length).fill(MIN_REWARD)];
  const results: Record<string, AlgorithmResult> = {};
  for (const algorithm of opts.algorithms) {
    const start = process.hrtime.bigint();
    const traces: number[][] = [];
    let distinct = 0;
    let proposals = 0;
    let options: Record<string, unknown> = {};
    for (let r = 0; r < repeats; r++) {
      const agent = createAgent(algorithm, space, { ...opts.agentOptions?.[algorithm], seed: seed + r, budget });
      const trace: number[] = [];
      const seen = new Set<string>();
      let steps = 0;
      while (trace.length < budget && (accounting === 'episodes' || (steps < budget * MAX_STEPS_PER_EVALUATION && seen.size < configurations))) {
        const config = agent.propose();
        steps++;
        const key = configKey(config);
        const reward = rewards.get(key) ?? MIN_REWARD;
        if (accounting === 'episodes' || !(seen.has(key) || prechecked.has(key))) trace.push(reward);
        seen.add(key);
        agent.observe(config, reward);
      }
      if (r === 0) options = agent.state().options;
      traces.push(trace);
      distinct += seen.size;
      proposals += steps;
    }
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;
    const figures = summarize(traces, budget, optimum, threshold);
    const equivalent = randomEquivalentEvals(pool, figures.bestReward[String(budget)].mean, accounting === 'episodes', RANDOM_EQUIVALENT_CAP * budget);
    results[algorithm] = { options, ...figures, randomEquivalentEvals: equivalent, distinctConfigs: distinct / repeats, proposals: proposals / repeats, seconds };
    opts.onAlgorithm?.(algorithm, seconds);
  }
  return {
    table: table.name,
    configurations,
    rows: table.rows.length,
    objective,
    optimum,
    top1pct: { rows: topRows, threshold },
    budget,
    repeats,
    seed,
    accounting,
    checkpoints: checkpointsFor(budget),
    randomSearchTheory: randomSearchFigures(
      [...rewards.values()].filter((r) => r >= threshold).length,
      drawable,
      budget,
      accounting === 'episodes',
    ),
    results,
  };
}
