import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Dataset } from '@marl-hpo/data';
import { openTrainer } from './open';
import { TRAIN_DEFAULTS } from './train';
import { listTrainers, registerTrainer, unregisterTrainer } from './registry';
import type { Trainer, TrainerConfig, TrainerContext } from './types';

const config = (backend: string, extra: Partial<TrainerConfig> = {}): TrainerConfig => ({ ...TRAIN_DEFAULTS, backend, epochs: 1, batchSize: 8, threads: 1, ...extra });
const ctx = { dataset: { task: 'classification', shape: [8, 8, 1], classes: ['a', 'b'] } as unknown as Dataset, datasetSpec: { spec: 'x', options: {} }, seed: 0 } as TrainerContext;

/** A project folder with node_modules/<name>/index.js = `code`, used as the cwd. */
function project(packages: Record<string, string>): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'marl-hpo-trainer-plugin-'));
  for (const [name, code] of Object.entries(packages)) {
    const pkg = path.join(dir, 'node_modules', name);
    mkdirSync(pkg, { recursive: true });
    writeFileSync(path.join(pkg, 'package.json'), JSON.stringify({ name, main: 'index.js' }));
    writeFileSync(path.join(pkg, 'index.js'), code);
  }
  return dir;
}

afterEach(() => jest.restoreAllMocks());

test('the built-in trainers are registered: tfjs, command, torch', async () => {
  await openTrainer(config('tfjs'), ctx).then((s) => s.close());
  expect(listTrainers()).toEqual(expect.arrayContaining(['tfjs', 'command', 'torch']));
});

test('registration checks the shape and refuses a second trainer under a taken name', () => {
  const t: Trainer = { open: async () => ({ metrics: [], train: async () => ({ onnx: new Uint8Array(), metrics: {}, timings: {} }), close: async () => {} }) };
  expect(() => registerTrainer('', t)).toThrow(/non-empty string/);
  expect(() => registerTrainer('x', {} as Trainer)).toThrow(/not a valid trainer/);
  registerTrainer('spec-trainer', t);
  registerTrainer('spec-trainer', t); // the same object again: a no-op
  expect(() => registerTrainer('spec-trainer', { ...t })).toThrow(/already registered/);
  unregisterTrainer('spec-trainer');
});

test('opens the tfjs trainer, which reports the quality metrics of the task', async () => {
  const s = await openTrainer(config('tfjs'), ctx);
  expect(s.metrics).toEqual(['accuracy', 'loss', 'trainSeconds']);
  await s.close();
});

test('the command trainer checks its options before anything runs (user errors naming the field)', async () => {
  await expect(openTrainer(config('command'), ctx)).rejects.toMatchObject({ userError: true, message: expect.stringMatching(/^trainer\.command: the command backend needs/) });
  await expect(openTrainer(config('command', { command: ['no-such-program-xyz'] }), ctx)).rejects.toMatchObject({ userError: true, message: "trainer.command[0]: 'no-such-program-xyz' is not an executable on PATH" });
  await expect(openTrainer(config('command', { command: ['sh'], cwd: '/no/such/dir' }), ctx)).rejects.toMatchObject({ userError: true, message: "trainer.cwd: '/no/such/dir' is not a folder" });
});

test('plug-ins are npm packages named in the config; a bad one says what is wrong', async () => {
  const dir = project({
    '@team/trainer-good': `exports.register = (api) => api.registerTrainer('@team/trainer-good', {
      async open(config, ctx) { return { metrics: ['accuracy', 'apiVersion'], async train() { return { onnx: new Uint8Array(), metrics: { accuracy: config.options.acc, apiVersion: api.apiVersion }, timings: {} }; }, async close() {} }; },
    });`,
    '@team/trainer-silent': 'exports.register = () => {};',
    '@team/trainer-throws': "throw new Error('no GPU driver');",
  });
  jest.spyOn(process, 'cwd').mockReturnValue(dir);
  const s = await openTrainer(config('@team/trainer-good', { options: { acc: 0.7 } }), ctx);
  expect(s.metrics).toEqual(['accuracy', 'apiVersion']);
  await expect(s.train({ proposal: 0, ir: {} as never, values: {}, fidelity: { epochs: 1 } }, new AbortController().signal)).resolves.toMatchObject({ metrics: { accuracy: 0.7, apiVersion: 1 } });
  await expect(openTrainer(config('@team/trainer-silent'), ctx)).rejects.toMatchObject({
    userError: true,
    message: expect.stringContaining("'@team/trainer-silent' loaded but registered no trainer named '@team/trainer-silent'"),
  });
  await expect(openTrainer(config('@team/trainer-throws'), ctx)).rejects.toMatchObject({ userError: true, message: "trainer plug-in '@team/trainer-throws' failed to load: no GPU driver" });
  await expect(openTrainer(config('tensorflw'), ctx)).rejects.toMatchObject({ userError: true, message: expect.stringMatching(/^trainer\.backend: unknown trainer 'tensorflw' \(registered: tfjs, command, torch, @team\/trainer-good; no npm package/) });
});

test('a dataset too big for .npy arrays (over 8 GiB as float32) needs trainer.arrays: true; torch cannot do without them', async () => {
  const big = { ...ctx, dataset: { task: 'classification', shape: [224, 224, 3], classes: ['a', 'b'], train: { size: 20_000 }, val: { size: 2_000 } } as unknown as Dataset };
  await expect(openTrainer(config('command', { command: ['sh'] }), big)).rejects.toMatchObject({
    userError: true,
    message: 'trainer.arrays: the dataset as float32 .npy arrays takes 12.3 GiB; set "arrays": true to write them anyway, or false to let the command load dataset.spec itself',
  });
  const s = await openTrainer(config('command', { command: ['sh'], arrays: false }), big);
  await s.close();
  await expect(openTrainer(config('torch', { arrays: false }), ctx)).rejects.toMatchObject({ userError: true, message: 'trainer.arrays: the torch backend trains on the .npy arrays, it cannot be false' });
});
