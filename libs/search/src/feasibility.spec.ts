import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { getTemplate, summarize, type ConfigValues } from '@marl-hpo/arch';
import { checkStaticFeasibility, INFEASIBLE_LIMIT, NoFeasibleError } from './feasibility';
import { parseConfig, readJournal, runSearch, SyntheticEvaluator, type SearchConfigInput } from './index';
import type { RewardSpec } from './reward';

const vgg = getTemplate('vgg');
const opts = { input: [28, 28, 1] as [number, number, number], classes: 10 };
const space = vgg.space(opts);
const spec = (constraints: RewardSpec['constraints']): RewardSpec => ({ objectives: [{ metric: 'accuracy', goal: 'max' }], constraints });
const check = (constraints: RewardSpec['constraints']) => checkStaticFeasibility(vgg, opts, space, spec(constraints), vgg.baseline(opts));
const cost = (values: ConfigValues) => summarize(vgg.instantiate(values, opts));

// The smallest VGG: every slot at its narrowest choice (params and MACs grow with each width and
// kernel), built directly here, independently of the coordinate descent under test.
const narrowest: ConfigValues = Object.fromEntries(space.slots.map((s) => [s.name, s.choices.map((c) => ({ c, p: cost({ ...vgg.baseline(opts), [s.name]: c }).params })).sort((a, b) => a.p - b.p)[0].c]));

test('a params bound below the smallest configuration is refused up front, naming the constraint and the smallest', () => {
  const min = cost(narrowest).params;
  expect(() => check([{ metric: 'params', max: min - 1 }])).toThrow(`constraints[0] (params max ${min - 1}) cannot be met: the closest configuration of vgg for input 28x28x1 that coordinate descent on the cost model finds has params ${min.toLocaleString('en-US')}`);
  const witness = check([{ metric: 'params', max: min }]);
  expect(cost(witness).params).toBeLessThanOrEqual(min);
});

test('bounds that conflict (few params, many MACs) are refused together; bounds both met give a witness', () => {
  expect(() => check([{ metric: 'params', max: 10_000 }, { metric: 'macs', min: 5e7 }])).toThrow(/^constraints\[0\] \(params max 10000\) and constraints\[1\] \(macs min 50000000\) cannot be met together: the closest configuration .* has params [\d,]+, macs [\d,]+ \(\{"b1c1"/);
  expect(() => check([{ metric: 'params', max: 1e9 }, { metric: 'macs', min: 1e12 }])).toThrow(/^constraints\[0\] \(params max 1000000000\) and constraints\[1\] \(macs min 1000000000000\) cannot be met together/);
  const w = check([{ metric: 'params', max: 100_000 }, { metric: 'macs', min: 5e6 }]);
  expect(cost(w).params).toBeLessThanOrEqual(100_000);
  expect(cost(w).macs).toBeGreaterThanOrEqual(5e6);
  // Constraints on measured metrics are not decided here.
  expect(check([{ metric: 'latencyMs', max: 1e-9 }])).toEqual(vgg.baseline(opts));
});

test('a small space is checked configuration by configuration', () => {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'feasible-')), 'tiny.json');
  fs.writeFileSync(file, JSON.stringify({
    name: 'tiny', task: 'classification', input: [8, 8, 1], classes: 2,
    slots: [{ name: 'c1', choices: [4, 8, 16] }, { name: 'k', choices: [1, 3] }], baseline: { c1: 8, k: 3 },
    layers: [{ kind: 'conv2d', name: 'c1', filters: { slot: 'c1' }, kernel: { slot: 'k' } }, { kind: 'globalAvgPool', name: 'g' }, { kind: 'dense', name: 'logits', units: 2, activation: 'linear' }],
  }));
  const t = getTemplate(`custom:${file}`);
  const params = [4, 8, 16].flatMap((c1) => [1, 3].map((k) => c1 * k * k + c1 + c1 * 2 + 2));
  const min = Math.min(...params);
  const s = t.space();
  expect(() => checkStaticFeasibility(t, t.defaults, s, spec([{ metric: 'params', max: min - 1 }]), t.baseline())).toThrow(`constraints[0] (params max ${min - 1}) cannot be met: the closest of the 6 configurations of tiny for input 8x8x1 has params ${min}`);
  expect(checkStaticFeasibility(t, t.defaults, s, spec([{ metric: 'params', max: min }]), t.baseline())).toEqual({ c1: 4, k: 1 });
});

test('images too small for the template: refused before any training', async () => {
  const tiny = { input: [1, 1, 1] as [number, number, number], classes: 10 };
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'feasible-'));
  const evaluator = new SyntheticEvaluator({ ...tiny, task: 'classification' });
  const config = parseConfig({ template: 'vgg', dataset: 'builtin:mnist', budget: { episodes: 5 }, objectives: [{ metric: 'accuracy', goal: 'max' }] });
  await expect(runSearch(config, { out, evaluator })).rejects.toThrow(/^template: 'vgg' cannot be built for input 1x1x1 \(images too small for it\?\): layer 'b1pool' \(maxPool\): spatial size 1/);
  expect(evaluator.evaluations).toBe(0);
  expect(readJournal(path.join(out, 'journal.jsonl')).records).toEqual([]);
});

const base: SearchConfigInput = {
  template: 'vgg', dataset: 'builtin:mnist', budget: { episodes: 60 }, seed: 2,
  objectives: [{ metric: 'accuracy', goal: 'max' }, { metric: 'latencyMs', target: 0.5, weight: -0.07 }],
};

test(`a measured constraint nothing meets stops the search after ${INFEASIBLE_LIMIT} trained evaluations with a clear error; the journal keeps them`, async () => {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'feasible-'));
  const evaluator = new SyntheticEvaluator({ ...opts, task: 'classification' });
  const config = parseConfig({ ...base, constraints: [{ metric: 'latencyMs', max: 0.001 }] });
  await expect(runSearch(config, { out, evaluator })).rejects.toThrow(NoFeasibleError);
  await expect(runSearch(config, { out, resume: true, evaluator })).rejects.toThrow(/^stopped after \d+ episodes without a feasible configuration: constraints\[0\] \(latencyMs max 0\.001\) unmet 20 times, closest 0\.\d+; loosen the constraints or change the objectives$/);
  const { records } = readJournal(path.join(out, 'journal.jsonl'));
  expect(records.filter((r) => !r.skipped && r.cachedFrom === undefined)).toHaveLength(INFEASIBLE_LIMIT);
  expect(evaluator.evaluations).toBe(INFEASIBLE_LIMIT);
});

test('a budget that ends with no feasible configuration is an error, not a result', async () => {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'feasible-'));
  const config = parseConfig({ ...base, budget: { episodes: 3 }, constraints: [{ metric: 'accuracy', min: 0.999 }] });
  await expect(runSearch(config, { out, evaluator: new SyntheticEvaluator({ ...opts, task: 'classification' }) })).rejects.toThrow(/^no feasible configuration in 3 episodes: constraints\[0\] \(accuracy min 0\.999\) unmet 3 times, closest 0\.\d+;/);
});
