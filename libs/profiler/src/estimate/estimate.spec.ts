import { writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { measure } from '../measure';
import { CNN, makeModels, type ModelSpec } from '../testing/make-models';
import { calibrate } from './calibrate';
import { checkCalibration, DEFAULT_CALIBRATION } from './calibration';
import { BASE_FEATURES, featureVector, predict } from './fit';

/** A family of plain CNNs of different widths and input sizes. */
const family: ModelSpec[] = [8, 16, 24, 32].flatMap((w) =>
  [16, 32].map((hw) => ({
    name: `c${w}_${hw}`,
    input: [3, hw, hw] as [number, number, number],
    layers: [{ op: 'conv', out: w, k: 3, pad: 1 }, { op: 'relu' }, { op: 'maxpool', k: 2 }, { op: 'conv', out: 2 * w, k: 3, pad: 1 }, { op: 'relu' }, { op: 'gap' }, { op: 'flatten' }, { op: 'gemm', out: 10 }],
  })),
);

describe('estimate backend', () => {
  const models = makeModels([CNN, ...family]);

  it('predicts coefficients . features, with features from python onnx shape inference', async () => {
    const cal = { ...DEFAULT_CALIBRATION, features: [...BASE_FEATURES, 'count:Conv'], coefficients: [0.01, 3e-8, 1e-7, 2e-9, 1e-9, 0.004, 0.003] };
    const file = path.join(models.dir, 'cal.json');
    writeFileSync(file, JSON.stringify(cal));
    const m = await measure(models.file('cnn'), { backend: 'estimate', calibration: file, batch: 1 });
    const r = models.ref.cnn;
    const expected = cal.coefficients[0] + cal.coefficients[1] * r.macs + cal.coefficients[3] * r.activationBytes + cal.coefficients[4] * r.weightBytes + cal.coefficients[5] * r.nodes + cal.coefficients[6] * 2 /* Conv nodes */;
    expect(m.p50Ms).toBeCloseTo(expected, 12);
    expect(m).toMatchObject({ backend: 'estimate', runs: 0, stdMs: 0, p90Ms: m.p50Ms });
    expect(m.device).toContain(file);
  });

  it('names the file of a bad calibration or a bad model', async () => {
    const bad = path.join(models.dir, 'bad.json');
    writeFileSync(bad, JSON.stringify({ version: 1, features: BASE_FEATURES, coefficients: [1, -1, 0, 0, 0, 0] }));
    await expect(measure(models.file('cnn'), { backend: 'estimate', calibration: bad })).rejects.toMatchObject({ userError: true, message: `${bad}: coefficients: expected 6 non-negative numbers, one per feature` });
    await expect(measure(models.file('cnn'), { backend: 'estimate', calibration: path.join(models.dir, 'none.json') })).rejects.toMatchObject({ userError: true, message: expect.stringContaining('none.json: cannot read the calibration (ENOENT)') });
    await expect(measure(new Uint8Array([1, 2, 3]), { backend: 'estimate', source: 'x.onnx' })).rejects.toMatchObject({ userError: true, message: expect.stringContaining('x.onnx: not a valid ONNX model') });
  });

  it('calibrate measures, fits on most models and reports the error on the held-out ones', async () => {
    const input = family.map((s) => ({ name: s.name, bytes: new Uint8Array(0) }));
    for (const m of input) m.bytes = await readFile(models.file(m.name));
    const progress: number[] = [];
    const { calibration, points } = await calibrate(input, {
      measure: { warmup: 1, minRuns: 5, maxRuns: 20, maxSeconds: 0.5 },
      holdout: 0.25,
      seed: 3,
      onProgress: (done) => progress.push(done),
    });
    expect(checkCalibration(JSON.parse(JSON.stringify(calibration)), 'saved')).toEqual(calibration);
    expect(calibration).toMatchObject({ backend: 'ort-cpu', threads: 1, batch: 1, fitModels: 6, heldOutModels: 2 });
    expect(calibration.features).toEqual([...BASE_FEATURES, 'count:Conv', 'count:Flatten', 'count:Gemm', 'count:GlobalAveragePool', 'count:Identity', 'count:MaxPool', 'count:Relu']);
    expect(progress).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8]);
    expect(points.filter((p) => p.set === 'heldOut')).toHaveLength(2);
    for (const p of points) expect(p.estimatedMs).toBeCloseTo(predict(calibration.coefficients, featureVector(p.cost, calibration.features)), 12);
    const held = points.filter((p) => p.set === 'heldOut').map((p) => Math.abs(p.estimatedMs - p.measuredMs) / p.measuredMs);
    expect(calibration.heldOutError.max).toBeCloseTo(Math.max(...held), 12);
    // The same seed holds out the same models.
    const again = await calibrate(input, { measure: { warmup: 0, minRuns: 3, maxRuns: 3, maxSeconds: 0.5 }, seed: 3 });
    expect(again.points.filter((p) => p.set === 'heldOut').map((p) => p.name)).toEqual(points.filter((p) => p.set === 'heldOut').map((p) => p.name));
  });

  it('refuses too few models and the estimate backend as the measuring one', async () => {
    const one = [{ name: 'a', bytes: new Uint8Array(0) }];
    await expect(calibrate(one)).rejects.toMatchObject({ userError: true, message: expect.stringContaining('1 models are too few') });
    await expect(calibrate(one, { measure: { backend: 'estimate' } })).rejects.toMatchObject({ userError: true, message: expect.stringContaining("'estimate' would fit itself") });
  });
});
