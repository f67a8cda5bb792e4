import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { main } from '../main';

function table() {
  const rows = [];
  for (let i = 0; i < 27; i++) {
    const choice = [i % 3, Math.floor(i / 3) % 3, Math.floor(i / 9)];
    rows.push({ choice, metrics: { accuracy: 0.5 + choice[0] / 10 + choice[1] / 100, latencyMs: 1 + choice[2], accuracy12: 0.4 + choice[0] / 10 } });
  }
  const slots = ['a', 'b', 'c'].map((name) => ({ name, choices: [8, 16, 32] }));
  return { name: 'tiny', objective: { objectives: [{ metric: 'accuracy', goal: 'max' }, { metric: 'latencyMs', target: 1, weight: -0.5 }] }, slots, rows };
}

async function run(args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(['bench', 'search', ...args], { out: (t) => out.push(t), err: (t) => err.push(t), isTTY: false });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

let file: string;
beforeAll(() => {
  file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'bench-search-')), 'tiny.json');
  fs.writeFileSync(file, JSON.stringify(table()));
});

test('--json prints one document with the figures of each algorithm, scored with the table\'s objective', async () => {
  const r = await run(['--table', file, '--algorithms', 'marl,random', '--budget', '12', '--repeats', '3', '--seed', '2', '--json']);
  expect(r.code).toBe(0);
  expect(r.err).toBe('');
  const doc = JSON.parse(r.out);
  expect(Object.keys(doc.results)).toEqual(['marl', 'random']);
  expect(doc.optimum).toBeCloseTo(0.72, 12); // [2, 2, 0]: accuracy 0.72 at latency 1
  expect(doc.results.marl).toMatchObject({ evalsToTop1pct: expect.any(Number), bestReward: { '10': expect.any(Object), '12': expect.any(Object) } });
  const plain = await run(['--table', file, '--budget', '12', '--repeats', '2', '--objective', '[{"metric":"accuracy","goal":"max"}]']);
  expect(plain.code).toBe(0);
  expect(plain.out).toMatch(/tiny: 27 rows of 27 configurations; optimum 0\.7200/);
  expect(plain.out).toMatch(/^evolution\s/m);
});

test('--screen charges screens and promotions in full-evaluation units; --checkpoints sets where regret is reported', async () => {
  const r = await run(['--table', file, '--algorithms', 'random', '--budget', '12', '--repeats', '20', '--seed', '1', '--screen', 'accuracy12:0.25', '--promote', '0.5', '--min-screened', '2', '--checkpoints', '3,6', '--json']);
  expect(r.code).toBe(0);
  const doc = JSON.parse(r.out);
  expect(doc.screen).toEqual({ column: 'accuracy12', replaces: 'accuracy', cost: 0.25, promote: 0.5, minScreened: 2 });
  expect(doc.checkpoints).toEqual([3, 6, 12]);
  const x = doc.results.random;
  expect(x.screens * 0.25 + x.promotions).toBeGreaterThanOrEqual(12);
  expect(x.screens * 0.25 + x.promotions).toBeLessThan(12 + 1.25);
  const text = await run(['--table', file, '--budget', '12', '--repeats', '2', '--screen', 'accuracy=accuracy12:0.25']);
  expect(text.out).toMatch(/repeats of 12 full evaluations of cost \(screening on accuracy12 at 0\.25 each, top 0\.3 promoted\)/);
});

const cases: [string[], RegExp][] = [
  [[], /^marl-hpo: --table: required/],
  [['--table', '/nonexistent.json'], /^marl-hpo: \/nonexistent\.json: cannot read \(ENOENT\)$/],
  [['--objective', '[{"metric":"speed","goal":"max"}]'], /^marl-hpo: --objective: objectives\[0\]\.metric: 'speed' is not produced by table tiny \(metrics: accuracy, latencyMs, accuracy12\)$/],
  [['--screen', 'accuracy13:0.1'], /^marl-hpo: screen: 'accuracy13' is not a column of table tiny \(metrics: accuracy, latencyMs, accuracy12\)$/],
  [['--screen', 'accuracy12:2'], /^marl-hpo: --screen: expected \[<metric>=\]<column>:<cost>, cost in \(0, 1\]/],
  [['--promote', '0.5'], /^marl-hpo: --promote needs --screen$/],
  [['--checkpoints', '5,x'], /^marl-hpo: --checkpoints: expected comma-separated integers >= 1/],
  [['--objective', '[{"metric":"accuracy","goal":"up"}]'], /^marl-hpo: --objective: objectives\[0\]\.goal: expected 'max' or 'min', got "up"$/],
  [['--algorithms', 'marl,bayes'], /^marl-hpo: --algorithms: unknown 'bayes'/],
  [['--agent-options', '{"marl":{"gamma":2}}'], /^marl-hpo: options\.gamma: expected a number in \[0, 1\]/],
  [['--budget', '0'], /^marl-hpo: --budget: expected an integer >= 1/],
];

test.each(cases)('user errors exit 2 with one line: %j', async (args, message) => {
  // The tiny table unless the case names its own (or none).
  const withTable = args.length === 0 || args.includes('--table') ? args : ['--table', file, '--repeats', '1', ...args];
  const r = await run(withTable);
  expect(r.code).toBe(2);
  expect(r.err).toMatch(message);
  expect(r.err.split('\n')).toHaveLength(1);
});
