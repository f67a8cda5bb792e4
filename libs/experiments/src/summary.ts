import { RANDOM_EQUIVALENT_CAP, randomEquivalentEvals } from '@marl-hpo/bench';
import { countsAgainstBudget, type EvaluationRecord, isFullFidelity, qualityOf } from '@marl-hpo/search';
import type { ExperimentPreset } from './presets';
import type { BaselineResult, FinalScores } from './types';

export interface RunSummary {
  variant: string;
  seed: number;
  records: EvaluationRecord[];
  wallSeconds: number;
  budget: number;
}

/** mean and 95% confidence half-width (normal approximation) of a sample. */
export interface Stat {
  mean: number;
  ci95: number;
  n: number;
}

export interface VariantSummary {
  variant: string;
  runs: number;
  bestReward: Stat;
  /** Accuracy (classification) or mIoU (segmentation) of each run's best model. */
  quality: Stat;
  /** Baseline parameters / best parameters. */
  sizeRatio: Stat;
  /** Best latency / baseline latency (p50, ort-cpu). */
  latencyRatio: Stat;
  /** Best model's training seconds / baseline's. */
  trainTimeRatio: Stat;
  evaluations: Stat;
  /** Evaluations until the first one reaching the goal (budget + 1 when none did). */
  evalsToGoal: Stat;
  reachedGoal: number;
  /** Quality of each run's best model after the final training. */
  finalQuality: Stat;
  /** Runs whose best model meets the goal after the final training (baseline also retrained). */
  reachedGoalFinal: number;
  /** Evaluations until a model within 2 points of the best quality any run of the experiment found (budget + 1 when none). */
  evalsToNearBest: Stat;
  /**
   * Evaluations random search needs, in expectation, to reach this variant's mean best reward
   * (and the ends of its 95% CI): the expected best of n draws from every costly evaluation of
   * the experiment's random runs (seeds pooled), inverted: an estimate from that sample.
   * Each null when beyond `cap` evaluations or above `randomBest` (no sample of random search
   * reached it); the whole field null where random search did not run.
   */
  randomEquivalentEvals: { mean: number | null; low: number | null; high: number | null; cap: number; randomBest: number } | null;
  /** Training seconds summed over the search (its compute cost). */
  searchTrainSeconds: Stat;
  searchWallSeconds: Stat;
}

export interface ExperimentSummary {
  experiment: string;
  description: string;
  goal: string;
  baseline: BaselineResult;
  final: FinalScores;
  /** The bar of evalsToNearBest: the best quality any run found, minus 2 points. */
  nearBestBar: number;
  variants: VariantSummary[];
  markdown: string;
}

function stat(xs: number[]): Stat {
  const n = xs.length;
  const mean = xs.reduce((a, b) => a + b, 0) / Math.max(1, n);
  const sd = n > 1 ? Math.sqrt(xs.reduce((a, x) => a + (x - mean) ** 2, 0) / (n - 1)) : 0;
  return { mean, ci95: n > 1 ? (1.96 * sd) / Math.sqrt(n) : 0, n };
}

/** Accuracy (classification) or mIoU (segmentation); NaN when neither was measured. */
const quality = (r: Pick<EvaluationRecord, 'metrics'>) => qualityOf(r) ?? NaN;

/** The run's best model at full fidelity: highest reward, the earliest on ties. */
export function bestOf(records: EvaluationRecord[]): EvaluationRecord | undefined {
  let best: EvaluationRecord | undefined;
  for (const r of records) if (r.status === 'ok' && isFullFidelity(r) && (!best || r.reward > best.reward)) best = r;
  return best;
}

