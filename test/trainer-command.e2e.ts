import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { cli, ROOT, fileWriter, journal } from './cli-helpers';
import { alive, cmdline, descendants, until } from './process-helpers';
import { CliProcess } from './queue-helpers';

// The `command` trainer driven as a user would: a fake trainer (test/fixtures/command-trainer.py,
// no training, its behaviour picked by the proposal number) for each way a command can fail, the
// copyable example (examples/command-trainer/train.py, PyTorch), and no process left behind.
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'trainer-command-'));
const running: CliProcess[] = [];
afterAll(async () => {
  await Promise.all(running.map((p) => p.stop('SIGKILL')));
  fs.rmSync(dir, { recursive: true, force: true });
});
const fake = path.join(ROOT, 'test/fixtures/command-trainer.py');
const write = fileWriter(dir);
const base = {
  template: 'vgg',
  dataset: { spec: 'builtin:mnist', limit: { train: 60, val: 20 } },
  objectives: [{ metric: 'accuracy', goal: 'max' }],
  seed: 3,
};
const readPids = (pidDir: string) => fs.readdirSync(pidDir).flatMap((f) => fs.readFileSync(path.join(pidDir, f), 'utf8').trim().split(' ').map(Number));

test('each failure of a command is one journal record with its reason and stderr; the search goes on and keeps the good models', () => {
  const pids = fs.mkdtempSync(path.join(dir, 'pids-'));
  const work = fs.mkdtempSync(path.join(dir, 'work-'));
  const plan = 'ok,fail,hang,broken,shape,nometrics,diverged,ok';
  const config = write('failures.json', {
    ...base,
    budget: { episodes: 8 },
    trainer: { backend: 'command', command: ['/usr/bin/python3', fake, plan], metrics: ['f1'], timeoutSeconds: 2, workDir: work },
  });
  const out = path.join(dir, 'failures');
  const r = cli(['search', '--config', config, '--out', out, '--quiet'], { env: { ...process.env, FAKE_TRAINER_PIDS: pids } });
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  const records = journal(out);
  expect(records.map((x) => x.status)).toEqual(['ok', 'failed', 'failed', 'failed', 'failed', 'failed', 'diverged', 'ok']);
  const [ok, failed, hung, broken, shape, noMetrics, diverged, last] = records;
  expect(ok.metrics).toMatchObject({ accuracy: 0.5, loss: 1, f1: 0.4 });
  expect(ok.metrics.trainSeconds).toBeGreaterThan(0);
  expect(ok.metrics.latencyMs).toBeGreaterThan(0);
  expect(failed.error).toBe('trainer command exited with code 3');
  expect(failed.log).toEqual(['fake trainer: proposal 1 mode fail', 'RuntimeError: CUDA out of memory (pretend)']);
  expect(hung.error).toBe('trainer command timed out after 2 s (its process group was ended)');
  expect(hung.log).toEqual(['fake trainer: proposal 2 mode hang']);
  expect(broken.error).toMatch(/^model\.onnx: not a valid ONNX model \(/);
  expect(shape.error).toBe("model.onnx: input 'input' is [N, 3, 8, 8], the dataset needs [N, 1, 28, 28] (NCHW)");
  expect(noMetrics.error).toBe('the trainer wrote no metrics.json');
  expect(diverged.diverged).toEqual({ epoch: 1, step: 3, loss: 'NaN' });
  expect(diverged.metrics.trainSeconds).toBe(0.25);
  for (const x of records.slice(1, 7)) expect(x.reward).toBe(0);
  // The hung command and the grandchild it started were ended with their process group.
  const [trainer, grandchild] = readPids(pids);
  expect(alive(trainer)).toBe(false);
  expect(alive(grandchild)).toBe(false);
  // best.onnx is the fake trainer's model with the run's metadata; the job folders are gone.
  const inspect = JSON.parse(cli(['onnx', 'inspect', path.join(out, 'best.onnx'), '--json']).stdout);
  expect(inspect.producerName).toBe('fake-trainer');
  expect(inspect.inputs[0]).toEqual({ name: 'input', elemType: 'FLOAT', shape: ['N', 1, 28, 28] });
  expect(inspect.metadata).toMatchObject({ template: 'vgg', task: 'classification', dataset: 'builtin:mnist' });
  expect(JSON.parse(inspect.metadata.metrics)).toMatchObject({ accuracy: last.metrics.accuracy, f1: 0.4 });
  expect(last.metrics.accuracy).toBeGreaterThan(ok.metrics.accuracy!);
  expect(fs.readdirSync(work)).toEqual([]);
}, 120_000);

test.each([
  ['no command', { backend: 'command' }, /^marl-hpo: trainer\.command: the command backend needs the program and its arguments/],
  ['not on PATH', { backend: 'command', command: ['train-that-is-not-there'] }, /^marl-hpo: trainer\.command\[0\]: 'train-that-is-not-there' is not an executable on PATH\n$/],
  ['unknown backend', { backend: 'pytorch' }, /^marl-hpo: trainer\.backend: unknown trainer 'pytorch' \(registered: tfjs, command, torch; no npm package of that name is installed\)\n$/],
  ['bad field', { backend: 'command', command: [], timeoutSeconds: 5 }, /^marl-hpo: .*trainer\.command: /],
])('a trainer config the user got wrong (%s): one line, exit 2, before any training', (_name, trainer, message) => {
  const out = path.join(dir, `bad-${_name.replace(/ /g, '-')}`);
  const r = cli(['search', '--config', write('bad.json', { ...base, budget: { episodes: 2 }, trainer }), '--out', out]);
  expect(r.code).toBe(2);
  expect(r.stderr).toMatch(message);
  expect(fs.existsSync(path.join(out, 'journal.jsonl')) ? journal(out) : []).toEqual([]);
});

test('the example command trainer (examples/command-trainer/train.py, PyTorch) runs a search with 2 workers: best.onnx is its model', () => {
  const out = path.join(dir, 'example');
  const config = write('example.json', {
    ...base,
    templateOptions: { batchNorm: true },
    dataset: { spec: 'builtin:mnist', limit: { train: 200, val: 50 } },
    budget: { episodes: 2 },
    constraints: [{ metric: 'params', max: 300_000 }],
    trainer: { backend: 'command', command: ['/usr/bin/python3', 'examples/command-trainer/train.py'], metrics: ['loss'], epochs: 1, timeoutSeconds: 300 },
  });
  const r = cli(['search', '--config', config, '--out', out, '--workers', '2', '--quiet']);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  const trained = journal(out).filter((x) => !x.skipped);
  expect(trained.map((x) => x.status)).toEqual(['ok', 'ok']);
  for (const x of trained) {
    expect(x.metrics.accuracy).toBeGreaterThanOrEqual(0);
    expect(x.metrics.loss).toBeGreaterThan(0);
  }
  const inspect = JSON.parse(cli(['onnx', 'inspect', path.join(out, 'best.onnx'), '--json']).stdout);
  expect(inspect.producerName).toBe('pytorch');
  expect(inspect.outputs[0]).toEqual({ name: 'probabilities', elemType: 'FLOAT', shape: ['N', 10] });
  expect(JSON.parse(inspect.metadata.configuration)).toEqual(journal(out).find((x) => x.episode === JSON.parse(fs.readFileSync(path.join(out, 'best.json'), 'utf8')).episode)?.values);
}, 300_000);

describe('no training process outlives the search', () => {
  const hang = (name: string, extra: string[]) => {
    const pids = fs.mkdtempSync(path.join(dir, 'pids-'));
    const config = write(`${name}.json`, { ...base, budget: { episodes: 4 }, trainer: { backend: 'command', command: ['/usr/bin/python3', fake, 'hang'] } });
    const search = new CliProcess(['search', '--config', config, '--out', path.join(dir, name), '--json', ...extra], { FAKE_TRAINER_PIDS: pids });
    running.push(search);
    return { search, pids };
  };

  test('SIGKILL of the search (--workers 2): its workers, the watchdogs, the commands and their children all end', async () => {
    const { search, pids } = hang('sigkill', ['--workers', '2']);
    expect(await until(() => fs.readdirSync(pids).length === 2, 60_000)).toBe(true);
    const tree = descendants(search.child.pid!);
    // Two pool workers, two watchdogs, two commands and two grandchildren at least.
    expect(tree.filter((p) => cmdline(p).startsWith('/usr/bin/python3 ')).length).toBe(2);
    expect(tree.filter((p) => cmdline(p).includes('eval.worker.js')).length).toBe(2);
    expect(tree.length).toBeGreaterThanOrEqual(8);
    for (const p of readPids(pids)) expect(tree).toContain(p);
    search.child.kill('SIGKILL');
    await search.exited;
    expect(await until(() => tree.every((p) => !alive(p)), 15_000)).toBe(true);
  }, 120_000);

  test('SIGKILL of one pool worker ends its command group; the search records the evaluation as failed and goes on', async () => {
    const { search, pids } = hang('worker-kill', ['--workers', '2']);
    expect(await until(() => fs.readdirSync(pids).length === 2, 60_000)).toBe(true);
    const tree = descendants(search.child.pid!);
    const [victim] = tree.filter((p) => cmdline(p).includes('eval.worker.js'));
    const below = descendants(victim);
    expect(below.filter((p) => cmdline(p).startsWith('/usr/bin/python3 ')).length).toBe(1);
    process.kill(victim, 'SIGKILL');
    expect(await until(() => below.every((p) => !alive(p)), 15_000)).toBe(true);
    const line = await search.waitFor((l) => l.type === 'episode');
    expect(line).toMatchObject({ status: 'failed', error: expect.stringMatching(/^worker process died \(SIGKILL/) });
    // The other worker's command still runs; a new worker took the next proposal.
    expect(alive(search.child.pid!)).toBe(true);
    search.child.kill('SIGKILL');
  }, 120_000);

  test('Ctrl-C (SIGINT) stops the search cleanly (exit 130) and ends the running command', async () => {
    const { search, pids } = hang('sigint', []);
    expect(await until(() => fs.readdirSync(pids).length === 1, 60_000)).toBe(true);
    const tree = descendants(search.child.pid!);
    expect(tree.length).toBeGreaterThanOrEqual(3);
    search.child.kill('SIGINT');
    expect((await search.exited).code).toBe(130);
    expect(await until(() => tree.every((p) => !alive(p)), 15_000)).toBe(true);
  }, 120_000);
});
