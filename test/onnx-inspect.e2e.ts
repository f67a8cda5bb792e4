import { getTemplate, weightSpecs, type WeightMap } from '@marl-hpo/arch';
import { decodeModel, exportOnnx, summarizeModel } from '@marl-hpo/onnx';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { cli } from './cli-helpers';

const TESTDATA = '/usr/share/libonnx-testdata/data';
const conv = path.join(TESTDATA, 'pytorch-converted/test_Conv2d/model.onnx');

test('onnx inspect --json prints exactly the documented keys for a model we did not write', () => {
  const r = cli(['onnx', 'inspect', conv, '--json']);
  expect(r.code).toBe(0);
  expect(r.stderr).toBe('');
  expect(JSON.parse(r.stdout)).toEqual({
    irVersion: 3,
    opsetImports: [{ domain: '', version: 6 }],
    producerName: 'pytorch',
    inputs: [{ name: '0', elemType: 'FLOAT', shape: [2, 3, 7, 5] }],
    outputs: [{ name: '3', elemType: 'FLOAT', shape: [2, 4, 5, 4] }],
    opCounts: { Conv: 1 },
    initializers: 2,
    params: 4 * 3 * 3 * 2 + 4, // weight [4, 3, 3, 2] and bias [4]
    metadata: {},
  });
});

test('onnx inspect --json on an exported model: NCHW input with dynamic batch, softmax output, our metadata', () => {
  const t = getTemplate('vgg');
  const config = t.baseline();
  const ir = t.instantiate(config);
  const weights: WeightMap = Object.fromEntries(weightSpecs(ir).map((s) => [s.name, { shape: s.shape, data: new Float32Array(s.shape.reduce((a, b) => a * b, 1)).fill(0.01) }]));
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'inspect-e2e-'));
  const file = path.join(dir, 'vgg.onnx');
  fs.writeFileSync(file, exportOnnx(ir, weights, { configuration: config, metrics: { accuracy: 0.99 } }));
  const r = cli(['onnx', 'inspect', file, '--json']);
  expect(r.code).toBe(0);
  const s = JSON.parse(r.stdout);
  expect(s.irVersion).toBe(8);
  expect(s.opsetImports).toEqual([{ domain: '', version: 17 }]);
  expect(s.producerName).toBe('marl-hpo');
  expect(s.inputs).toEqual([{ name: 'input', elemType: 'FLOAT', shape: ['N', 1, 28, 28] }]);
  expect(s.outputs).toEqual([{ name: 'probabilities', elemType: 'FLOAT', shape: ['N', 10] }]);
  expect(s.opCounts.Softmax).toBe(1);
  expect(s.opCounts.Dropout).toBeUndefined();
  expect(JSON.parse(s.metadata.configuration)).toEqual(config);
  expect(JSON.parse(s.metadata.metrics)).toEqual({ accuracy: 0.99 });
  expect(s.metadata.template).toBe('vgg');
  fs.rmSync(dir, { recursive: true });
});

test('onnx inspect prints a readable summary (subgraph ops counted)', () => {
  const file = path.join(TESTDATA, 'node/test_loop11/model.onnx');
  const r = cli(['onnx', 'inspect', file]);
  expect(r.code).toBe(0);
  const s = summarizeModel(decodeModel(fs.readFileSync(file)));
  expect(r.stdout).toContain(`IR version ${s.irVersion}`);
  for (const [op, n] of Object.entries(s.opCounts)) expect(r.stdout).toMatch(new RegExp(`^${op}\\s+${n}$`, 'm'));
});

test('onnx inspect: a truncated, non-ONNX or missing file is one line on stderr and exit 2', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'inspect-e2e-'));
  const truncated = path.join(dir, 'truncated.onnx');
  fs.writeFileSync(truncated, fs.readFileSync(conv).subarray(0, 120));
  const text = path.join(dir, 'notes.txt');
  fs.writeFileSync(text, 'not a model\n');
  for (const [file, message] of [
    [truncated, /truncated\.onnx: not a valid ONNX model/],
    [text, /notes\.txt: not a valid ONNX model/],
    [path.join(dir, 'missing.onnx'), /missing\.onnx: cannot read \(no such file\)/],
  ] as const) {
    const r = cli(['onnx', 'inspect', file, '--json']);
    expect({ file, code: r.code, stdout: r.stdout }).toEqual({ file, code: 2, stdout: '' });
    expect(r.stderr).toMatch(new RegExp(`^marl-hpo: .*${message.source}.*\\n$`));
  }
  expect(cli(['onnx', 'inspect']).code).toBe(2);
  fs.rmSync(dir, { recursive: true });
});
