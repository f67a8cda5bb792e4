import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { computeReward, parseRewardSpec } from '@marl-hpo/search';
import { randomEquivalentEvals, runSearchBench, summarize } from './run';
import { smallTable } from './fixtures';
import { parseTable, type BenchTable } from './table';

// tools/bench/tpe_table.py writes the reward and the statistics again in Python; both must agree,
// or TPE's figures would not compare with the TypeScript algorithms'.
const script = path.join(__dirname, '../../../tools/bench/tpe_table.py');
const python = (args: string[], input?: string) => execFileSync('/usr/bin/python3', [script, ...args], { input, encoding: 'utf8' });

function mixedTable(): BenchTable {
  const rows: BenchTable['rows'] = [];
  let s = 17;
  const rand = () => ((s = (s * 1103515245 + 12345) % 2147483648) / 2147483648);
  for (let i = 0; i < 60; i++) {
    const choice = [i % 5, Math.floor(i / 5) % 4, Math.floor(i / 20)];
    const metrics: Record<string, number> = { accuracy: 0.4 + 0.6 * rand(), latencyMs: 0.2 + 3 * rand(), params: Math.round(10000 * rand()), loss: 0.05 + rand() };
    if (i % 13 === 0) delete metrics.loss; // unmeasured
    if (i === 7) metrics.latencyMs = 0; // outside the soft target's domain
    rows.push(i % 11 === 5 ? { choice, metrics, error: 'out of memory' } : { choice, metrics });
  }
  return parseTable({ name: 'mixed', slots: [{ name: 'a', choices: [0, 1, 2, 3, 4] }, { name: 'b', choices: [0, 1, 2, 3] }, { name: 'c', choices: [0, 1, 2] }], rows });
}

const objective = parseRewardSpec({
  objectives: [
    { metric: 'accuracy', goal: 'max' },
    { metric: 'latencyMs', target: 1.5, weight: -0.3 },
    { metric: 'loss', goal: 'min' },
  ],
  constraints: [{ metric: 'params', max: 8000 }, { metric: 'accuracy', min: 0.5 }],
});

function expectClose(actual: unknown, expected: unknown, where = ''): void {
  if (typeof expected === 'number') {
    expect([where, Math.abs((actual as number) - expected) <= 1e-12 * Math.max(1, Math.abs(expected))]).toEqual([where, true]);
  } else if (expected && typeof expected === 'object') {
    expect(Object.keys(actual as object).sort()).toEqual(Object.keys(expected).sort());
    for (const [k, v] of Object.entries(expected)) expectClose((actual as Record<string, unknown>)[k], v, `${where}.${k}`);
  } else {
    expect(actual).toEqual(expected);
  }
}

test('the Python reward and statistics equal the TypeScript ones', () => {
  const table = mixedTable();
  const rewards = table.rows.map((r) => computeReward(objective, r.metrics, r.error).reward);
  expect(rewards.filter((r) => r === 0).length).toBeGreaterThan(10); // every failure path is exercised
  expect(rewards.filter((r) => r > 0).length).toBeGreaterThan(10);
  let s = 5;
  const traces = Array.from({ length: 7 }, (_, i) => Array.from({ length: i === 3 ? 12 : 30 }, () => rewards[(s = (s * 31 + 7) % 60)]));
  const [budget, optimum, threshold] = [30, Math.max(...rewards), [...rewards].sort((a, b) => b - a)[2]];
  const pools = [true, false].flatMap((withReplacement) => [0.3, 0.6, 0.8, 0.95, 1].map((f) => ({ values: rewards, target: f * optimum, withReplacement, cap: 40 })));
  const checkpoints = [5, 20, 29];
  const py = JSON.parse(python(['--check'], JSON.stringify({ table, objective, traces, budget, optimum, threshold, pools, checkpoints })));
  expectClose(py.rewards, rewards, 'rewards');
  expectClose(py.summary, summarize(traces, budget, optimum, threshold, checkpoints), 'summary');
  expect(Object.keys(py.summary.bestReward)).toEqual(['5', '20', '29', '30']);
  // Python uses log-gamma binomials, TypeScript running products: equal to rounding.
  const ours = pools.map((q) => randomEquivalentEvals(q.values, q.target, q.withReplacement, q.cap));
  expect(ours.filter((x) => x !== null && x > 1.5).length).toBeGreaterThan(4);
  expect(ours.filter((x) => x === null).length).toBeGreaterThan(0);
  ours.forEach((x, i) => (x === null ? expect(py.randomEquivalents[i]).toBeNull() : expect(py.randomEquivalents[i]).toBeCloseTo(x, 8)));
});

test('tpe_table.py runs Optuna TPE, categorical or integer-coded, on tables with any columns, and prints the JSON of bench search', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tpe-'));
  const file = path.join(dir, 'small.json');
  // An extra column, as the NB201 tables have: a cheap proxy of accuracy.
  const table = smallTable();
  for (const r of table.rows) if (!r.error) r.metrics.accuracy12 = (r.metrics.accuracy ?? 0) - 0.1 * r.choice[3];
  fs.writeFileSync(file, JSON.stringify(table));
  const objective = { objectives: [{ metric: 'accuracy12', goal: 'max' }], constraints: [{ metric: 'params', max: 2500 }] };
  const args = ['--table', file, '--budget', '12', '--repeats', '2', '--seed', '4', '--accounting', 'evaluations', '--objective', JSON.stringify(objective)];
  const ts = runSearchBench(table, { algorithms: ['random'], budget: 12, repeats: 2, seed: 4, objective: parseRewardSpec(objective), accounting: 'evaluations' });
  const { results: tsResults, ...tsHead } = ts;
  expect(ts.optimum).toBeCloseTo(0.5 + 0.3 + 0.01 + 0.003, 12); // [3, 1, 3, 0]: params <= 2500, accuracy12 best with slot d = 0
  for (const coding of ['categorical', 'int']) {
    const py = JSON.parse(python([...args, '--coding', coding]));
    const { results: pyResults, ...pyHead } = py;
    expectClose(pyHead, tsHead, 'head');
    const name = `optuna-${coding}`;
    expect(Object.keys(pyResults)).toEqual([name]);
    const r = pyResults[name];
    expect(Object.keys(r).sort()).toEqual(Object.keys(tsResults.random).sort());
    expect(r.options.coding).toBe(coding);
    expect(r.bestReward['12'].mean).toBeGreaterThan(0.5);
    expect(r.proposals).toBeGreaterThan(12); // rejected and repeated configurations were free
    expect(r.failedFraction).toBeLessThan(0.1); // only the failed training run [0,0,0,0] can cost
  }
  fs.rmSync(dir, { recursive: true });
});
