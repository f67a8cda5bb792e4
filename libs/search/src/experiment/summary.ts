import { countsAgainstBudget, isFullFidelity, type EvaluationRecord } from '../journal';
import type { ExperimentPreset } from './presets';
import type { BaselineResult } from './run';

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
  /** Training seconds summed over the search (its compute cost). */
  searchTrainSeconds: Stat;
  searchWallSeconds: Stat;
}

export interface ExperimentSummary {
  experiment: string;
  description: string;
  goal: string;
  baseline: BaselineResult;
  variants: VariantSummary[];
  markdown: string;
}

function stat(xs: number[]): Stat {
  const n = xs.length;
  const mean = xs.reduce((a, b) => a + b, 0) / Math.max(1, n);
  const sd = n > 1 ? Math.sqrt(xs.reduce((a, x) => a + (x - mean) ** 2, 0) / (n - 1)) : 0;
  return { mean, ci95: n > 1 ? (1.96 * sd) / Math.sqrt(n) : 0, n };
}

const qualityOf = (m: EvaluationRecord['metrics']) => m.accuracy ?? m.mIoU ?? NaN;

function bestOf(records: EvaluationRecord[]): EvaluationRecord | undefined {
  let best: EvaluationRecord | undefined;
  for (const r of records) if (r.status === 'ok' && isFullFidelity(r) && (!best || r.reward > best.reward)) best = r;
  return best;
}

export function summarizeExperiment(preset: ExperimentPreset, baseline: BaselineResult, runs: RunSummary[]): ExperimentSummary {
  const b = baseline.metrics;
  const variants = [...new Set(runs.map((r) => r.variant))].map((variant): VariantSummary => {
    const mine = runs.filter((r) => r.variant === variant);
    const per = mine.map((run) => {
      const best = bestOf(run.records);
      let evaluations = 0;
      let reachedAt: number | undefined;
      for (const r of run.records) {
        if (countsAgainstBudget(r)) evaluations++;
        if (reachedAt === undefined && isFullFidelity(r) && preset.goal.reached(r, b)) reachedAt = Math.max(1, evaluations);
      }
      const trainSeconds = run.records.filter((r) => r.cachedFrom === undefined).reduce((s, r) => s + (r.metrics.trainSeconds ?? 0), 0);
      return { best, evaluations, reachedAt, evalsToGoal: reachedAt ?? run.budget + 1, trainSeconds, wall: run.wallSeconds };
    });
    const withBest = per.filter((p) => p.best);
    const m = (f: (p: (typeof withBest)[number]) => number) => stat(withBest.map(f));
    return {
      variant,
      runs: mine.length,
      bestReward: m((p) => p.best!.reward),
      quality: m((p) => qualityOf(p.best!.metrics)),
      sizeRatio: m((p) => b.params / p.best!.metrics.params!),
      latencyRatio: m((p) => p.best!.metrics.latencyMs! / b.latencyMs),
      trainTimeRatio: m((p) => (p.best!.metrics.trainSeconds ?? NaN) / (b.trainSeconds ?? NaN)),
      evaluations: stat(per.map((p) => p.evaluations)),
      evalsToGoal: stat(per.map((p) => p.evalsToGoal)),
      reachedGoal: per.filter((p) => p.reachedAt !== undefined).length,
      searchTrainSeconds: stat(per.map((p) => p.trainSeconds)),
      searchWallSeconds: stat(per.map((p) => p.wall)),
    };
  });
  const summary = { experiment: preset.name, description: preset.description, goal: preset.goal.text, baseline, variants };
  return { ...summary, markdown: toMarkdown(summary) };
}

const f = (s: Stat, digits = 3) => (Number.isFinite(s.mean) ? `${s.mean.toFixed(digits)}${s.n > 1 ? ` ± ${s.ci95.toFixed(digits)}` : ''}` : '-');

function toMarkdown(s: Omit<ExperimentSummary, 'markdown'>): string {
  const b = s.baseline.metrics;
  const q = b.accuracy !== undefined ? 'accuracy' : 'mIoU';
  const lines = [
    `## ${s.experiment}`,
    '',
    s.description,
    '',
    `Baseline: ${q} ${qualityOf(b).toFixed(4)}, ${b.params.toLocaleString('en-US')} parameters, ${b.macs?.toLocaleString('en-US')} MACs, latency p50 ${b.latencyMs.toFixed(3)} ms (ort-cpu, 1 thread), training ${b.trainSeconds?.toFixed(1)} s.`,
    '',
    `Goal: ${s.goal}. Values are mean ± 95% CI over seeds; ratios are against the baseline.`,
    '',
    `| algorithm | runs | best ${q} | size (x smaller) | latency (x baseline) | train time (x baseline) | evaluations | evals to goal | reached goal | search train s | search wall s |`,
    '|---|---|---|---|---|---|---|---|---|---|---|',
    ...s.variants.map((v) =>
      `| ${v.variant} | ${v.runs} | ${f(v.quality, 4)} | ${f(v.sizeRatio, 1)} | ${f(v.latencyRatio, 3)} | ${f(v.trainTimeRatio, 3)} | ${f(v.evaluations, 1)} | ${f(v.evalsToGoal, 1)} | ${v.reachedGoal}/${v.runs} | ${f(v.searchTrainSeconds, 0)} | ${f(v.searchWallSeconds, 0)} |`,
    ),
    '',
  ];
  return lines.join('\n');
}
