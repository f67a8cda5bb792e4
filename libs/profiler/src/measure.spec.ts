import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { measure } from './measure';
import { CNN, makeModels } from './testing/make-models';

const FAST = { warmup: 1, minRuns: 5, maxRuns: 30, maxSeconds: 2 };

describe('measure on ort-cpu', () => {
  const models = makeModels([
    CNN,
    { name: 'wide', input: [3, 32, 32], layers: [{ op: 'conv', out: 64, k: 3, pad: 1 }, { op: 'relu' }, { op: 'conv', out: 64, k: 3, pad: 1 }] },
    { name: 'static2', input: [1, 8, 8], batch: 2, layers: [{ op: 'flatten' }, { op: 'gemm', out: 4 }] },
  ]);

  it('returns the documented keys with consistent statistics', async () => {
    const m = await measure(models.file('cnn'), FAST);
    expect(m.backend).toBe('ort-cpu');
    expect(m.device).toMatch(/onnxruntime-node 1\.\d+/);
    expect(m.runs).toBeGreaterThanOrEqual(5);
    expect(m.runs).toBeLessThanOrEqual(30);
    expect(m.p50Ms).toBeGreaterThan(0);
    expect(m.p90Ms).toBeGreaterThanOrEqual(m.p50Ms);
    expect(m.stdMs).toBeGreaterThanOrEqual(0);
    expect(m.ops).toBeUndefined();
  });

  it('runs a model whose batch dimension is fixed', async () => {
    const m = await measure(models.file('static2'), { ...FAST, batch: 7 });
    expect(m.runs).toBeGreaterThan(0);
  });

  it('reports time per op type with --ops', async () => {
    const m = await measure(models.file('cnn'), { ...FAST, ops: true });
    const ops = m.ops ?? [];
    const names = ops.map((o) => o.opType);
    // onnxruntime fuses Conv+Relu (FusedConv) and folds BN at level 'all'; with optimisation off every op shows.
    expect(names.length).toBeGreaterThan(0);
    const raw = await measure(models.file('cnn'), { ...FAST, ops: true, graphOptimizationLevel: 'disabled' });
    const rawNames = (raw.ops ?? []).map((o) => o.opType);
    for (const op of ['Conv', 'Relu', 'MaxPool', 'BatchNormalization', 'GlobalAveragePool', 'Gemm', 'Softmax']) expect(rawNames).toContain(op);
    expect(raw.ops?.find((o) => o.opType === 'Conv')?.nodes).toBe(2);
    const share = (raw.ops ?? []).reduce((a, o) => a + o.share, 0);
    expect(share).toBeCloseTo(1, 6);
    expect(ops[0].ms).toBeGreaterThanOrEqual(ops[ops.length - 1].ms);
  });

  it('rejects a non-ONNX file with a user error naming it', async () => {
    const bad = path.join(models.dir, 'notes.onnx');
    writeFileSync(bad, 'this is not a model');
    await expect(measure(bad, FAST)).rejects.toMatchObject({ userError: true, message: expect.stringContaining(`${bad}: not a valid ONNX model`) });
  });

  it('rejects a missing file, an unknown backend and bad options as user errors', async () => {
    await expect(measure(path.join(models.dir, 'nope.onnx'))).rejects.toMatchObject({ userError: true, message: expect.stringContaining('no such file') });
    await expect(measure(models.file('cnn'), { backend: 'no-such-backend' })).rejects.toMatchObject({
      userError: true,
      message: expect.stringContaining("unknown profiler backend 'no-such-backend'"),
    });
    await expect(measure(models.file('cnn'), { threads: 0 })).rejects.toMatchObject({ userError: true, message: expect.stringContaining('profiler.threads') });
    await expect(measure(models.file('cnn'), { executionProviders: ['nope'] })).rejects.toMatchObject({ userError: true, message: expect.stringContaining("'nope' is not available") });
  });
});
