import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { cli, ROOT } from './cli-helpers';

const SERVER = path.join(ROOT, 'dist/apps/profiler-server/main.js');
const FAST = ['--warmup', '1', '--min-runs', '5', '--max-runs', '30', '--max-seconds', '2'];
const KEYS = ['backend', 'device', 'meanMs', 'p50Ms', 'p90Ms', 'runs', 'stdMs'];

const dir = mkdtempSync(path.join(os.tmpdir(), 'marl-hpo-profile-e2e-'));
const model = path.join(dir, 'cnn.onnx');

/** Plain CNNs of several widths, for calibration. */
const family = [8, 16, 32, 48].flatMap((w) =>
  [16, 24].map((hw) => ({ name: `c${w}_${hw}`, input: [3, hw, hw], layers: [{ op: 'conv', out: w, k: 3, pad: 1 }, { op: 'relu' }, { op: 'maxpool', k: 2 }, { op: 'conv', out: w, k: 3, pad: 1 }, { op: 'gap' }, { op: 'flatten' }, { op: 'gemm', out: 10 }] })),
);

beforeAll(() => {
  // Small CNNs from python onnx (the profiler's fixture script), and the server bundle.
  const spec = [
    { name: 'cnn', input: [3, 16, 16], layers: [{ op: 'conv', out: 8, k: 3, pad: 1 }, { op: 'relu' }, { op: 'gap' }, { op: 'flatten' }, { op: 'gemm', out: 10 }] },
    ...family,
    // 4096 x 32 x 32 floats (16 MB) per image after the conv: batch 100000 needs 1.6 TB.
    { name: 'wide', input: [3, 32, 32], layers: [{ op: 'conv', out: 4096, k: 3, pad: 1 }, { op: 'gap' }, { op: 'flatten' }] },
    { name: 'huge-input', input: [1, 100000, 100000], batch: 1, layers: [{ op: 'relu' }] },
  ];
  writeFileSync(path.join(dir, 'specs.json'), JSON.stringify(spec));
  execFileSync('/usr/bin/python3', [path.join(ROOT, 'libs/profiler/testdata/make_models.py'), dir, path.join(dir, 'specs.json')]);
  execFileSync(process.execPath, [path.join(ROOT, 'tools/build.mjs'), 'profiler-server'], { cwd: ROOT });
});

test('profile --json prints exactly the measurement keys', () => {
  const r = cli(['profile', model, '--json', '--batch', '3', ...FAST]);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  const m = JSON.parse(r.stdout);
  // relCI is there once enough runs bound the median's CI.
  expect(Object.keys(m).filter((k) => k !== 'relCI').sort()).toEqual(KEYS);
  expect(m.relCI).toBeLessThan(1);
  expect(m.backend).toBe('ort-cpu');
  expect(m.p90Ms).toBeGreaterThanOrEqual(m.p50Ms);
});

test('profile --ops prints a table of op types', () => {
  const r = cli(['profile', model, '--ops', '--graph-opt', 'disabled', ...FAST]);
  expect(r.code).toBe(0);
  expect(r.stdout).toMatch(/on ort-cpu: .*onnxruntime-node/);
  expect(r.stdout).toMatch(/^op type\s+nodes\s+ms\/inference\s+share$/m);
  for (const op of ['Conv', 'Relu', 'GlobalAveragePool', 'Gemm']) expect(r.stdout).toMatch(new RegExp(`^${op}\\s+1\\s`, 'm'));
});

test('a plug-in package named as the backend is loaded and measures', () => {
  const r = cli(['profile', model, '--json', '--backend', '@marl-hpo/profiler-example', ...FAST]);
  expect(r.code).toBe(0);
  expect(JSON.parse(r.stdout).backend).toBe('@marl-hpo/profiler-example');
});

test('profile calibrate fits on measured models, saves the fit, and the estimate backend uses it', () => {
  const out = path.join(dir, 'fit.json');
  const files = family.map((f) => path.join(dir, `${f.name}.onnx`));
  const r = cli(['profile', 'calibrate', ...files, '--out', out, '--json', '--holdout', '0.25', ...FAST]);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  const { calibration, points } = JSON.parse(r.stdout);
  expect(calibration).toMatchObject({ version: 1, backend: 'ort-cpu', fitModels: 6, heldOutModels: 2 });
  expect(points).toHaveLength(8);
  const est = cli(['profile', files[0], '--backend', 'estimate', '--calibration', out, '--json']);
  expect(est.code).toBe(0);
  const p = points.find((x: { name: string }) => x.name === files[0]);
  expect(JSON.parse(est.stdout).p50Ms).toBeCloseTo(p.estimatedMs, 9);
  const few = cli(['profile', 'calibrate', '--models', '3']);
  expect(few.code).toBe(2);
  expect(few.stderr.trim()).toBe("marl-hpo: --models: expected an integer >= 8, got '3'");
});

