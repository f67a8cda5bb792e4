import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { getTemplate, summarize } from '@marl-hpo/arch';
import { readJournal } from '@marl-hpo/search';
import * as ort from 'onnxruntime-node';
import { cli } from './cli-helpers';

// The tiny version of every experiment (the full ones are in docs/RESULTS.md): real training on a
// few images, so it fails if any stage of the pipeline breaks, but proves nothing about quality.
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'experiment-'));

test.each([
  ['vgg-fmnist', 'vgg', 'accuracy', [28, 28, 1], 10],
  ['inception-fmnist', 'inception', 'accuracy', [28, 28, 1], 10],
  ['unet-shapes', 'unet', 'mIoU', [32, 32, 3], 4],
] as const)('experiment %s --tiny runs baseline, marl and random through train, export and profile', async (name, template, quality, input, classes) => {
  const out = path.join(dir, name);
  const r = cli(['experiment', name, '--tiny', '--out', out, '--json'], { env: { ...process.env, MARL_HPO_CACHE_DIR: path.join(dir, 'cache') } });
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  const summary = JSON.parse(r.stdout);
  const t = getTemplate(template);
  const opts = { input: [...input], classes, batchNorm: template !== 'unet' };
  // The baseline is the template's original network, trained, exported and profiled.
  expect(summary.baseline.metrics.params).toBe(summarize(t.instantiate(t.baseline(opts), opts)).params);
  expect(summary.baseline.metrics[quality]).toBeGreaterThanOrEqual(0);
  expect(summary.baseline.metrics.latencyMs).toBeGreaterThan(0);
  const session = await ort.InferenceSession.create(path.join(out, 'baseline.onnx'));
  expect(session.outputNames).toEqual(['probabilities']);
  expect(summary.variants.map((v: { variant: string }) => v.variant)).toEqual(['marl', 'random']);
  for (const variant of ['marl', 'random']) {
    const records = readJournal(path.join(out, 'runs', `${variant}-s0`, 'journal.jsonl')).records;
    const trained = records.filter((x) => x.status === 'ok');
    expect(trained.length).toBeGreaterThan(0);
    for (const x of trained) {
      expect(x.metrics[quality]).toBeGreaterThanOrEqual(0);
      expect(x.metrics.params! * 20).toBeLessThanOrEqual(summary.baseline.metrics.params);
      expect(x.metrics.latencyMs).toBeGreaterThan(0);
    }
  }
  expect(fs.readFileSync(path.join(out, 'results.md'), 'utf8')).toMatch(new RegExp(`## ${name}`));
}, 600_000);

test('experiment --trainer torch: the baseline and every search train with PyTorch', async () => {
  const out = path.join(dir, 'torch');
  const r = cli(['experiment', 'vgg-fmnist', '--tiny', '--trainer', 'torch', '--algorithms', 'marl', '--no-final', '--out', out, '--json'], { env: { ...process.env, MARL_HPO_CACHE_DIR: path.join(dir, 'cache') } });
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  const summary = JSON.parse(r.stdout);
  expect(summary.baseline.metrics.accuracy).toBeGreaterThanOrEqual(0);
  const producer = async (file: string) => JSON.parse(cli(['onnx', 'inspect', file, '--json']).stdout).producerName;
  expect(await producer(path.join(out, 'baseline.onnx'))).toBe('pytorch');
  const run = path.join(out, 'runs', 'marl-s0');
  expect(JSON.parse(fs.readFileSync(path.join(run, 'config.json'), 'utf8')).trainer.backend).toBe('torch');
  expect(readJournal(path.join(run, 'journal.jsonl')).records.some((x) => x.status === 'ok')).toBe(true);
  expect(await producer(path.join(run, 'best.onnx'))).toBe('pytorch');
}, 600_000);
