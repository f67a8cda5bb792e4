import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { encodeModel } from './codec';
import { OnnxError } from './errors';
import { readOnnxFile, summarizeModel } from './inspect';
import { pythonOnnx } from './testing/python-onnx';
import { DataType, type ModelProto } from './types';

const TESTDATA = '/usr/share/libonnx-testdata/data';
describe('summarizeModel', () => {
  it('agrees with python onnx on every model of libonnx-testdata (subgraphs, sequences, maps, optionals, old IRs)', () => {
    const all: string[] = [];
    const walk = (dir: string) => {
      for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
        if (e.isDirectory()) walk(path.join(dir, e.name));
        else if (e.name.endsWith('.onnx')) all.push(path.join(dir, e.name));
      }
    };
    walk(TESTDATA);
    expect(all.length).toBeGreaterThan(1000);
    const actual = all.map((file) => ({ file, ok: true, ...summarizeModel(readOnnxFile(file)) }));
    expect(actual).toEqual(pythonOnnx('inspect', all));
  });

  it('reports dynamic dimensions by dim_param, unknown ones as null, and metadata', () => {
    const model: ModelProto = {
      ir_version: 8n,
      opset_import: [{ domain: '', version: 17n }],
      producer_name: 'me',
      graph: {
        node: [{ op_type: 'Relu', input: ['x'], output: ['y'] }],
        input: [{ name: 'x', type: { tensor_type: { elem_type: DataType.FLOAT, shape: { dim: [{ dim_param: 'N' }, {}, { dim_value: 0n }] } } } }],
        output: [{ name: 'y', type: { tensor_type: { elem_type: DataType.FLOAT } } }],
      },
      metadata_props: [{ key: 'template', value: 'vgg' }],
    };
    expect(summarizeModel(model)).toEqual({
      irVersion: 8,
      opsetImports: [{ domain: '', version: 17 }],
      producerName: 'me',
      inputs: [{ name: 'x', elemType: 'FLOAT', shape: ['N', null, 0] }],
      outputs: [{ name: 'y', elemType: 'FLOAT', shape: null }],
      opCounts: { Relu: 1 },
      initializers: 0,
      params: 0,
      metadata: { template: 'vgg' },
    });
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'onnx-inspect-'));
    fs.writeFileSync(path.join(dir, 'm.onnx'), encodeModel(model));
    const [py] = pythonOnnx('inspect', [path.join(dir, 'm.onnx')]);
    expect({ ...py, file: undefined, ok: undefined }).toEqual({ ...summarizeModel(model), file: undefined, ok: undefined });
    fs.rmSync(dir, { recursive: true });
  });
});

describe('readOnnxFile', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'onnx-read-'));
  afterAll(() => fs.rmSync(dir, { recursive: true }));
  const conv = path.join(TESTDATA, 'pytorch-converted/test_Conv2d/model.onnx');

  it.each([
    ['truncated', () => fs.readFileSync(conv).subarray(0, 100), /truncated\.onnx: not a valid ONNX model \(truncated or not protobuf/],
    ['text', () => Buffer.from('{"hello": "this is JSON, not ONNX"}\n'), /text\.onnx: not a valid ONNX model/],
    ['empty', () => Buffer.alloc(0), /empty\.onnx: not a valid ONNX model \(empty file\)/],
    ['tensor', () => fs.readFileSync(path.join(TESTDATA, 'node/test_abs/test_data_set_0/input_0.pb')), /tensor\.onnx: not a valid ONNX model/],
  ])('rejects a %s file with a one-line OnnxError naming it', (name, bytes, message) => {
    const file = path.join(dir, `${name}.onnx`);
    fs.writeFileSync(file, bytes());
    let error: unknown;
    try {
      readOnnxFile(file);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(OnnxError);
    expect((error as OnnxError).userError).toBe(true);
    expect((error as Error).message).toMatch(message);
    expect((error as Error).message).not.toContain('\n');
  });

  it('names a missing file', () => {
    expect(() => readOnnxFile(path.join(dir, 'nope.onnx'))).toThrow(/nope\.onnx: cannot read \(no such file\)/);
  });
});
