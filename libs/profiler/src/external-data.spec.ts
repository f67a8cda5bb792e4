import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { decodeModel, tensorValues } from '@marl-hpo/onnx';
import { measure, readModelFile } from './measure';

// python onnx writes the models: a conv whose weights are in 'weights.bin' beside the model.
const dir = mkdtempSync(path.join(os.tmpdir(), 'marl-hpo-extdata-'));
const WRITE = String.raw`
import sys, numpy as np, onnx
from onnx import helper, numpy_helper, TensorProto
out, location = sys.argv[1], sys.argv[2]
w = numpy_helper.from_array(np.arange(8 * 3 * 3 * 3, dtype=np.float32).reshape(8, 3, 3, 3) / 100, 'w')
b = numpy_helper.from_array(np.arange(8, dtype=np.float32), 'b')
x = helper.make_tensor_value_info('x', TensorProto.FLOAT, ['N', 3, 8, 8])
y = helper.make_tensor_value_info('y', TensorProto.FLOAT, ['N', 8, 8, 8])
g = helper.make_graph([helper.make_node('Conv', ['x', 'w', 'b'], ['y'], pads=[1, 1, 1, 1])], 'g', [x], [y], [w, b])
m = helper.make_model(g, opset_imports=[helper.make_opsetid('', 17)])
m.ir_version = 8
onnx.save_model(m, out, save_as_external_data=True, all_tensors_to_one_file=True, location=location, size_threshold=0)
`;
const write = (file: string, location: string) => execFileSync('/usr/bin/python3', ['-c', WRITE, file, location]);

describe('models with external data', () => {
  const model = path.join(dir, 'model', 'conv.onnx');
  beforeAll(() => {
    mkdirSync(path.dirname(model), { recursive: true });
    write(model, 'weights.bin');
  });

  it('reads the weights from beside the model, whatever the working directory', async () => {
    expect(decodeModel(readFileSync(model)).graph?.initializer?.[0].data_location).toBe(1);
    const cwd = process.cwd();
    process.chdir(os.tmpdir());
    try {
      const inlined = decodeModel(await readModelFile(path.relative(os.tmpdir(), model)));
      const [w, b] = inlined.graph?.initializer ?? [];
      expect([w.data_location ?? 0, w.external_data ?? []]).toEqual([0, []]);
      expect(Array.from(tensorValues(w) as Float32Array).slice(0, 4)).toEqual([0, 0.01, 0.02, 0.03].map(Math.fround));
      expect(Array.from(tensorValues(b) as Float32Array)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
      const m = await measure(path.relative(os.tmpdir(), model), { warmup: 0, minRuns: 2, maxRuns: 3, maxSeconds: 1 });
      expect(m.runs).toBeGreaterThan(0);
    } finally {
      process.chdir(cwd);
    }
    // A model without external data comes back as the same bytes.
    const plain = path.join(dir, 'plain.onnx');
    execFileSync('/usr/bin/python3', ['-c', `${WRITE.replace('save_as_external_data=True', 'save_as_external_data=False')}`, plain, 'unused']);
    expect(Buffer.from(await readModelFile(plain)).equals(readFileSync(plain))).toBe(true);
  });

  it('refuses external data given as bytes: there is no folder to read it from', async () => {
    await expect(measure(readFileSync(model), { source: 'upload' })).rejects.toThrow(
      "upload: tensor 'w' keeps its data in an external file; profile the model file (its external data is read from beside it) or save it without external data",
    );
  });

  it('names the missing, short or escaping external file in one line', async () => {
    const missing = path.join(dir, 'missing', 'm.onnx');
    mkdirSync(path.dirname(missing));
    write(missing, 'w.bin');
    execFileSync('rm', [path.join(dir, 'missing', 'w.bin')]);
    await expect(readModelFile(missing)).rejects.toThrow(`${path.join(dir, 'missing', 'w.bin')} (external data of tensor 'w' in ${missing}): cannot read (no such file)`);
    const escaping = path.join(dir, 'escaping', 'm.onnx');
    mkdirSync(path.dirname(escaping));
    write(escaping, '../outside.bin');
    await expect(readModelFile(escaping)).rejects.toThrow(`${escaping}: tensor 'w': external data location '../outside.bin' is outside the model's folder ${path.dirname(escaping)}`);
  });
});
