/**
 * Objectives, hard constraints and the global reward: the one definition used by the
 * search and by the tabular benchmark.
 *
 * Every objective is one non-negative factor and the reward is their product:
 *   {metric, goal: 'max'}          ->  m                     (needs m >= 0)
 *   {metric, goal: 'min'}          ->  1 / m                 (needs m > 0)
 *   {metric, target, weight}       ->  (m / target)^weight   (MnasNet soft target; needs m > 0,
 *                                                              or m >= 0 when weight > 0)
 * so [{accuracy, max}, {latencyMs, target 0.5, weight -0.07}] is MnasNet's
 * R = accuracy * (latency / target)^w. A goal is a target of 1 with weight +1 or -1, so
 * log R is a weighted sum of log metrics: changing a metric's unit scales R by a constant
 * and never reorders configurations. The reward of an evaluation depends on its metrics
 * only (no normalisation by what other episodes measured): rewards in a journal stay
 * comparable across episodes and runs with the same objectives.
 *
 * MIN_REWARD = 0. Every factor is >= 0, so any feasible evaluation scores >= MIN_REWARD.
 * An evaluation gets MIN_REWARD (feasible: false, with a reason) when it failed, violates
 * a hard constraint, or lacks a finite, in-domain value for a metric an objective or a
 * constraint names (a constraint that cannot be checked is not satisfied).
 *
 * Metrics are open: any name an evaluator, a profiler backend or a table produces. Each
 * evaluator declares what it produces (DatasetInfo.metrics), and `checkMetricsProduced`
 * refuses a spec naming anything else before the first evaluation.
 */

/** A metric's name, e.g. accuracy, latencyMs, energyMj, testAccuracy (case-sensitive). */
export type MetricName = string;
export type Metrics = Partial<Record<MetricName, number>>;

/** What the static cost model gives every configuration, before training. */
export const STATIC_METRICS: readonly MetricName[] = ['params', 'macs'];

export interface GoalObjective {
  metric: MetricName;
  goal: 'max' | 'min';
}

export interface TargetObjective {
  metric: MetricName;
  target: number;
  weight: number;
}

export type Objective = GoalObjective | TargetObjective;

/** A hard constraint: min <= metric <= max (either bound may be absent, not both). */
export interface Constraint {
  metric: MetricName;
  max?: number;
  min?: number;
}

export interface RewardSpec {
  objectives: Objective[];
  constraints: Constraint[];
}

export const MIN_REWARD = 0;

export interface RewardResult {
  reward: number;
  feasible: boolean;
  /** Why the evaluation got MIN_REWARD. */
  reason?: string;
}