test('a model with external data is read with its weights from beside it, from any working directory', () => {
  const ext = path.join(dir, 'ext', 'conv.onnx');
  mkdirSync(path.dirname(ext));
  execFileSync('/usr/bin/python3', [
    '-c',
    `import sys, numpy as np, onnx
from onnx import helper, numpy_helper, TensorProto
w = numpy_helper.from_array(np.ones((8, 3, 3, 3), np.float32), 'w')
g = helper.make_graph([helper.make_node('Conv', ['x', 'w'], ['y'], pads=[1, 1, 1, 1])], 'g', [helper.make_tensor_value_info('x', TensorProto.FLOAT, ['N', 3, 8, 8])], [helper.make_tensor_value_info('y', TensorProto.FLOAT, ['N', 8, 8, 8])], [w])
m = helper.make_model(g, opset_imports=[helper.make_opsetid('', 17)]); m.ir_version = 8
onnx.save_model(m, sys.argv[1], save_as_external_data=True, location='conv.weights', size_threshold=0)`,
    ext,
  ]);
  const r = cli(['profile', ext, '--json', ...FAST], { cwd: os.tmpdir() });
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  expect(JSON.parse(r.stdout).runs).toBeGreaterThan(0);
});

test('bad input: one line on stderr and exit 2', () => {
  const notOnnx = path.join(dir, 'notes.onnx');
  writeFileSync(notOnnx, 'hello');
  const cases: [string[], RegExp][] = [
    [['profile', notOnnx], new RegExp(`^marl-hpo: ${notOnnx}: not a valid ONNX model`)],
    [['profile', path.join(dir, 'missing.onnx')], /cannot read the model \(no such file\)/],
    [['profile', model, '--backend', 'nope'], /^marl-hpo: unknown profiler backend 'nope'/],
    [['profile', model, '--threads', 'two'], /^marl-hpo: --threads: expected a number, got 'two'/],
    [['profile', model, '--min-runs', '9', '--max-runs', '3'], /^marl-hpo: --max-runs: must be >= minRuns/],
    [['profile', model, '--backend', 'remote'], /needs profiler\.url/],
  ];
  cases.push(
    [['profile', path.join(dir, 'wide.onnx'), '--batch', '100000'], /^marl-hpo: .*wide\.onnx: at batch 100000 the model needs about 1\d{3}\.\d GB for its tensors, more than the [\d.]+ GB of memory available; lower the batch$/],
    [['profile', path.join(dir, 'huge-input.onnx')], /^marl-hpo: .*huge-input\.onnx: input 'input' \[1, 1, 100000, 100000\] at batch 1 is 10000000000 values \(37\.3 GB\), more than the 4294967296 values one tensor can hold/],
  );
  for (const [args, message] of cases) {
    const r = cli(args);
    expect({ args, code: r.code }).toEqual({ args, code: 2 });
    expect(r.stdout).toBe('');
    expect(r.stderr.trim()).toMatch(message);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  }
});

describe('remote profiling through the profiler server', () => {
  let server: ChildProcess;
  let url: string;
  const TOKEN = 'e2e-secret-token';

  beforeAll(async () => {
    server = spawn(process.execPath, [SERVER, '--port', '0'], { env: { ...process.env, MARL_HPO_PROFILER_TOKEN: TOKEN }, stdio: ['ignore', 'ignore', 'pipe'] });
    url = await new Promise<string>((resolve, reject) => {
      let err = '';
      server.stderr?.on('data', (d: Buffer) => {
        err += d.toString();
        const m = /listening on (http:\/\/\S+)/.exec(err);
        if (m) resolve(m[1]);
      });
      server.on('exit', (code) => reject(new Error(`server exited ${code}: ${err}`)));
    });
  });
  afterAll(() => {
    server.kill('SIGTERM');
  });

  test('measures on the server; a wrong token, a dead server and a hung one are exit 2 naming the URL', async () => {
    const env = { ...process.env, MARL_HPO_PROFILER_TOKEN: TOKEN };
    const ok = cli(['profile', model, '--backend', 'remote', '--url', url, '--json', ...FAST], { env });
    expect(ok.stderr).toBe('');
    const m = JSON.parse(ok.stdout);
    expect(m.backend).toBe('remote');
    expect(m.device).toContain(`[ort-cpu at ${url}]`);

    // External data is read beside the model here and sent inlined: the server has no such file.
    const ext = cli(['profile', path.join(dir, 'ext', 'conv.onnx'), '--backend', 'remote', '--url', url, '--json', ...FAST], { env, cwd: os.tmpdir() });
    expect([ext.code, ext.stderr]).toEqual([0, '']);

    const wrong = cli(['profile', model, '--backend', 'remote', '--url', url, '--token', 'nope']);
    expect(wrong.code).toBe(2);
    expect(wrong.stderr.trim()).toBe(`marl-hpo: profiler server ${url}: rejected the API token (401); check profiler.token (--token) or MARL_HPO_PROFILER_TOKEN`);

    // A server that accepts connections and never answers.
    const hung = net.createServer(() => undefined);
    await new Promise<void>((r) => hung.listen(0, '127.0.0.1', r));
    const hungUrl = `http://127.0.0.1:${(hung.address() as net.AddressInfo).port}`;
    const slow = cli(['profile', model, '--backend', 'remote', '--url', hungUrl, '--timeout-ms', '300'], { env });
    hung.close();
    expect(slow.code).toBe(2);
    expect(slow.stderr).toContain(`marl-hpo: profiler server ${hungUrl}: no answer within 300 ms`);

    const deadUrl = hungUrl; // closed above
    const dead = cli(['profile', model, '--backend', 'remote', '--url', deadUrl], { env });
    expect(dead.code).toBe(2);
    expect(dead.stderr.trim()).toBe(`marl-hpo: profiler server ${deadUrl}: connection refused; is the profiler server running on that host and port?`);
  });
});
