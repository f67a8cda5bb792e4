import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { countsAgainstBudget, EXAMPLE_CONFIG, INFEASIBLE_LIMIT, readConfigFile, readJournal, type EvaluationRecord } from '@marl-hpo/search';
import sharp from 'sharp';
import { CLI, cli, ROOT, fileWriter } from './cli-helpers';

// The search command driven as a user would, with the synthetic evaluator (fast, deterministic)
// standing in for training; the real pipeline has its own end-to-end test.
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'search-cli-'));
const write = fileWriter(dir);
const synthetic = {
  template: 'vgg',
  dataset: 'builtin:mnist',
  budget: { episodes: 30 },
  objectives: [{ metric: 'accuracy', goal: 'max' }, { metric: 'latencyMs', target: 0.5, weight: -0.07 }],
  constraints: [{ metric: 'params', max: 1_000_000 }],
  seed: 5,
  synthetic: { sleepSeconds: 0.03 },
};
const oneClass = path.join(dir, 'one-class');
beforeAll(async () => {
  fs.mkdirSync(path.join(oneClass, 'cat'), { recursive: true });
  for (let i = 0; i < 3; i++) await sharp({ create: { width: 8, height: 8, channels: 3, background: { r: i * 40, g: 90, b: 10 } } }).png().toFile(path.join(oneClass, 'cat', `${i}.png`));
});
const comparable = (records: EvaluationRecord[]) => records.map(({ time: _t, timings: _s, ...r }) => r);

test('search --json prints one line per episode and writes the run folder', () => {
  const out = path.join(dir, 'json');
  const r = cli(['search', '--config', write('a.json', { ...synthetic, budget: { episodes: 6 }, constraints: [] }), '--out', out, '--json']);
  expect(r.code).toBe(0);
  const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
  expect(lines.map((l) => l.type)).toEqual([...Array(6).fill('episode'), 'done']);
  expect(lines.slice(0, 6).map((l) => l.episode)).toEqual([0, 1, 2, 3, 4, 5]);
  expect(lines[6].best.reward).toBe(Math.max(...lines.slice(0, 6).filter((l) => l.status === 'ok').map((l) => l.reward)));
  for (const f of ['config.json', 'journal.jsonl', 'agents.json', 'best.onnx', 'best.json', 'results.csv', 'pareto.json']) expect(fs.existsSync(path.join(out, f))).toBe(true);
  expect(r.stderr).toBe('');
});

