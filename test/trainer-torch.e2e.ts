import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { cli, fileWriter, journal } from './cli-helpers';
import { alive, cmdline, descendants, until } from './process-helpers';
import { CliProcess } from './queue-helpers';

// The `torch` trainer (python/marl_hpo_torch) driven as a user would: a search with two worker
// processes (each keeps one Python process for all its jobs) and multi-fidelity screening,
// timeouts, and no Python process left after SIGKILL of the search.
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'trainer-torch-'));
const running: CliProcess[] = [];
afterAll(async () => {
  await Promise.all(running.map((p) => p.stop('SIGKILL')));
  fs.rmSync(dir, { recursive: true, force: true });
});
const write = fileWriter(dir);
const base = {
  template: 'vgg',
  templateOptions: { batchNorm: true },
  dataset: { spec: 'builtin:mnist', limit: { train: 200, val: 50 } },
  objectives: [{ metric: 'accuracy', goal: 'max' }, { metric: 'latencyMs', target: 0.2, weight: -0.07 }],
  constraints: [{ metric: 'params', max: 150_000 }],
  seed: 2,
};
const jobsIn = (work: string) =>
  fs.readdirSync(work).flatMap((session) => fs.readdirSync(path.join(work, session)).map((job) => path.join(work, session, job)));

test('a search on the torch backend with --workers 2 and screening: every model from PyTorch, one Python process per worker', () => {
  const work = fs.mkdtempSync(path.join(dir, 'work-'));
  const out = path.join(dir, 'search');
  const config = write('search.json', {
    ...base,
    budget: { episodes: 3 },
    trainer: { backend: 'torch', epochs: 2, batchSize: 32, keepJobs: true, workDir: work },
    // Every screen promoted (from the first one on): both fidelities run, whatever the ranks.
    multiFidelity: { screen: { epochs: 1, trainFraction: 0.5 }, promote: 1, minScreened: 0 },
  });
  const r = cli(['search', '--config', config, '--out', out, '--workers', '2', '--quiet']);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  const trained = journal(out).filter((x) => !x.skipped && x.cachedFrom === undefined);
  expect(trained.every((x) => x.status === 'ok')).toBe(true);
  const screens = trained.filter((x) => x.screen);
  const full = trained.filter((x) => !x.screen);
  expect(screens.length).toBeGreaterThanOrEqual(2);
  expect(full.length).toBeGreaterThanOrEqual(2);
  for (const x of trained) {
    expect(Object.keys(x.metrics)).toEqual(expect.arrayContaining(['accuracy', 'loss', 'trainSeconds', 'latencyMs', 'params']));
    expect(x.metrics.accuracy).toBeGreaterThan(0);
  }
  // Each job folder (kept): its job.json asked for the fidelity, train.json says what Python did.
  const jobs = jobsIn(work).map((j) => ({ job: JSON.parse(fs.readFileSync(path.join(j, 'job.json'), 'utf8')), done: JSON.parse(fs.readFileSync(path.join(j, 'train.json'), 'utf8')) }));
  expect(jobs).toHaveLength(trained.length);
  for (const { job, done } of jobs) {
    const screen = job.fidelity.trainFraction === 0.5;
    const size = job.dataset.sizes.train;
    expect(size).toBe(200);
    expect(job.recipe).toMatchObject({ epochs: screen ? 1 : 2, trainLimit: screen ? 100 : null, batchSize: 32 });
    expect(done.history.map((h: { samples: number }) => h.samples)).toEqual(screen ? [100] : [200, 200]);
    expect(done.device).toBe('cpu');
  }
  // Two worker processes, each with one Python process for all of its jobs.
  const pids = new Set(jobs.map((j) => j.done.pid));
  expect(pids.size).toBe(2);
  expect(jobs.length).toBeGreaterThan(pids.size);
  const inspect = JSON.parse(cli(['onnx', 'inspect', path.join(out, 'best.onnx'), '--json']).stdout);
  expect(inspect.producerName).toBe('pytorch');
  expect(inspect.opsetImports).toEqual([{ domain: '', version: 17 }]);
  expect(inspect.inputs).toEqual([{ name: 'input', elemType: 'FLOAT', shape: ['N', 1, 28, 28] }]);
  expect(inspect.outputs).toEqual([{ name: 'probabilities', elemType: 'FLOAT', shape: ['N', 10] }]);
  const best = JSON.parse(fs.readFileSync(path.join(out, 'best.json'), 'utf8'));
  expect(JSON.parse(inspect.metadata.configuration)).toEqual(best.values);
}, 300_000);

test('an evaluation past timeoutSeconds fails with the reason, the worker is replaced, the search finishes', () => {
  const out = path.join(dir, 'timeout');
  const config = write('timeout.json', { ...base, dataset: { spec: 'builtin:mnist', limit: { train: 2000, val: 50 } }, budget: { episodes: 2 }, trainer: { backend: 'torch', epochs: 50, timeoutSeconds: 1 } });
  const r = cli(['search', '--config', config, '--out', out, '--quiet']);
  // Nothing feasible in the end: the search says why (exit 2), the journal has both failures.
  expect(r.code).toBe(2);
  expect(r.stderr).toMatch(/^marl-hpo: no feasible configuration in \d+ episodes: .*2 failed/);
  const trained = journal(out).filter((x) => !x.skipped);
  expect(trained.map((x) => [x.status, x.error])).toEqual([
    ['failed', 'torch training timed out after 1 s (its worker was ended)'],
    ['failed', 'torch training timed out after 1 s (its worker was ended)'],
  ]);
}, 300_000);

test('a run whose loss becomes non-finite is journaled as diverged, as with the embedded trainer', () => {
  const out = path.join(dir, 'diverged');
  const config = write('diverged.json', { ...base, budget: { episodes: 1 }, trainer: { backend: 'torch', epochs: 1, optimizer: 'sgd', learningRate: 1e12, clipNorm: 0, warmup: 0, schedule: 'constant' } });
  const r = cli(['search', '--config', config, '--out', out, '--quiet']);
  expect(r.code).toBe(2);
  expect(r.stderr).toMatch(/^marl-hpo: no feasible configuration in \d+ episodes: .*1 diverged/);
  const [x] = journal(out).filter((y) => !y.skipped);
  expect(x.status).toBe('diverged');
  expect(x.diverged).toMatchObject({ epoch: 1, loss: expect.stringMatching(/^(NaN|-?Infinity)$/) });
  expect(x.diverged!.step).toBeGreaterThanOrEqual(1);
  expect(x.reward).toBe(0);
}, 300_000);

test('SIGKILL of the search mid-training leaves no Python process behind', async () => {
  const work = fs.mkdtempSync(path.join(dir, 'work-'));
  const config = write('kill.json', { ...base, dataset: { spec: 'builtin:mnist', limit: { train: 2000, val: 50 } }, budget: { episodes: 2 }, trainer: { backend: 'torch', epochs: 100, workDir: work } });
  const search = new CliProcess(['search', '--config', config, '--out', path.join(dir, 'kill'), '--json']);
  running.push(search);
  // Training has started once a job folder exists.
  expect(await until(() => fs.readdirSync(work).length > 0 && jobsIn(work).length > 0, 120_000)).toBe(true);
  const tree = descendants(search.child.pid!);
  const python = tree.filter((p) => cmdline(p).includes('marl_hpo_torch'));
  expect(python).toHaveLength(1);
  search.child.kill('SIGKILL');
  await search.exited;
  expect(await until(() => tree.every((p) => !alive(p)), 15_000)).toBe(true);
}, 180_000);
