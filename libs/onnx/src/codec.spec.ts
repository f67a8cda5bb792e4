import fs from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import os from 'node:os';
import { decodeMessage, decodeModel, encodeMessage, encodeModel, schemaEnum } from './codec';
import { AttributeType, DataType, type GraphProto, type ModelProto, type TensorProto } from './types';
import { tensorValues } from './tensor';
import { pythonOnnx } from './testing/python-onnx';

const TESTDATA = '/usr/share/libonnx-testdata/data';

function findFiles(dir: string, ext: string): string[] {
  const out: string[] = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...findFiles(p, ext));
    else if (e.name.endsWith(ext)) out.push(p);
  }
  return out.sort();
}

let tmp: string;
beforeAll(() => (tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'onnx-codec-'))));
afterAll(() => fs.rmSync(tmp, { recursive: true }));

const workspace = path.resolve(__dirname, '../../..');

describe('schema', () => {
  it('generated/onnx-proto.json is onnx.proto3 compiled (tools/onnx-schema.mjs --check)', () => {
    expect(() => execFileSync('node', ['tools/onnx-schema.mjs', '--check'], { cwd: workspace, stdio: 'pipe' })).not.toThrow();
  });

  it('DataType and AttributeType constants match the schema enums', () => {
    expect(schemaEnum('TensorProto.DataType')).toEqual(DataType);
    expect(schemaEnum('AttributeProto.AttributeType')).toEqual(AttributeType);
  });
});

describe('round trip over libonnx-testdata', () => {
  // Every model of the package (~1000: every operator's node test, pytorch exports, sequences, subgraphs).
  const models = fs.existsSync(TESTDATA) ? findFiles(TESTDATA, '.onnx') : [];

  it('finds the Debian testdata', () => {
    expect(models.length).toBeGreaterThan(1000);
  });

  it('decode(encode(m)) equals m, re-encoding gives the same bytes, and python onnx reads the same model', () => {
    let identicalToFile = 0;
    const pairs: string[] = [];
    models.forEach((file, i) => {
      const original = fs.readFileSync(file);
      const m = decodeModel(original, file);
      const bytes = encodeModel(m);
      const again = decodeModel(bytes, file);
      expect({ file, model: again }).toEqual({ file, model: m });
      expect({ file, same: Buffer.compare(Buffer.from(encodeModel(again)), Buffer.from(bytes)) }).toEqual({ file, same: 0 });
      if (Buffer.compare(original, Buffer.from(bytes)) === 0) identicalToFile++;
      else {
        const ours = path.join(tmp, `${i}.onnx`);
        fs.writeFileSync(ours, bytes);
        pairs.push(file, ours);
      }
    });
    // protobuf's C++ writer wrote them; files with proto2-unpacked repeated ints differ from our packed bytes...
    expect(identicalToFile).toBeGreaterThan(models.length / 2);
    // ...so those are compared as messages by python's protobuf.
    const results = pythonOnnx('same', pairs);
    expect(results.filter((r) => !(r.ok && r.equal))).toEqual([]);
    expect(results.length).toBe(pairs.length / 2);
  });

  it('tensorValues reads raw_data and typed fields of every element type as numpy_helper does', () => {
    // (sequence/optional/map test data are SequenceProto/OptionalProto files, not tensors)
    const pbs = findFiles(TESTDATA, '.pb')
      .filter((f, i) => i % 5 === 0 || /cast|string|bool|uint|int8|int16|complex|double/.test(f))
      .filter((f) => !/sequence|optional|_map|loop13|if_seq|if_opt/.test(f));
    const expected = pythonOnnx('tensors', pbs);
    const seen = new Set<number>();
    const actual = pbs.map((file) => {
      const t = decodeMessage('TensorProto', fs.readFileSync(file));
      seen.add(t.data_type ?? 0);
      const v = tensorValues(t);
      let values: unknown[];
      if (Array.isArray(v)) values = v.map((b) => Buffer.from(b).toString('utf8'));
      else if (t.data_type === DataType.BFLOAT16) values = Array.from(v as Uint16Array, (bits) => new Float32Array(new Uint32Array([bits << 16]).buffer)[0]);
      else values = Array.from(v as ArrayLike<number | bigint>, Number);
      values = values.map((x) => (typeof x === 'number' && !Number.isFinite(x) ? String(x) : x)); // JSON has no NaN
      return { file, ok: true, tensors: [{ name: t.name ?? '', dataType: t.data_type, shape: (t.dims ?? []).map(Number), values }] };
    });
    expect(actual).toEqual(expected);
    // FLOAT..UINT64 occur in the package; COMPLEX64/128 and BFLOAT16 only in the hand-made model below.
    expect([...seen].filter((t) => t > 0).sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13]);
  });
});