test('progress in a log (stderr not a terminal): one plain line per evaluation, as the README shows; --quiet silences it', () => {
  const config = write('p.json', { ...synthetic, budget: { episodes: 5 } });
  const out = path.join(dir, 'progress');
  const r = cli(['search', '--config', config, '--out', out]);
  expect(r.code).toBe(0);
  const lines = r.stderr.trim().split('\n');
  expect(lines[0]).toBe(`marl search on vgg, input 28x28x1, 10 classes: 5 episodes -> ${out}`);
  // One line per evaluation, and one per configuration evaluated before (free, marked cached).
  const evaluations = lines.filter((l) => l.startsWith('evaluation ') && !l.includes('(cached from'));
  expect(evaluations).toHaveLength(5);
  evaluations.forEach((l, i) => expect(l).toMatch(new RegExp(`^evaluation ${i + 1}/5  #\\d+  reward [\\d.]+  best [\\d.]+ \\(#\\d+\\)  (acc [\\d.]+  [\\d.]+ ms  \\d+ params|infeasible: .*)  ETA \\d+s$`)));
  const { records } = readJournal(path.join(out, 'journal.jsonl'));
  expect(lines.filter((l) => l.startsWith('evaluation '))).toHaveLength(records.filter((x) => !x.skipped).length);
  expect(lines.filter((l) => !l.startsWith('evaluation ')).slice(1).every((l) => /^ {2}\(\d+ configurations? rejected by a hard constraint before training\)$/.test(l))).toBe(true);
  // No carriage returns or escape sequences: nothing is redrawn.
  expect(r.stderr.includes('\r') || r.stderr.includes('\u001b')).toBe(false);
  expect(r.stdout).toMatch(/^best: #\d+ in the journal/);

  const quiet = cli(['search', '--config', config, '--out', path.join(dir, 'quiet'), '--quiet']);
  expect(quiet.code).toBe(0);
  expect(quiet.stderr).toBe('');
  expect(quiet.stdout).toBe(r.stdout.replace(out, path.join(dir, 'quiet')));
});

test('constraints nothing meets: decided up front on the cost model, or after a bounded number of evaluations; one line, exit 2', () => {
  const params = cli(['search', '--config', write('imp.json', { ...synthetic, constraints: [{ metric: 'params', max: 10 }] }), '--out', path.join(dir, 'imp')]);
  expect(params.code).toBe(2);
  // The smallest VGG on 28x28: 1x1 convs of 4, 4, 8, 8, 16 x3, 32 x3 filters (3,484 params with
  // biases, +168 for batch norm, on by default), pooled to 1x1x32, then 32-32-10 dense (2,442).
  expect(params.stderr).toMatch(/^marl-hpo: constraints\[0\] \(params max 10\) cannot be met: the closest configuration of vgg for input 28x28x1 that coordinate descent on the cost model finds has params 6,094 \(\{"b1c1":\{"filters":4,"kernel":1\}.*\}\)\n$/);
  expect(fs.existsSync(path.join(dir, 'imp', 'journal.jsonl'))).toBe(false);

  const out = path.join(dir, 'imp-latency');
  const latency = cli(['search', '--config', write('imp2.json', { ...synthetic, budget: { episodes: 60 }, synthetic: {}, constraints: [{ metric: 'latencyMs', max: 0.001 }] }), '--out', out]);
  expect(latency.code).toBe(2);
  const lines = latency.stderr.trim().split('\n');
  expect(lines.filter((l) => l.startsWith('evaluation '))).toHaveLength(INFEASIBLE_LIMIT);
  expect(lines[lines.length - 1]).toMatch(/^marl-hpo: stopped after \d+ episodes without a feasible configuration: constraints\[0\] \(latencyMs max 0\.001\) unmet 20 times, closest 0\.\d+; loosen the constraints or change the objectives$/);
  expect(readJournal(path.join(out, 'journal.jsonl')).records.filter(countsAgainstBudget)).toHaveLength(INFEASIBLE_LIMIT);
});

test('init writes the commented example, which is a valid config; config --schema prints the JSON Schema', () => {
  const file = path.join(dir, 'init.json');
  expect(cli(['init', file]).code).toBe(0);
  expect(fs.readFileSync(file, 'utf8')).toBe(EXAMPLE_CONFIG);
  expect(readConfigFile(file).template).toBe('vgg');
  expect(fs.readFileSync(path.join(ROOT, 'examples/quickstart.json'), 'utf8')).toBe(EXAMPLE_CONFIG);
  expect(cli(['init', file]).code).toBe(2);
  const schema = JSON.parse(cli(['config', '--schema']).stdout);
  expect(schema.type).toBe('object');
  expect(Object.keys(schema.properties)).toEqual(expect.arrayContaining(['template', 'dataset', 'budget', 'objectives', 'constraints', 'trainer', 'profiler', 'algorithm', 'seed']));
});

test.each([
  ['missing file', ['--config', 'nope.json'], /^marl-hpo: nope\.json: cannot read config \(ENOENT\)/],
  ['malformed JSON', () => ['--config', write('bad.json', '{"template": ')], /bad\.json: malformed JSON/],
  ['field path', () => ['--config', write('f.json', { ...synthetic, objectives: [{ metric: 'accuracy', goal: 'up' }] })], /^marl-hpo: \S*f\.json: objectives\[0\]\.goal: expected 'max' or 'min', got "up"$/],
  ['constraint', () => ['--config', write('g.json', { ...synthetic, constraints: [{ metric: 'params', max: '1M' }] })], /^marl-hpo: \S*g\.json: constraints\[0\]\.max: expected a finite number, got "1M"$/],
  ['budget', () => ['--config', write('b.json', { ...synthetic, budget: { episodes: -1 } })], /b\.json: budget\.episodes: /],
  ['unwritable out', () => ['--config', write('ok.json', synthetic), '--out', path.join(write('file', 'x'), 'run')], /file\/run: cannot write the run folder \(ENOTDIR\)/],
  ['workers', () => ['--config', write('ok.json', synthetic), '--workers', '0'], /--workers: expected an integer >= 1/],
  // The real pipeline (no synthetic evaluator): the dataset is checked before any training.
  ['single-class dataset', () => ['--config', write('one.json', { ...synthetic, synthetic: undefined, dataset: `folder:${oneClass}` })], /: only class 'cat' has training images; classification needs at least 2 classes$/],
  [
    'huge dataset.shape',
    () => ['--config', write('huge.json', { ...synthetic, synthetic: undefined, dataset: { spec: 'builtin:mnist', shape: [100000, 100000, 1] } })],
    /^marl-hpo: dataset\.shape: \[100000, 100000, 1\] is 10000000000 values per image, more than the limit of 50331648 \(4096x4096x3\)$/,
  ],
])('bad input (%s): one line, exit 2', (_name, args, message) => {
  const r = cli(['search', ...(typeof args === 'function' ? args() : args)]);
  expect(r.code).toBe(2);
  expect(r.stderr.trim().split('\n')).toHaveLength(1);
  expect(r.stderr.trim()).toMatch(message);
});

// A metric nothing produces: refused once the evaluator (in this process, or in worker processes
// that load the real pipeline) has said what it produces, before any evaluation is journaled.
test.each([
  ['synthetic', {}, []],
  ['synthetic, 2 worker processes', {}, ['--workers', '2']],
  ['real pipeline, 2 worker processes', { synthetic: undefined, dataset: { spec: 'builtin:mnist', limit: { train: 64, val: 32 } } }, ['--workers', '2']],
])('a metric typo (%s): one line naming the field and the metrics produced, exit 2', (name, over, flags) => {
  const out = path.join(dir, `typo-${name.replace(/\W+/g, '-')}`);
  const objectives = [{ metric: 'accuracy', goal: 'max' }, { metric: 'latencyMS', target: 0.5, weight: -0.07 }];
  const r = cli(['search', '--config', write('typo.json', { ...synthetic, ...over, objectives }), '--out', out, ...flags]);
  expect(r.code).toBe(2);
  expect(r.stderr.trim().split('\n')).toHaveLength(1);
  expect(r.stderr.trim()).toMatch(/^marl-hpo: objectives\[1\]\.metric: 'latencyMS' is not produced \(did you mean 'latencyMs'\? metrics: accuracy, loss, .*latencyMs.*, params, macs\)$/);
  expect(fs.existsSync(path.join(out, 'journal.jsonl')) ? fs.readFileSync(path.join(out, 'journal.jsonl'), 'utf8') : '').toBe('');
});

/** Starts the search; resolves with its exit status once `onLine` says stop (signal sent) or it ends. */
function runUntil(args: string[], signal: NodeJS.Signals, afterEpisodes: number): Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd: ROOT });
    let episodes = 0;
    let sent = false;
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      episodes += d.toString().split('\n').filter((l) => l.includes('"type":"episode"')).length;
      // Once: a second SIGINT means "quit now".
      if (episodes >= afterEpisodes && !sent) sent = child.kill(signal);
    });
    child.stderr.on('data', (d) => (stderr += d));
    child.on('exit', (code, sig) => resolve({ code, signal: sig, stderr }));
  });
}

