import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { readJournal } from '@marl-hpo/search';
import { runExperiment } from './run';

// The experiment machinery with the synthetic evaluator: baseline once, every algorithm x seed at
// the same budget, resumable, a results table whose numbers follow from the journals.
test('an experiment trains the baseline once, runs every algorithm and seed, and tabulates the journals', async () => {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'experiment-'));
  const opts = { out, synthetic: true, budget: 6, seeds: 2, algorithms: ['marl', 'random'], multiFidelity: true };
  const summary = await runExperiment('vgg-fmnist', opts);
  expect(summary.variants.map((v) => v.variant)).toEqual(['marl', 'random', 'marl+mf']);
  for (const v of summary.variants) expect(v.runs).toBe(2);
  const base = JSON.parse(fs.readFileSync(path.join(out, 'baseline.json'), 'utf8')).baseline;
  expect(base.metrics.params).toBe(summary.baseline.metrics.params);
  expect(base.values.b1c1).toEqual({ filters: 64, kernel: 3 });
  expect(fs.existsSync(path.join(out, 'baseline.onnx'))).toBe(true);

  // Numbers follow from the journals: size ratio of marl-s0's best model.
  const records = readJournal(path.join(out, 'runs', 'marl-s0', 'journal.jsonl')).records;
  const best = records.filter((r) => r.status === 'ok').sort((a, b) => b.reward - a.reward)[0];
  const marl = summary.variants[0];
  const other = readJournal(path.join(out, 'runs', 'marl-s1', 'journal.jsonl')).records.filter((r) => r.status === 'ok').sort((a, b) => b.reward - a.reward)[0];
  expect(marl.sizeRatio.mean).toBeCloseTo((base.metrics.params / best.metrics.params! + base.metrics.params / other.metrics.params!) / 2, 6);
  expect(marl.evaluations.mean).toBe(6);
  // Every search kept the params constraint: 20x smaller than the baseline.
  for (const r of records.filter((x) => x.status === 'ok')) expect(r.metrics.params! * 20).toBeLessThanOrEqual(base.metrics.params);
  // Multi-fidelity trains fewer configurations fully (only the promoted screens; which ones they
  // are, and so the seconds, depends on the search).
  const fullTrainings = (variant: string) =>
    [0, 1].reduce((n, s) => n + readJournal(path.join(out, 'runs', `${variant}-s${s}`, 'journal.jsonl')).records.filter((r) => !r.screen && !r.skipped && r.cachedFrom === undefined).length, 0);
  expect(fullTrainings('marl+mf')).toBeLessThan(fullTrainings('marl'));
  expect(fs.readFileSync(path.join(out, 'results.md'), 'utf8')).toMatch(/\| marl \| 2 \|/);
  // Final training: the baseline and every run's best model, cached by configuration.
  expect(summary.final.baseline).toBeGreaterThan(0);
  expect(Object.keys(summary.final.runs).sort()).toEqual(['marl+mf-s0', 'marl+mf-s1', 'marl-s0', 'marl-s1', 'random-s0', 'random-s1']);
  expect(Object.keys(JSON.parse(fs.readFileSync(path.join(out, 'final.json'), 'utf8'))).length).toBeGreaterThanOrEqual(2);
  expect(marl.finalQuality.n).toBe(2);

  // Running it again resumes every finished search (nothing is evaluated twice) and gives the same table.
  const again = await runExperiment('vgg-fmnist', opts);
  expect(again.variants.map((v) => v.bestReward)).toEqual(summary.variants.map((v) => v.bestReward));
  expect(readJournal(path.join(out, 'runs', 'marl-s0', 'journal.jsonl')).records).toHaveLength(records.length);
});

test('an unknown experiment is a user error listing the known ones', async () => {
  await expect(runExperiment('resnet-imagenet', { out: os.tmpdir() })).rejects.toThrow("unknown experiment 'resnet-imagenet' (experiments: vgg-fmnist, inception-fmnist, unet-shapes)");
});

test('--no-final skips the final training and leaves its columns empty', async () => {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'experiment-'));
  const summary = await runExperiment('vgg-fmnist', { out, synthetic: true, budget: 3, seeds: 1, algorithms: ['random'], final: false });
  expect(fs.existsSync(path.join(out, 'final.json'))).toBe(false);
  expect(summary.variants[0].finalQuality.n).toBe(0);
  const md = fs.readFileSync(path.join(out, 'results.md'), 'utf8');
  expect(md).toMatch(/No final training/);
  expect(md).toMatch(/\| random \| 1 \|( [^|]+ \|){2} - \|( [^|]+ \|){4} - \|/);
});
