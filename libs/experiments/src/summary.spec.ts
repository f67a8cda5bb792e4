import { randomEquivalentEvals } from '@marl-hpo/bench';
import type { EvaluationRecord } from '@marl-hpo/search';
import { presets } from './presets';
import { summarizeExperiment, type RunSummary } from './summary';
import type { BaselineResult } from './types';

const baseline: BaselineResult = { values: {}, metrics: { accuracy: 0.6, params: 1e6, latencyMs: 1, trainSeconds: 10 }, timings: {} };

function run(variant: string, seed: number, rewards: number[], extra: Partial<EvaluationRecord>[] = []): RunSummary {
  const record = (reward: number, episode: number, more: Partial<EvaluationRecord> = {}): EvaluationRecord => ({
    type: 'evaluation', episode, config: [episode], values: {}, fidelity: { epochs: 1 }, status: reward > 0 ? 'ok' : 'failed',
    metrics: { accuracy: reward, params: 40000, latencyMs: 0.1, trainSeconds: 1 }, reward, violations: [], timings: {}, time: '', ...more,
  });
  const records = [...rewards.map((r, i) => record(r, i)), ...extra.map((e, i) => record(e.reward ?? 0, rewards.length + i, e))];
  return { variant, seed, records, wallSeconds: 1, budget: rewards.length };
}

test('random-equivalent evaluations: the random runs\' costly evaluations, pooled, are the draws', () => {
  const randomRewards = [[0.5, 0.6, 0.0, 0.7], [0.55, 0.65, 0.75, 0.6], [0.4, 0.8, 0.62, 0.58]];
  // A cached repeat and a skipped proposal cost nothing: not draws, whatever their reward.
  const free: Partial<EvaluationRecord>[] = [{ cachedFrom: 0, reward: 0.5 }, { skipped: true, status: 'infeasible', reward: 0 }];
  const runs = [
    ...randomRewards.map((r, s) => run('random', s, r, s === 0 ? free : [])),
    run('marl', 0, [0.6, 0.79, 0.7, 0.75]),
    run('marl', 1, [0.7, 0.78, 0.6, 0.5]),
  ];
  const s = summarizeExperiment(presets[0], baseline, runs, { trainLimit: 1, epochs: 1, baseline: NaN, runs: {} });
  const [marl, random] = ['marl', 'random'].map((v) => s.variants.find((x) => x.variant === v)!);
  const pool = randomRewards.flat();
  expect(random.randomEquivalentEvals!.mean).toBeCloseTo(randomEquivalentEvals(pool, random.bestReward.mean, true, 80)!, 12);
  expect(marl.randomEquivalentEvals!.mean).toBeCloseTo(randomEquivalentEvals(pool, marl.bestReward.mean, true, 80)!, 12);
  // marl's mean best (0.785) is near the pool's maximum (0.8): random search needs more draws for it.
  expect(marl.randomEquivalentEvals!.mean!).toBeGreaterThan(random.randomEquivalentEvals!.mean!);
  expect(random.randomEquivalentEvals!.low!).toBeLessThan(random.randomEquivalentEvals!.mean!);
  expect(s.markdown).toMatch(/\| random-equivalent evals \|/);
  // Without random runs there is nothing to compare with.
  const alone = summarizeExperiment(presets[0], baseline, runs.slice(3), { trainLimit: 1, epochs: 1, baseline: NaN, runs: {} });
  expect(alone.variants[0].randomEquivalentEvals).toBeNull();
});
