// The torch backend's recipe pieces against the embedded trainer's own: the learning-rate
// schedule (python/marl_hpo_torch/train.py learning_rate_at vs schedule.ts) on a grid of runs,
// the validation metrics (its Metrics vs MetricAccumulator, the same logits and labels), and
// early stopping with the best epoch's weights and metrics kept (as train.spec.ts checks for tfjs).
// One Python process computes all three (importing torch is most of the time).
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import type { ArchitectureIR } from '@marl-hpo/arch';
import { MetricAccumulator } from './metrics';
import { rng } from './rng';
import { learningRateAt, type ScheduleKind } from './schedule';

const runs: { total: number; warmup: number; kind: ScheduleKind }[] = [];
for (const total of [1, 2, 7, 100]) for (const warmup of [0, 0.05, 0.5, 1]) for (const kind of ['cosine', 'constant'] as const) runs.push({ total, warmup, kind });

/**
 * Seeded logits, and labels mostly their argmax (hits and misses both count). Class 0 is never a
 * label (only predicted), the last class neither predicted nor a label: mIoU must skip it.
 */
function metricCase(task: 'classification' | 'segmentation', classes: number, rows: number) {
  const r = rng(task.length);
  const logits = Float32Array.from({ length: rows * classes }, (_, j) => (j % classes === classes - 1 ? -10 : 4 * r() - 2));
  const labels = Int32Array.from({ length: rows }, (_, i) => {
    let best = 0;
    for (let k = 1; k < classes; k++) if (logits[i * classes + k] > logits[i * classes + best]) best = k;
    return r() < 0.6 && best !== 0 ? best : 1 + Math.floor(r() * (classes - 2));
  });
  return { task, classes, logits, labels };
}
const metricCases = [metricCase('classification', 6, 97), metricCase('segmentation', 4, 2 * 9 * 11)];

// A learning rate too small to change anything: the validation score never improves on epoch 1.
const still: ArchitectureIR = {
  template: 'still',
  task: 'classification',
  input: [6, 6, 1],
  classes: 3,
  layers: [
    { kind: 'conv2d', name: 'c', filters: 4, kernel: 3, stride: 1, padding: 'same', activation: 'relu', batchNorm: false },
    { kind: 'flatten', name: 'f' },
    { kind: 'dense', name: 'logits', units: 3, activation: 'linear' },
  ],
};

const SCRIPT = `
import json, sys
import numpy as np, torch
from marl_hpo_torch.train import Metrics, Split, learning_rate_at, train
data = json.load(sys.stdin)
out = {"schedules": [[learning_rate_at(t, 0.01, r["total"], r["warmup"], r["kind"]) for t in range(1, r["total"] + 1)] for r in data["runs"]], "metrics": []}
for c in data["metrics"]:
    m = Metrics(c["task"], c["classes"])
    x = torch.tensor(c["logits"], dtype=torch.float32).reshape(-1, c["classes"])
    y = torch.tensor(c["labels"], dtype=torch.int64)
    m.add(x[:40], y[:40]); m.add(x[40:], y[40:])
    out["metrics"].append(m.result())
g = np.random.default_rng(0)
split = lambda n: Split(g.standard_normal((n, 1, 6, 6)).astype(np.float32), g.integers(0, 3, n).astype(np.int32))
recipe = {"epochs": 6, "batchSize": 16, "optimizer": "sgd", "learningRate": 1e-12, "patience": 2, "warmup": 0, "schedule": "constant"}
_, metrics, info = train(data["still"], split(64), split(32), recipe, seed=1)
out["patience"] = {"metrics": metrics, "epochs": info["epochs"], "first": info["history"][0]["val"]}
print(json.dumps(out))
`;
const torch = JSON.parse(
  execFileSync('/usr/bin/python3', ['-c', SCRIPT], {
    input: JSON.stringify({ runs, still, metrics: metricCases.map((c) => ({ ...c, logits: [...c.logits], labels: [...c.labels] })) }),
    env: { ...process.env, PYTHONPATH: path.join(__dirname, '../../../python') },
    maxBuffer: 1 << 26,
  }).toString(),
) as { schedules: number[][]; metrics: Record<string, number>[]; patience: { metrics: Record<string, number>; epochs: number; first: Record<string, number> } };

test('the learning rate of every step is the embedded trainer’s (warm-up, cosine, constant)', () => {
  runs.forEach((r, i) => {
    const ours = Array.from({ length: r.total }, (_, t) => learningRateAt(t + 1, { learningRate: 0.01, ...r }));
    expect(torch.schedules[i]).toHaveLength(r.total);
    torch.schedules[i].forEach((lr, t) => expect([r, t + 1, lr]).toEqual([r, t + 1, expect.closeTo(ours[t], 15)]));
  });
  // Not constant: the comparison covers warm-up and decay (the last warm-up step and the first after it are both the peak).
  expect(new Set(torch.schedules[runs.findIndex((r) => r.total === 100 && r.warmup === 0.05 && r.kind === 'cosine')]).size).toBe(99);
});

test.each(metricCases.map((c, i) => [c.task, c, i] as const))('%s metrics of the same logits and labels are the embedded trainer’s', (task, c, i) => {
  const ours = new MetricAccumulator(task, c.classes);
  ours.add(c.logits.subarray(0, 40 * c.classes), c.labels.subarray(0, 40));
  ours.add(c.logits.subarray(40 * c.classes), c.labels.subarray(40));
  const expected = ours.result() as unknown as Record<string, number>;
  expect(Object.keys(torch.metrics[i]).sort()).toEqual(Object.keys(expected).sort());
  for (const [k, v] of Object.entries(expected)) expect([k, torch.metrics[i][k]]).toEqual([k, expect.closeTo(v, 6)]);
  const quality = task === 'classification' ? expected.accuracy : expected.mIoU;
  expect(quality).toBeGreaterThan(0.2);
  expect(quality).toBeLessThan(0.9);
});

test('patience stops early and keeps the best epoch, as the embedded trainer does', () => {
  expect(torch.patience.epochs).toBe(3);
  expect(torch.patience.metrics).toEqual(torch.patience.first);
});
