/**
 * Tabular search benchmark: every algorithm searches the table `repeats` times with the
 * budget given, scored by the search's own reward code. Two ways to charge the budget:
 * - 'episodes' (default): every propose/observe costs one, repeated configurations included;
 * - 'evaluations': as the search counts (libs/search/src/search.ts), a repeated configuration
 *   (cache hit) and one that violates a params/MACs constraint (rejected by the static cost
 *   model before training) are free, up to MAX_STEPS_PER_EVALUATION proposals per evaluation.
 *
 * With `screen` (multi-fidelity, as a search's `multiFidelity`): every proposal is first
 * screened on a low-fidelity column (e.g. accuracy12 standing in for accuracy) at `cost` of a
 * full evaluation; it is promoted to a full evaluation (cost 1) by the search's promotion rule
 * (libs/search/src/promotion.ts: until `minScreened` screens, a new best screen; then one in the
 * top `promote` fraction), and the agent learns from the full reward, else from the screening one. The
 * budget, the checkpoints and evalsToTop1pct are then in full-evaluation units of cost, and
 * only full evaluations count as reaching the top 1%. The agents plan their exploration for the
 * proposals that budget buys, about budget / (cost + promote).
 */
import { algorithms as allAlgorithms, createAgent, type Agent, type Algorithm } from '@marl-hpo/agents';
import { computeReward, MAX_STEPS_PER_EVALUATION, MIN_REWARD, Promotion, type RewardSpec, violatedConstraints } from '@marl-hpo/search';
import { meanCi, median, medianCi95, quantile, type MeanCi } from './stats';
import { BenchTableError, checkTableMetrics, configKey, tableMetrics, type BenchTable } from './table';

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
  /** Per-algorithm agent options, e.g. {marl: {gamma: 0.3}}. */
  agentOptions?: Partial<Record<Algorithm, Record<string, unknown>>>;
  /** Where to report best reward and regret (each below the budget, then the budget); default DEFAULT_CHECKPOINTS. */
  checkpoints?: number[];
  /** Multi-fidelity screening (see the file comment). */
  screen?: ScreenOptions;
  /** Called after each algorithm (progress on a TTY). */
  onAlgorithm?(algorithm: string, seconds: number): void;
}

export interface ScreenOptions {
  /** The low-fidelity column, e.g. accuracy12. */
  column: string;
  /** The objective's metric it stands in for, e.g. accuracy. */
  replaces: string;
  /** Cost of a screen in full evaluations, e.g. 12 / 200 = 0.06. */
  cost: number;
  /** Screens whose reward ranks in this top fraction are evaluated fully. */
  promote: number;
  /** Until this many were screened, only a new best screen is promoted (the search's default: 20). */
  minScreened: number;
}

export interface AlgorithmResult {
  /** Resolved agent options (defaults filled in). */
  options: Record<string, unknown>;
  /** Best reward found after n evaluations, per checkpoint n. */
  bestReward: Record<string, MeanCi>;
  /** optimum - best reward found after n evaluations. */
  regret: Record<string, MeanCi>;
  /**
   * Median over repeats of the first evaluation whose configuration is in the table's top 1%
   * (budget + 1 if never); with screening, the cost spent until then, in full evaluations.
   */
  evalsToTop1pct: number;
  /** Its spread over repeats: first and third quartile. */
  evalsToTop1pctQuartiles: [number, number];
  /** Distribution-free 95% confidence interval of the median (order statistics). */
  evalsToTop1pctCi95: [number, number];
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
  /** Mean fraction of (full-fidelity) evaluations that failed (absent, error, infeasible). */
  failedFraction: number;
  /** With screening: mean screens and promotions (full evaluations) per repeat that cost something. */
  screens?: number;
  promotions?: number;
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
  screen?: ScreenOptions;
  /** Exact figures of uniform random search (randomSearchFigures): a reference without sampling noise. */
  randomSearchTheory: { evalsToTop1pct: number; top1pctReached: number };
  results: Record<string, AlgorithmResult>;
}

/** Reward of every configuration the table holds (absent ones score MIN_REWARD). */
export function tableRewards(table: BenchTable, objective: RewardSpec): Map<string, number> {
  return new Map(table.rows.map((r) => [configKey(r.choice), computeReward(objective, r.metrics, r.error).reward]));
}

export function checkpointsFor(budget: number, checkpoints: readonly number[] = DEFAULT_CHECKPOINTS): number[] {
  const cps = checkpoints.filter((c) => c < budget);
  return [...cps, budget];
}

/** One costly step of a repeat: its cost, and the reward when it was a full-fidelity evaluation. */
export interface TraceEvent {
  cost: number;
  reward?: number;
}

/**
 * Figures of one algorithm from its reward traces: per repeat, the reward of each costly
 * evaluation in order (each costing one); a trace shorter than the budget (the search stopped
 * early) keeps its best reward for the remaining checkpoints.
 */
