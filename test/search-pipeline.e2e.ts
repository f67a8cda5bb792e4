import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadDataset } from '@marl-hpo/data';
import * as ort from 'onnxruntime-node';
import { cli } from './cli-helpers';

// The user's main job end to end with the real pipeline (train, export, profile): the best model
// written by `marl-hpo search` loads in onnxruntime and gives, on the validation split, the
// accuracy recorded in best.json.
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'search-pipeline-'));
const cacheDir = path.join(dir, 'cache');

async function onnxAccuracy(model: string, dataset: { spec: string; limit: Record<string, number> }, seed: number): Promise<number> {
  const { spec, ...options } = dataset;
  const ds = await loadDataset(spec, { ...options, seed, cacheDir });
  const session = await ort.InferenceSession.create(model);
  const [h, w, c] = ds.shape;
  let correct = 0;
  for await (const b of ds.val.batches(64)) {
    // NHWC batch -> NCHW input, as the exported model expects.
    const x = new Float32Array(b.n * c * h * w);
    for (let n = 0; n < b.n; n++) for (let i = 0; i < h * w; i++) for (let k = 0; k < c; k++) x[((n * c + k) * h * w) + i] = b.x[(n * h * w + i) * c + k];
    const out = await session.run({ input: new ort.Tensor('float32', x, [b.n, c, h, w]) });
    const p = out['probabilities'].data as Float32Array;
    const classes = p.length / b.n;
    for (let n = 0; n < b.n; n++) {
      let arg = 0;
      for (let k = 1; k < classes; k++) if (p[n * classes + k] > p[n * classes + arg]) arg = k;
      if (arg === b.y[n]) correct++;
    }
  }
  return correct / ds.val.size;
}

test('search writes a best.onnx whose accuracy on the validation data is the one in best.json', async () => {
  const dataset = { spec: 'builtin:mnist', limit: { train: 800, val: 200 } };
  const config = {
    template: 'vgg',
    templateOptions: { batchNorm: true },
    dataset,
    budget: { episodes: 2 },
    objectives: [{ metric: 'accuracy', goal: 'max' }, { metric: 'latencyMs', target: 0.2, weight: -0.07 }],
    constraints: [{ metric: 'params', max: 150_000 }],
    trainer: { epochs: 2, batchSize: 32, learningRate: 0.002 },
    profiler: { backend: 'ort-cpu', threads: 1, maxSeconds: 0.5 },
    seed: 1,
  };
  fs.writeFileSync(path.join(dir, 'c.json'), JSON.stringify(config));
  const out = path.join(dir, 'run');
  const r = cli(['search', '--config', path.join(dir, 'c.json'), '--out', out, '--json'], { env: { ...process.env, MARL_HPO_CACHE_DIR: cacheDir } });
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  const best = JSON.parse(fs.readFileSync(path.join(out, 'best.json'), 'utf8'));
  expect(best.status).toBe('ok');
  expect(best.metrics.params).toBeLessThanOrEqual(150_000);
  expect(best.metrics.latencyMs).toBeGreaterThan(0);
  expect(best.metrics.trainSeconds).toBeGreaterThan(0);
  expect(best.metrics.onnxBytes).toBe(fs.statSync(path.join(out, 'best.onnx')).size);
  const accuracy = await onnxAccuracy(path.join(out, 'best.onnx'), dataset, config.seed);
  // Same model, same data: equal up to a float tie between two classes on one image.
  expect(Math.abs(accuracy - best.metrics.accuracy)).toBeLessThanOrEqual(1 / 200 + 1e-9);
  expect(accuracy).toBeGreaterThan(0.2);
}, 300_000);

test('a segmentation search (unet on builtin:shapes) works the same way', () => {
  const config = {
    template: 'unet',
    dataset: { spec: 'builtin:shapes?count=48', shape: [32, 32, 3], limit: { train: 32, val: 16 } },
    budget: { episodes: 1 },
    objectives: [{ metric: 'mIoU', goal: 'max' }, { metric: 'latencyMs', target: 1, weight: -0.07 }],
    constraints: [{ metric: 'params', max: 2_000_000 }],
    trainer: { epochs: 1, batchSize: 8 },
    profiler: { backend: 'ort-cpu', threads: 1, maxSeconds: 0.5 },
  };
  fs.writeFileSync(path.join(dir, 'seg.json'), JSON.stringify(config));
  const out = path.join(dir, 'seg');
  const r = cli(['search', '--config', path.join(dir, 'seg.json'), '--out', out, '--json'], { env: { ...process.env, MARL_HPO_CACHE_DIR: cacheDir } });
  expect(r.code).toBe(0);
  const best = JSON.parse(fs.readFileSync(path.join(out, 'best.json'), 'utf8'));
  expect(best.metrics.mIoU).toBeGreaterThanOrEqual(0);
  expect(best.metrics.mIoU).toBeLessThanOrEqual(1);
  expect(best.metrics.pixelAccuracy).toBeGreaterThan(0);
  expect(fs.statSync(path.join(out, 'best.onnx')).size).toBe(best.metrics.onnxBytes);
}, 300_000);

test('an evaluation whose loss becomes non-finite is journaled as diverged: no model, minimum reward', () => {
  const config = {
    template: 'vgg',
    templateOptions: { batchNorm: false },
    dataset: { spec: 'builtin:mnist', limit: { train: 96, val: 32 } },
    budget: { episodes: 1 },
    objectives: [{ metric: 'accuracy', goal: 'max' }],
    constraints: [{ metric: 'params', max: 150_000 }],
    // Plain SGD at an absurd rate without clipping: the activations overflow float32 in a few steps.
    trainer: { epochs: 3, batchSize: 16, optimizer: 'sgd', learningRate: 1e20, clipNorm: 0, warmup: 0, schedule: 'constant' },
    profiler: { backend: 'estimate' },
  };
  fs.writeFileSync(path.join(dir, 'diverge.json'), JSON.stringify(config));
  const out = path.join(dir, 'diverge');
  const r = cli(['search', '--config', path.join(dir, 'diverge.json'), '--out', out, '--json'], { env: { ...process.env, MARL_HPO_CACHE_DIR: cacheDir } });
  // Nothing feasible at the end: exit 2 with the reason, like a trainer that failed every time.
  expect(r.code).toBe(2);
  expect(r.stderr).toMatch(/^marl-hpo: no feasible configuration in \d+ episodes?: .*1 diverged/m);
  const records = fs.readFileSync(path.join(out, 'journal.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l)).filter((x) => !x.skipped);
  expect(records).toHaveLength(1);
  expect(records[0]).toMatchObject({ status: 'diverged', reward: 0 });
  expect(records[0].diverged.step).toBeLessThan(3 * 6);
  expect(records[0].metrics.accuracy).toBeUndefined();
  expect(fs.existsSync(path.join(out, 'best.onnx'))).toBe(false);
}, 120_000);