test('SIGINT stops cleanly after writing; SIGKILL loses at most the evaluation in flight; --resume finishes like an uninterrupted run', async () => {
  const config = write('k.json', synthetic);
  const whole = path.join(dir, 'whole');
  expect(cli(['search', '--config', config, '--out', whole, '--json']).code).toBe(0);

  const out = path.join(dir, 'interrupted');
  const int = await runUntil(['search', '--config', config, '--out', out, '--json'], 'SIGINT', 5);
  expect(int.code).toBe(130);
  expect(int.stderr).toMatch(/interrupted after \d+ episodes; continue with --resume/);
  const afterInt = readJournal(path.join(out, 'journal.jsonl')).records.length;
  expect(afterInt).toBeGreaterThanOrEqual(5);

  const killed = await runUntil(['search', '--config', config, '--out', out, '--resume', '--json'], 'SIGKILL', 8);
  expect(killed.signal).toBe('SIGKILL');
  const afterKill = readJournal(path.join(out, 'journal.jsonl')).records.length;
  expect(afterKill).toBeGreaterThanOrEqual(afterInt + 8);

  const resumed = cli(['search', '--config', config, '--out', out, '--resume', '--json']);
  expect(resumed.code).toBe(0);
  expect(comparable(readJournal(path.join(out, 'journal.jsonl')).records)).toEqual(comparable(readJournal(path.join(whole, 'journal.jsonl')).records));
  expect(fs.readFileSync(path.join(out, 'agents.json'), 'utf8')).toBe(fs.readFileSync(path.join(whole, 'agents.json'), 'utf8'));
}, 120_000);

test('--workers 2 evaluates in worker processes; a crashing evaluation is recorded and the search goes on', () => {
  const out = path.join(dir, 'workers');
  const r = cli(['search', '--config', write('w.json', { ...synthetic, constraints: [], budget: { episodes: 12 }, synthetic: { sleepSeconds: 0.05, failEvery: 3 } }), '--out', out, '--workers', '2', '--json']);
  expect(r.code).toBe(0);
  const { records } = readJournal(path.join(out, 'journal.jsonl'));
  // 12 evaluations; a configuration proposed again is a free cache hit (how many depends on completion order).
  expect(records.filter(countsAgainstBudget)).toHaveLength(12);
  expect(records.map((x) => x.episode)).toEqual([...Array(records.length).keys()]);
  expect(records.some((x) => x.status === 'failed' && /synthetic failure/.test(x.error ?? ''))).toBe(true);
  expect(records.some((x) => x.status === 'ok')).toBe(true);
});

test('--workers 2: an evaluation whose process dies (crash, out-of-memory kill) is recorded as failed and the search goes on', () => {
  const out = path.join(dir, 'workers-die');
  const r = cli(['search', '--config', write('d.json', { ...synthetic, constraints: [], budget: { episodes: 12 }, synthetic: { sleepSeconds: 0.02, exitEvery: 3 } }), '--out', out, '--workers', '2', '--json']);
  expect(r.code).toBe(0);
  const { records } = readJournal(path.join(out, 'journal.jsonl'));
  expect(records.filter(countsAgainstBudget)).toHaveLength(12);
  const died = records.filter((x) => x.status === 'failed');
  expect(died.length).toBeGreaterThan(0);
  for (const x of died) expect(x.error).toMatch(/worker process died \(SIGKILL\)/);
  expect(records.some((x) => x.status === 'ok')).toBe(true);
});