/** A model that uses every field of the schema, every attribute kind and every element type. */
function kitchenSink(): ModelProto {
  const typed: TensorProto[] = [
    { name: 'f', dims: [2n], data_type: DataType.FLOAT, float_data: [1.5, -0] },
    { name: 'u8', dims: [2n], data_type: DataType.UINT8, int32_data: [0, 255] },
    { name: 'i8', dims: [2n], data_type: DataType.INT8, int32_data: [-128, 127] },
    { name: 'u16', dims: [1n], data_type: DataType.UINT16, int32_data: [65535] },
    { name: 'i16', dims: [1n], data_type: DataType.INT16, int32_data: [-32768] },
    { name: 'i32', dims: [2n], data_type: DataType.INT32, int32_data: [-2147483648, 2147483647] },
    { name: 'i64', dims: [3n], data_type: DataType.INT64, int64_data: [-(2n ** 63n), 2n ** 63n - 1n, 0n] },
    { name: 's', dims: [2n], data_type: DataType.STRING, string_data: [new TextEncoder().encode('héllo'), new Uint8Array([0, 255])] },
    { name: 'b', dims: [2n], data_type: DataType.BOOL, int32_data: [1, 0] },
    { name: 'f16', dims: [1n], data_type: DataType.FLOAT16, int32_data: [0x3c00] },
    { name: 'd', dims: [1n], data_type: DataType.DOUBLE, double_data: [Math.PI] },
    { name: 'u32', dims: [1n], data_type: DataType.UINT32, uint64_data: [4294967295n] },
    { name: 'u64', dims: [1n], data_type: DataType.UINT64, uint64_data: [2n ** 64n - 1n] },
    { name: 'c64', dims: [1n], data_type: DataType.COMPLEX64, float_data: [1, -1] },
    { name: 'c128', dims: [1n], data_type: DataType.COMPLEX128, double_data: [1e300, -1e-300] },
    { name: 'bf16', dims: [1n], data_type: DataType.BFLOAT16, int32_data: [0x3f80] },
  ];
  const raw: TensorProto[] = typed
    .filter((t) => t.data_type !== DataType.STRING)
    .map((t) => {
      const v = tensorValues(t) as Exclude<ReturnType<typeof tensorValues>, Uint8Array[]>;
      return { name: `${t.name}_raw`, dims: t.dims, data_type: t.data_type, raw_data: new Uint8Array(v.buffer.slice(0)) };
    });
  const tensorType = { tensor_type: { elem_type: DataType.FLOAT, shape: { dim: [{ dim_param: 'N', denotation: 'DATA_BATCH' }, { dim_value: 0n }, {}] } } };
  const body: GraphProto = {
    name: 'body',
    node: [{ op_type: 'Identity', input: ['x'], output: ['y'] }],
    input: [{ name: 'x', type: tensorType }],
    output: [{ name: 'y', type: tensorType }],
  };
  const sparse = { values: { name: 'sv', dims: [2n], data_type: DataType.FLOAT, float_data: [1, 2] }, indices: { name: 'si', dims: [2n], data_type: DataType.INT64, int64_data: [0n, 3n] }, dims: [4n] };
  const attrs = [
    { name: 'f', type: AttributeType.FLOAT, f: 0 },
    { name: 'i', type: AttributeType.INT, i: -(2n ** 63n) },
    { name: 's', type: AttributeType.STRING, s: new Uint8Array(0), doc_string: 'empty string, still present' },
    { name: 't', type: AttributeType.TENSOR, t: typed[0] },
    { name: 'g', type: AttributeType.GRAPH, g: body },
    { name: 'st', type: AttributeType.SPARSE_TENSOR, sparse_tensor: sparse },
    { name: 'tp', type: AttributeType.TYPE_PROTO, tp: { sequence_type: { elem_type: tensorType }, denotation: 'seq' } },
    { name: 'fs', type: AttributeType.FLOATS, floats: [0.25, Math.fround(-1e30)] },
    { name: 'is', type: AttributeType.INTS, ints: [1n, -1n, 2n ** 40n] },
    { name: 'ss', type: AttributeType.STRINGS, strings: [new Uint8Array([1]), new Uint8Array([2, 3])] },
    { name: 'ts', type: AttributeType.TENSORS, tensors: raw.slice(0, 3) },
    { name: 'gs', type: AttributeType.GRAPHS, graphs: [body, body] },
    { name: 'sts', type: AttributeType.SPARSE_TENSORS, sparse_tensors: [sparse] },
    {
      name: 'tps',
      type: AttributeType.TYPE_PROTOS,
      type_protos: [
        { map_type: { key_type: DataType.INT64, value_type: tensorType } },
        { optional_type: { elem_type: tensorType } },
        { sparse_tensor_type: { elem_type: DataType.FLOAT, shape: { dim: [{ dim_value: 3n }] } } },
        { opaque_type: { domain: 'com.example', name: 'Blob' } },
      ],
    },
    { name: 'ref', ref_attr_name: 'alpha', type: AttributeType.FLOAT },
  ];
  return {
    ir_version: 8n,
    opset_import: [{ domain: '', version: 17n }, { domain: 'com.example', version: 1n }],
    producer_name: 'kitchen sink',
    producer_version: '1.0',
    domain: 'com.example',
    model_version: 2n ** 62n,
    doc_string: 'every field',
    graph: {
      name: 'main',
      doc_string: 'main graph',
      node: [{ name: 'n0', op_type: 'Custom', domain: 'com.example', input: ['x', ''], output: ['y'], attribute: attrs, doc_string: 'node doc' }],
      initializer: [...typed, ...raw, { name: 'ext', dims: [1n], data_type: DataType.FLOAT, data_location: 1, external_data: [{ key: 'location', value: 'w.bin' }] }, { name: 'seg', dims: [1n], data_type: DataType.FLOAT, float_data: [1], segment: { begin: 0n, end: 1n } }],
      sparse_initializer: [sparse],
      input: [{ name: 'x', type: tensorType, doc_string: 'input doc' }],
      output: [{ name: 'y', type: tensorType }],
      value_info: [{ name: 'v', type: { sequence_type: { elem_type: tensorType } } }],
      quantization_annotation: [{ tensor_name: 'x', quant_parameter_tensor_names: [{ key: 'SCALE_TENSOR', value: 'f' }] }],
    },
    metadata_props: [{ key: 'k', value: 'v' }, { key: '', value: '' }],
    training_info: [{ initialization: body, algorithm: body, initialization_binding: [{ key: 'a', value: 'b' }], update_binding: [{ key: 'c', value: 'd' }] }],
    functions: [{ name: 'Fn', domain: 'com.example', input: ['a'], output: ['b'], attribute: ['alpha'], node: [{ op_type: 'Identity', input: ['a'], output: ['b'] }], doc_string: 'fn', opset_import: [{ domain: '', version: 17n }] }],
  };
}