export function summarizeExperiment(preset: ExperimentPreset, baseline: BaselineResult, runs: RunSummary[], final: FinalScores): ExperimentSummary {
  const b = baseline.metrics;
  const bestQualities = runs.flatMap((run) => bestOf(run.records) ?? []).map(quality);
  const nearBestBar = Math.max(...bestQualities) - 0.02;
  // What uniform random search draws: its runs' costly evaluations (failures score 0), all seeds.
  const randomPool = runs.filter((r) => r.variant === 'random').flatMap((r) => r.records.filter((e) => countsAgainstBudget(e) && isFullFidelity(e)).map((e) => e.reward));
  const randomBest = Math.max(...randomPool);
  const randomEquivalents = (reward: Stat, budget: number): VariantSummary['randomEquivalentEvals'] => {
    if (!randomPool.length || reward.n === 0) return null;
    const cap = RANDOM_EQUIVALENT_CAP * budget;
    const at = (target: number) => randomEquivalentEvals(randomPool, target, true, cap);
    return { mean: at(reward.mean), low: at(reward.mean - reward.ci95), high: at(reward.mean + reward.ci95), cap, randomBest };
  };
  const withQuality = (m: EvaluationRecord['metrics'], q: number) => ({ ...m, ...(m.accuracy !== undefined ? { accuracy: q } : { mIoU: q }) });
  const variants = [...new Set(runs.map((r) => r.variant))].map((variant): VariantSummary => {
    const mine = runs.filter((r) => r.variant === variant);
    const per = mine.map((run) => {
      const best = bestOf(run.records);
      let evaluations = 0;
      let reachedAt: number | undefined;
      let nearBestAt: number | undefined;
      for (const r of run.records) {
        if (countsAgainstBudget(r)) evaluations++;
        if (!isFullFidelity(r) || r.status !== 'ok') continue;
        if (reachedAt === undefined && preset.goal.reached(r, b)) reachedAt = Math.max(1, evaluations);
        if (nearBestAt === undefined && quality(r) >= nearBestBar) nearBestAt = Math.max(1, evaluations);
      }
      const finalQuality = final.runs[`${run.variant}-s${run.seed}`];
      const reachedFinal =
        best !== undefined && finalQuality !== undefined && preset.goal.reached({ ...best, metrics: withQuality(best.metrics, finalQuality) }, withQuality(b, final.baseline) as EvaluationRecord['metrics'] as typeof b);
      const trainSeconds = run.records.filter((r) => r.cachedFrom === undefined).reduce((s, r) => s + (r.metrics.trainSeconds ?? 0), 0);
      return { best, evaluations, reachedAt, evalsToGoal: reachedAt ?? run.budget + 1, nearBest: nearBestAt ?? run.budget + 1, finalQuality, reachedFinal, trainSeconds, wall: run.wallSeconds };
    });
    const withBest = per.filter((p) => p.best);
    const m = (f: (p: (typeof withBest)[number]) => number) => stat(withBest.map(f));
    const bestReward = m((p) => p.best!.reward);
    return {
      variant,
      runs: mine.length,
      bestReward,
      quality: m((p) => quality(p.best!)),
      sizeRatio: m((p) => b.params / p.best!.metrics.params!),
      latencyRatio: m((p) => p.best!.metrics.latencyMs! / b.latencyMs),
      trainTimeRatio: m((p) => (p.best!.metrics.trainSeconds ?? NaN) / (b.trainSeconds ?? NaN)),
      evaluations: stat(per.map((p) => p.evaluations)),
      evalsToGoal: stat(per.map((p) => p.evalsToGoal)),
      reachedGoal: per.filter((p) => p.reachedAt !== undefined).length,
      finalQuality: stat(per.map((p) => p.finalQuality).filter((q) => q !== undefined)),
      reachedGoalFinal: per.filter((p) => p.reachedFinal).length,
      evalsToNearBest: stat(per.map((p) => p.nearBest)),
      randomEquivalentEvals: randomEquivalents(bestReward, mine[0]?.budget ?? 0),
      searchTrainSeconds: stat(per.map((p) => p.trainSeconds)),
      searchWallSeconds: stat(per.map((p) => p.wall)),
    };
  });
  const summary = { experiment: preset.name, description: preset.description, goal: preset.goal.text, baseline, final, nearBestBar, variants };
  return { ...summary, markdown: toMarkdown(summary) };
}

