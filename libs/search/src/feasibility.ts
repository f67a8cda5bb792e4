import { canonicalJson, spaceSize, summarize, valuesOf, type ConfigValues, type Configuration, type SearchSpace, type Template, type TemplateOptions } from '@marl-hpo/arch';
import { ConfigError } from './config';
import type { EvaluationRecord } from './journal';
import { STATIC_METRICS, type Constraint, type Metrics, type RewardSpec } from './reward';

/** Spaces up to this size are checked configuration by configuration; larger ones by coordinate descent. */
const EXHAUSTIVE = 20_000;
/** The search stops once this many trained evaluations were all infeasible (and none was feasible)... */
export const INFEASIBLE_LIMIT = 20;
/** ...or this many proposals in all (most rejected on the cost model, which costs milliseconds). */
export const INFEASIBLE_PROPOSALS_LIMIT = 1000;

const field = (spec: RewardSpec, c: Constraint) => `constraints[${spec.constraints.indexOf(c)}] (${c.metric}${c.min !== undefined ? ` min ${c.min}` : ''}${c.max !== undefined ? ` max ${c.max}` : ''})`;

/** How far metrics are from meeting the constraints, relative to each bound: 0 when they meet all. */
function violation(constraints: Constraint[], m: Metrics): number {
  let v = 0;
  for (const c of constraints) {
    const x = m[c.metric] as number;
    if (c.max !== undefined && x > c.max) v += (x - c.max) / Math.max(Math.abs(c.max), 1);
    if (c.min !== undefined && x < c.min) v += (c.min - x) / Math.max(Math.abs(c.min), 1);
  }
  return v;
}

interface Probe {
  config: Configuration;
  score: number;
  metrics?: Metrics;
  error?: string;
}

/**
 * Decides, on the static cost model and before any training, that some configuration of the
 * space can be built for this input and meets the hard constraints on params and MACs; throws
 * a ConfigError saying why not otherwise (images too small for the template, a bound no
 * configuration meets). Spaces up to EXHAUSTIVE configurations are checked one by one; larger
 * ones by coordinate descent on the constraint violation from several starts (params and MACs
 * grow with each layer's width and kernel, so this finds the smallest configurations).
 */
export function checkStaticFeasibility(template: Template, opts: TemplateOptions, space: SearchSpace, spec: RewardSpec, baseline: ConfigValues): ConfigValues {
  const constraints = spec.constraints.filter((c) => STATIC_METRICS.includes(c.metric));
  const probe = (config: Configuration): Probe => {
    try {
      const cost = summarize(template.instantiate(valuesOf(space, config), opts));
      const metrics = { params: cost.params, macs: cost.macs };
      return { config, score: violation(constraints, metrics), metrics };
    } catch (e) {
      return { config, score: Infinity, error: (e as Error).message.split('\n')[0] };
    }
  };
  const size = spaceSize(space);
  const closest = size <= EXHAUSTIVE ? exhaustive(space, probe) : descend(space, probe, baseline);
  if (closest.score === 0) return valuesOf(space, closest.config);
  const input = opts.input.join('x');
  if (!closest.metrics) {
    throw new ConfigError(`template: '${template.name}' cannot be built for input ${input} (images too small for it?): ${closest.error ?? 'no configuration builds'}`);
  }
  // With several bounds, the closest configuration shows how they pull against each other.
  const unmet = constraints.length > 1 ? constraints : constraints.filter((c) => violation([c], closest.metrics as Metrics) > 0);
  const found = size <= EXHAUSTIVE ? `the closest of the ${size} configurations of ${template.name} for input ${input}` : `the closest configuration of ${template.name} for input ${input} that coordinate descent on the cost model finds`;
  const has = unmet.map((c) => `${c.metric} ${(closest.metrics as Metrics)[c.metric]?.toLocaleString('en-US')}`).join(', ');
  throw new ConfigError(`${unmet.map((c) => field(spec, c)).join(' and ')} cannot be met${unmet.length > 1 ? ' together' : ''}: ${found} has ${has} (${canonicalJson(valuesOf(space, closest.config))})`);
}

function exhaustive(space: SearchSpace, probe: (c: Configuration) => Probe): Probe {
  let best: Probe | undefined;
  const config = space.slots.map(() => 0);
  for (;;) {
    const p = probe([...config]);
    if (!best || p.score < best.score || (!best.metrics && p.metrics)) best = p;
    if (best.score === 0) return best;
    let i = 0;
    while (i < config.length && ++config[i] === space.slots[i].choices.length) config[i++] = 0;
    if (i === config.length) return best;
  }
}