describe('every field of the schema', () => {
  it('round-trips through our codec and through python protobuf', () => {
    const model = kitchenSink();
    const bytes = encodeModel(model);
    const decoded = decodeModel(bytes);
    // decode fills in empty repeated fields; everything we set comes back unchanged (bigint, bytes, zeros).
    expect(decoded).toMatchObject(model as Record<string, unknown>);
    expect(Buffer.from(encodeModel(decoded)).equals(Buffer.from(bytes))).toBe(true);
    const a = path.join(tmp, 'sink.onnx');
    const b = path.join(tmp, 'sink-python.onnx');
    fs.writeFileSync(a, bytes);
    expect(pythonOnnx('resave', [a, b])).toEqual([{ file: a, ok: true }]);
    expect(decodeModel(fs.readFileSync(b))).toEqual(decoded);
  });

  it('keeps proto3 presence: a zero in a oneof or an explicitly set zero is written, an absent field is not', () => {
    const dim = encodeMessage('TypeProto', { tensor_type: { shape: { dim: [{ dim_value: 0n }, {}] } } });
    expect(decodeMessage('TypeProto', dim).tensor_type?.shape?.dim).toEqual([{ dim_value: 0n }, {}]);
  });

  it('typed-field and raw_data tensors of every element type hold the same values', () => {
    const inits = kitchenSink().graph?.initializer ?? [];
    for (const t of inits.filter((x) => x.raw_data)) {
      const typed = inits.find((x) => `${x.name}_raw` === t.name);
      expect({ name: t.name, values: tensorValues(t) }).toEqual({ name: t.name, values: tensorValues(typed as TensorProto) });
    }
  });

  it('rejects values of the wrong type instead of writing garbage', () => {
    expect(() => encodeModel({ ir_version: 1.5 as unknown as bigint })).toThrow(/ModelProto\.ir_version: expected a bigint/);
    expect(() => encodeModel({ graph: { nodes: [] } as unknown as GraphProto })).toThrow(/GraphProto has no field 'nodes'/);
  });
});