const f = (s: Stat, digits = 3) => (s.n > 0 && Number.isFinite(s.mean) ? `${s.mean.toFixed(digits)}${s.n > 1 ? ` ± ${s.ci95.toFixed(digits)}` : ''}` : '-');

function equivalent(v: VariantSummary): string {
  const e = v.randomEquivalentEvals;
  if (!e) return '-';
  const one = (x: number | null, target: number) => (x !== null ? x.toFixed(1) : target > e.randomBest ? 'above' : `> ${e.cap}`);
  const { mean, ci95 } = v.bestReward;
  return `${one(e.mean, mean)} (${one(e.low, mean - ci95)} to ${one(e.high, mean + ci95)})`;
}

function toMarkdown(s: Omit<ExperimentSummary, 'markdown'>): string {
  const b = s.baseline.metrics;
  const q = b.accuracy !== undefined ? 'accuracy' : 'mIoU';
  const finalSkipped = Number.isNaN(s.final.baseline);
  const lines = [
    `## ${s.experiment}`,
    '',
    s.description,
    '',
    `Baseline: ${q} ${quality({ metrics: b }).toFixed(4)}, ${b.params.toLocaleString('en-US')} parameters, ${b.macs?.toLocaleString('en-US')} MACs, latency p50 ${b.latencyMs.toFixed(3)} ms (ort-cpu, 1 thread), training ${b.trainSeconds?.toFixed(1)} s.`,
    '',
    finalSkipped
      ? 'No final training (run with --no-final): the "final" columns are empty.'
      : `Final training (${s.final.trainLimit} images, ${s.final.epochs} epochs) of the baseline and of each search's best model: baseline ${q} ${s.final.baseline.toFixed(4)}.`,
    '',
    `Goal: ${s.goal}. The search maximises the reward (objectives of the config), not accuracy alone. "search" columns use the search's short training; "final" ones the final training. Values are mean ± 95% CI over seeds; ratios are against the baseline.`,
    '',
    `| algorithm | runs | best reward (search) | best ${q} (search) | ${q} (final) | size (x smaller) | latency (x baseline) | train time (x baseline) | goal (search) | goal (final) | evals to goal | evals to near-best | random-equivalent evals | search train s | search wall s |`,
    '|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|',
    ...s.variants.map((v) =>
      `| ${v.variant} | ${v.runs} | ${f(v.bestReward, 4)} | ${f(v.quality, 4)} | ${f(v.finalQuality, 4)} | ${f(v.sizeRatio, 1)} | ${f(v.latencyRatio, 3)} | ${f(v.trainTimeRatio, 3)} | ${v.reachedGoal}/${v.runs} | ${finalSkipped ? '-' : `${v.reachedGoalFinal}/${v.runs}`} | ${f(v.evalsToGoal, 1)} | ${f(v.evalsToNearBest, 1)} | ${equivalent(v)} | ${f(v.searchTrainSeconds, 0)} | ${f(v.searchWallSeconds, 0)} |`,
    ),
    '',
    `Every search had ${s.variants[0]?.evaluations.mean ?? 0} evaluations. "Evals to near-best": evaluations until a model (within the constraints) whose search ${q} is at least ${s.nearBestBar.toFixed(4)}, the best any run found minus 2 points (budget + 1 when never). "Random-equivalent evals": how many evaluations random search needs, in expectation, for the same mean best reward (in brackets: for the ends of its 95% CI), estimated from the rewards of all random-search evaluations of this experiment; above the budget means fewer evaluations than random search for the same result; "above": higher than any random-search evaluation, so not estimable from this sample.`,
    '',
  ];
  return lines.join('\n');
}