function descend(space: SearchSpace, probe: (c: Configuration) => Probe, baseline: ConfigValues): Probe {
  const n = space.slots.map((s) => s.choices.length);
  const baselineConfig = space.slots.map((s) => Math.max(0, s.choices.findIndex((c) => canonicalJson(c) === canonicalJson(baseline[s.name]))));
  let seed = 1;
  const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  const starts = [baselineConfig, n.map(() => 0), n.map((k) => k - 1), ...Array.from({ length: 3 }, () => n.map((k) => Math.floor(random() * k)))];
  let best: Probe | undefined;
  for (const start of starts) {
    let current = probe(start);
    for (let round = 0; round < 10 && current.score > 0; round++) {
      const before = current.score;
      for (let i = 0; i < n.length && current.score > 0; i++) {
        for (let k = 0; k < n[i]; k++) {
          if (k === current.config[i]) continue;
          const p = probe(current.config.map((c, j) => (j === i ? k : c)));
          if (p.score < current.score) current = p;
        }
      }
      if (current.score === before) break;
    }
    if (!best || current.score < best.score || (!best.metrics && current.metrics)) best = current;
    if (best.score === 0) break;
  }
  return best as Probe;
}

/** No feasible result: after INFEASIBLE_LIMIT trained evaluations, or at the end of the budget. */
export class NoFeasibleError extends Error {
  readonly userError = true;
  constructor(message: string) {
    super(message);
    this.name = 'NoFeasibleError';
  }
}

/** Trained evaluations (not cached, not rejected on the cost model) that were infeasible. */
const trainedInfeasible = (records: EvaluationRecord[]) => records.filter((r) => r.status === 'infeasible' && !r.skipped && r.cachedFrom === undefined);

/** Nothing feasible so far, and enough tried to stop: INFEASIBLE_LIMIT trained evaluations or INFEASIBLE_PROPOSALS_LIMIT proposals. */
export function hopeless(records: EvaluationRecord[]): boolean {
  if (records.some((r) => r.status === 'ok')) return false;
  return trainedInfeasible(records).length >= INFEASIBLE_LIMIT || records.filter((r) => r.status === 'infeasible').length >= INFEASIBLE_PROPOSALS_LIMIT;
}

/**
 * Why a search found nothing feasible, in one line: each unmet constraint and the closest value
 * seen, and `witness`, a configuration the cost model says meets the constraints on params/MACs.
 */
export function noFeasibleMessage(records: EvaluationRecord[], spec: RewardSpec, witness: ConfigValues | undefined): string {
  const failed = records.filter((r) => r.status === 'failed');
  const head = hopeless(records) ? `stopped after ${records.length} episodes without a feasible configuration` : `no feasible configuration in ${records.length} episodes`;
  const parts: string[] = [];
  const infeasible = records.filter((r) => r.status === 'infeasible' && r.cachedFrom === undefined);
  for (const c of spec.constraints) {
    const values = infeasible.map((r) => r.metrics[c.metric]).filter((v): v is number => typeof v === 'number');
    const unmet = values.filter((v) => (c.max !== undefined && v > c.max) || (c.min !== undefined && v < c.min));
    if (!unmet.length) continue;
    const closest = c.max !== undefined && unmet.some((v) => v > (c.max as number)) ? Math.min(...values) : Math.max(...values);
    parts.push(`${field(spec, c)} unmet ${unmet.length} times, closest ${Number(closest.toPrecision(4))}`);
  }
  const other = trainedInfeasible(records).find((r) => !r.violations.some((v) => v.includes('constraint violated')));
  if (other) parts.push(other.violations[0]);
  if (failed.length) parts.push(`${failed.length} failed (${failed[0].error})`);
  const diverged = records.filter((r) => r.status === 'diverged').length;
  if (diverged) parts.push(`${diverged} diverged (the training loss became non-finite)`);
  const rare = witness && records.every((r) => r.skipped) ? `; configurations that meet the constraints on params/MACs exist (e.g. ${canonicalJson(witness)}) but are rare in this space` : '';
  return `${head}${parts.length ? `: ${parts.join('; ')}` : ''}${rare}; loosen the constraints or change the objectives`;
}