/** A malformed objective or constraint; the message names the field. */
export class RewardSpecError extends Error {
  readonly userError = true;
  constructor(message: string) {
    super(message);
    this.name = 'RewardSpecError';
  }
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const finite = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

/**
 * Reads `{objectives, constraints?}` (a search config's fields, or the benchmark's
 * --objective), or a bare list of objectives. `where` prefixes error messages.
 */
export function parseRewardSpec(value: unknown, where = 'objective'): RewardSpec {
  const fail = (field: string, why: string) => new RewardSpecError(`${where}: ${field}: ${why}`);
  const spec = Array.isArray(value) ? { objectives: value } : value;
  if (!isObject(spec)) throw new RewardSpecError(`${where}: expected {"objectives": [...], "constraints": [...]}`);
  for (const k of Object.keys(spec)) if (k !== 'objectives' && k !== 'constraints') throw fail(k, 'unknown field (expected objectives, constraints)');
  const metric = (v: unknown, field: string): MetricName => {
    if (typeof v !== 'string' || !/^[A-Za-z_][\w.-]*$/.test(v)) {
      throw fail(field, `expected a metric name such as "accuracy" or "latencyMs" (letters, digits, _ . -), got ${JSON.stringify(v)}`);
    }
    return v;
  };
  const onlyKeys = (o: Record<string, unknown>, keys: string[], field: string) => {
    for (const k of Object.keys(o)) if (!keys.includes(k)) throw fail(`${field}.${k}`, `unknown field (expected ${keys.join(', ')})`);
  };

  if (!Array.isArray(spec.objectives) || spec.objectives.length === 0) throw fail('objectives', 'expected a non-empty list of {metric, goal} or {metric, target, weight}');
  const seen = new Set<string>();
  const objectives = spec.objectives.map((o, i): Objective => {
    const field = `objectives[${i}]`;
    if (!isObject(o)) throw fail(field, `expected {metric, goal} or {metric, target, weight}, got ${JSON.stringify(o)}`);
    if (o.metric === undefined) throw fail(`${field}.metric`, 'missing (expected the name of the metric, e.g. "accuracy")');
    const m = metric(o.metric, `${field}.metric`);
    if (seen.has(m)) throw fail(`${field}.metric`, `'${m}' is already an objective`);
    seen.add(m);
    if ('goal' in o) {
      onlyKeys(o, ['metric', 'goal'], field);
      if (o.goal !== 'max' && o.goal !== 'min') throw fail(`${field}.goal`, `expected 'max' or 'min', got ${JSON.stringify(o.goal)}`);
      return { metric: m, goal: o.goal };
    }
    onlyKeys(o, ['metric', 'target', 'weight'], field);
    if (o.target === undefined && o.weight === undefined) throw fail(field, "expected goal: 'max' | 'min', or a soft target with target and weight");
    if (!finite(o.target) || o.target <= 0) throw fail(`${field}.target`, `expected a number > 0, got ${JSON.stringify(o.target)} (or give goal: 'max' | 'min')`);
    if (!finite(o.weight)) throw fail(`${field}.weight`, `expected a finite number, got ${JSON.stringify(o.weight)}`);
    return { metric: m, target: o.target, weight: o.weight };
  });

  const rawConstraints = spec.constraints ?? [];
  if (!Array.isArray(rawConstraints)) throw fail('constraints', 'expected a list of {metric, max?, min?}');
  const constraints = rawConstraints.map((c, i): Constraint => {
    const field = `constraints[${i}]`;
    if (!isObject(c)) throw fail(field, `expected {metric, max?, min?}, got ${JSON.stringify(c)}`);
    onlyKeys(c, ['metric', 'max', 'min'], field);
    if (c.metric === undefined) throw fail(`${field}.metric`, 'missing (expected the name of the metric, e.g. "params")');
    const out: Constraint = { metric: metric(c.metric, `${field}.metric`) };
    for (const bound of ['max', 'min'] as const) {
      if (c[bound] === undefined) continue;
      if (!finite(c[bound])) throw fail(`${field}.${bound}`, `expected a finite number, got ${JSON.stringify(c[bound])}`);
      out[bound] = c[bound] as number;
    }
    if (out.max === undefined && out.min === undefined) throw fail(field, 'expected max, min or both');
    if (out.max !== undefined && out.min !== undefined && out.min > out.max) throw fail(field, `min ${out.min} exceeds max ${out.max}`);
    return out;
  });
  return { objectives, constraints };
}

/**
 * Refuses a spec that names a metric nothing produces, naming the field, e.g.
 * `objectives[1].metric: 'latencyMS' is not produced (did you mean 'latencyMs'? metrics: accuracy, latencyMs, ...)`.
 * `where` prefixes the message; `by` says what produces them (e.g. "by table nb201-cifar10").
 */
export function checkMetricsProduced(spec: RewardSpec, produced: Iterable<MetricName>, where?: string, by?: string): void {
  const names = [...new Set(produced)];
  const fields = [...spec.objectives.map((o, i) => [`objectives[${i}]`, o.metric]), ...spec.constraints.map((c, i) => [`constraints[${i}]`, c.metric])];
  for (const [field, m] of fields) {
    if (names.includes(m)) continue;
    const near = closestName(m, names);
    const hint = near ? `did you mean '${near}'? ` : '';
    throw new RewardSpecError(`${where ? `${where}: ` : ''}${field}.metric: '${m}' is not produced${by ? ` ${by}` : ''} (${hint}metrics: ${names.join(', ') || 'none'})`);
  }
}

/** The produced name closest to a typo: same letters ignoring case, or within 2 edits. */
function closestName(name: string, names: readonly string[]): string | undefined {
  const lower = name.toLowerCase();
  const exact = names.find((n) => n.toLowerCase() === lower);
  if (exact) return exact;
  let best: string | undefined;
  let bestDistance = 3;
  for (const n of names) {
    const d = editDistance(lower, n.toLowerCase());
    if (d < bestDistance) [best, bestDistance] = [n, d];
  }
  return best;
}

function editDistance(a: string, b: string): number {
  let row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const next = [i];
    for (let j = 1; j <= b.length; j++) next[j] = Math.min(row[j] + 1, next[j - 1] + 1, row[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    row = next;
  }
  return row[b.length];
}

/**
 * Hard constraints violated by `metrics`, checking only the metrics present: the search
 * calls it with the static cost model's {params, macs} to skip training, and `reward`
 * calls it with everything measured.
 */
export function violatedConstraints(spec: RewardSpec, metrics: Metrics): string[] {
  const out: string[] = [];
  for (const c of spec.constraints) {
    const v = metrics[c.metric];
    if (v === undefined) continue;
    if (!finite(v)) out.push(`${c.metric} = ${v} is not a finite number`);
    else if (c.max !== undefined && v > c.max) out.push(`${c.metric} = ${v} > max ${c.max}`);
    else if (c.min !== undefined && v < c.min) out.push(`${c.metric} = ${v} < min ${c.min}`);
  }
  return out;
}

/** The global reward of one evaluation; `error` marks a failed evaluation. */
export function computeReward(spec: RewardSpec, metrics: Metrics | undefined, error?: string): RewardResult {
  const infeasible = (reason: string): RewardResult => ({ reward: MIN_REWARD, feasible: false, reason });
  if (error !== undefined) return infeasible(`evaluation failed: ${error}`);
  const m = metrics ?? {};
  for (const name of new Set([...spec.objectives, ...spec.constraints].map((o) => o.metric))) {
    if (!finite(m[name])) return infeasible(`metric ${name} ${m[name] === undefined ? 'is missing' : `= ${m[name]} is not a finite number`}`);
  }
  const violated = violatedConstraints(spec, m);
  if (violated.length) return infeasible(`constraint violated: ${violated.join('; ')}`);
  let reward = 1;
  for (const o of spec.objectives) {
    const v = m[o.metric] as number;
    const exponent = 'goal' in o ? (o.goal === 'max' ? 1 : -1) : o.weight;
    if (v < 0 || (v === 0 && exponent < 0)) return infeasible(`metric ${o.metric} = ${v} is outside the domain of its objective (needs ${exponent < 0 ? '> 0' : '>= 0'})`);
    reward *= 'goal' in o ? (o.goal === 'max' ? v : 1 / v) : Math.pow(v / o.target, o.weight);
  }
  if (!Number.isFinite(reward)) return infeasible(`reward overflow (${reward})`);
  return { reward, feasible: true };
}