export function summarize(traces: number[][], budget: number, optimum: number, threshold: number, checkpoints?: readonly number[]): Summary {
  return summarizeCosts(
    traces.map((t) => t.map((reward) => ({ cost: 1, reward }))),
    budget,
    optimum,
    threshold,
    checkpoints,
  );
}

type Summary = Omit<AlgorithmResult, 'options' | 'seconds' | 'distinctConfigs' | 'proposals' | 'randomEquivalentEvals' | 'screens' | 'promotions'>;

/** `summarize` for steps of any cost: the best reward after each checkpoint's cost, the cost to the first hit. */
export function summarizeCosts(traces: TraceEvent[][], budget: number, optimum: number, threshold: number, checkpoints?: readonly number[]): Summary {
  const cps = checkpointsFor(budget, checkpoints);
  // Costs add up in floating point (0.06 + 0.06 + ...): a checkpoint includes what it reaches up to rounding.
  const within = (spent: number, limit: number) => spent <= limit + 1e-9;
  const curves = traces.map((trace) => {
    let spent = 0;
    let best = MIN_REWARD;
    let hit = budget + 1;
    const points: { spent: number; best: number }[] = [];
    for (const e of trace) {
      spent += e.cost;
      if (e.reward === undefined) continue;
      best = Math.max(best, e.reward);
      points.push({ spent, best });
      if (hit > budget && best >= threshold && within(spent, budget)) hit = spent;
    }
    return { points, hit };
  });
  const after = (points: { spent: number; best: number }[], c: number) => {
    let b = MIN_REWARD;
    for (const p of points) if (within(p.spent, c)) b = p.best;
    return b;
  };
  const at = (f: (b: number) => number) => Object.fromEntries(cps.map((c) => [String(c), meanCi(curves.map((k) => f(after(k.points, c))))]));
  const hits = curves.map((k) => k.hit);
  const full = traces.flatMap((t) => t.filter((e) => e.reward !== undefined));
  return {
    bestReward: at((b) => b),
    regret: at((b) => optimum - b),
    evalsToTop1pct: median(hits),
    evalsToTop1pctQuartiles: [quantile(hits, 0.25), quantile(hits, 0.75)],
    evalsToTop1pctCi95: medianCi95(hits),
    top1pctReached: hits.filter((h) => h <= budget).length / hits.length,
    failedFraction: full.length ? full.filter((e) => e.reward === MIN_REWARD).length / full.length : 0,
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
  const { budget, repeats, seed, objective, screen } = opts;
  const accounting = opts.accounting ?? 'episodes';
  for (const a of opts.algorithms) if (!allAlgorithms.includes(a)) throw new BenchTableError(`algorithms: unknown '${a}' (algorithms: ${allAlgorithms.join(', ')})`);
  checkTableMetrics(table, objective, 'objective');
  if (screen) checkScreen(table, objective, screen);
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
  // Agents plan their exploration over the proposals they will get, as a search's budget.episodes
  // counts proposals: with screening about budget / (cost + promote) of them.
  const agentBudget = screen ? Math.max(1, Math.round(budget / (screen.cost + screen.promote))) : budget;
  const env: RepeatEnv = { budget, accounting, configurations, rewards, prechecked, screening: screen && screenRewards(table, objective, screen), screen };
  const results: Record<string, AlgorithmResult> = {};
  for (const algorithm of opts.algorithms) {
    const start = process.hrtime.bigint();
    const traces: TraceEvent[][] = [];
    const totals = { distinct: 0, proposals: 0, screens: 0, promotions: 0 };
    let options: Record<string, unknown> = {};
    for (let r = 0; r < repeats; r++) {
      const agent = createAgent(algorithm, space, { ...opts.agentOptions?.[algorithm], seed: seed + r, budget: agentBudget });
      const run = screen ? screenedRepeat(agent, env) : plainRepeat(agent, env);
      if (r === 0) options = agent.state().options;
      traces.push(run.events);
      totals.distinct += run.distinct;
      totals.proposals += run.proposals;
      totals.screens += run.screens;
      totals.promotions += run.promotions;
    }
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;
    const figures = summarizeCosts(traces, budget, optimum, threshold, opts.checkpoints);
    const equivalent = randomEquivalentEvals(pool, figures.bestReward[String(budget)].mean, accounting === 'episodes', RANDOM_EQUIVALENT_CAP * budget);
    results[algorithm] = {
      options,
      ...figures,
      randomEquivalentEvals: equivalent,
      distinctConfigs: totals.distinct / repeats,
      proposals: totals.proposals / repeats,
      ...(screen ? { screens: totals.screens / repeats, promotions: totals.promotions / repeats } : {}),
      seconds,
    };
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
    checkpoints: checkpointsFor(budget, opts.checkpoints),
    ...(screen ? { screen } : {}),
    randomSearchTheory: randomSearchFigures(
      [...rewards.values()].filter((r) => r >= threshold).length,
      drawable,
      budget,
      accounting === 'episodes',
    ),
    results,
  };
}

interface RepeatEnv {
  budget: number;
  accounting: Accounting;
  configurations: number;
  rewards: Map<string, number>;
  prechecked: Set<string>;
  screen?: ScreenOptions;
  /** Screening reward of each row, and whether the screen succeeded (status ok: feasible). */
  screening?: Map<string, { reward: number; ok: boolean }>;
}

interface RepeatRun {
  events: TraceEvent[];
  distinct: number;
  proposals: number;
  screens: number;
  promotions: number;
}

/** One repeat without screening: each costly proposal is a full evaluation costing one. */
function plainRepeat(agent: Agent, env: RepeatEnv): RepeatRun {
  const { budget, accounting, rewards, prechecked } = env;
  const events: TraceEvent[] = [];
  const seen = new Set<string>();
  let steps = 0;
  while (events.length < budget && (accounting === 'episodes' || (steps < budget * MAX_STEPS_PER_EVALUATION && seen.size < env.configurations))) {
    const config = agent.propose();
    steps++;
    const key = configKey(config);
    const reward = rewards.get(key) ?? MIN_REWARD;
    if (accounting === 'episodes' || !(seen.has(key) || prechecked.has(key))) events.push({ cost: 1, reward });
    seen.add(key);
    agent.observe(config, reward);
  }
  return { events, distinct: seen.size, proposals: steps, screens: 0, promotions: 0 };
}

/**
 * One repeat with screening, as runSearch does it: screen, promote by rank among the screens so
 * far, learn from the full evaluation if promoted, else from the screen; with 'evaluations'
 * accounting a configuration screened (or evaluated fully) before is free the second time.
 */
function screenedRepeat(agent: Agent, env: RepeatEnv): RepeatRun {
  const { budget, accounting, rewards, prechecked } = env;
  const screen = env.screen as ScreenOptions;
  const screening = env.screening as Map<string, { reward: number; ok: boolean }>;
  const charged = accounting === 'episodes';
  const events: TraceEvent[] = [];
  const screened = new Set<string>();
  const evaluated = new Set<string>();
  const promotion = new Promotion(screen);
  let spent = 0;
  let steps = 0;
  let screens = 0;
  let promotions = 0;
  while (spent < budget - 1e-9 && (charged || (steps < budget * MAX_STEPS_PER_EVALUATION && screened.size < env.configurations))) {
    const config = agent.propose();
    steps++;
    const key = configKey(config);
    const s = screening.get(key) ?? { reward: MIN_REWARD, ok: false };
    let cost = charged || !(screened.has(key) || prechecked.has(key)) ? screen.cost : 0;
    if (cost > 0) screens++;
    screened.add(key);
    if (s.ok && promotion.screen(s.reward)) {
      const full = rewards.get(key) ?? MIN_REWARD;
      if (charged || !evaluated.has(key)) {
        cost += 1;
        promotions++;
      }
      evaluated.add(key);
      if (cost > 0) events.push({ cost, reward: full });
      agent.observe(config, full);
    } else {
      if (cost > 0) events.push({ cost });
      agent.observe(config, s.reward);
    }
    spent += cost;
  }
  return { events, distinct: screened.size, proposals: steps, screens, promotions };
}

/** The screening reward of every row: its metrics with the low-fidelity column in place of `replaces`. */
function screenRewards(table: BenchTable, objective: RewardSpec, screen: ScreenOptions): Map<string, { reward: number; ok: boolean }> {
  return new Map(
    table.rows.map((r) => {
      const { reward, feasible } = computeReward(objective, { ...r.metrics, [screen.replaces]: r.metrics[screen.column] }, r.error);
      return [configKey(r.choice), { reward, ok: feasible }];
    }),
  );
}

function checkScreen(table: BenchTable, objective: RewardSpec, screen: ScreenOptions): void {
  const columns = tableMetrics(table);
  const named = [...objective.objectives, ...objective.constraints].map((o) => o.metric);
  if (!columns.includes(screen.column)) throw new BenchTableError(`screen: '${screen.column}' is not a column of table ${table.name} (metrics: ${columns.join(', ')})`);
  if (!named.includes(screen.replaces)) throw new BenchTableError(`screen: '${screen.replaces}' is not named by the objective (metrics: ${[...new Set(named)].join(', ')})`);
  if (!(screen.cost > 0 && screen.cost <= 1)) throw new BenchTableError(`screen: cost ${screen.cost} must be in (0, 1] (a fraction of a full evaluation)`);
  if (!(screen.promote > 0 && screen.promote <= 1)) throw new BenchTableError(`screen: promote ${screen.promote} must be in (0, 1]`);
  if (!Number.isInteger(screen.minScreened) || screen.minScreened < 0) throw new BenchTableError(`screen: minScreened ${screen.minScreened} must be an integer >= 0`);
}
