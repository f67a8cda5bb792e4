import { summarize, type ArchitectureIR, type WeightMap, weightSpecs, BATCH_NORM_EPSILON } from '@marl-hpo/arch';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { decodeModel } from './codec';
import { OnnxExportError } from './errors';
import { buildOnnxModel, exportOnnx } from './export';
import { summarizeModel } from './inspect';
import { samePad, transpose } from './layout';
import { tensorValues } from './tensor';
import { pythonOnnx } from './testing/python-onnx';

/** Deterministic weights: value i of tensor t is a small function of both. */
function weightsFor(ir: ArchitectureIR): WeightMap {
  const out: WeightMap = {};
  weightSpecs(ir).forEach((s, t) => {
    const data = new Float32Array(s.shape.reduce((a, b) => a * b, 1));
    for (let i = 0; i < data.length; i++) data[i] = s.name.endsWith('variance') ? 0.5 + ((i * 7 + t) % 5) / 10 : Math.sin(i * 1.3 + t) / 2;
    out[s.name] = { shape: s.shape, data };
  });
  return out;
}

const classifier: ArchitectureIR = {
  template: 'tiny',
  task: 'classification',
  input: [8, 6, 2],
  classes: 3,
  layers: [
    { kind: 'conv2d', name: 'c1', filters: 4, kernel: 3, stride: 1, padding: 'same', activation: 'relu', batchNorm: true },
    { kind: 'maxPool', name: 'p1', size: 2, stride: 2, padding: 'valid' },
    { kind: 'dropout', name: 'drop', rate: 0.3 },
    { kind: 'flatten', name: 'flat' },
    { kind: 'dense', name: 'out', units: 3, activation: 'linear' },
  ],
};

const segmenter: ArchitectureIR = {
  template: 'tiny-seg',
  task: 'segmentation',
  input: [4, 4, 1],
  classes: 2,
  layers: [
    { kind: 'conv2d', name: 'e', filters: 3, kernel: 3, stride: 2, padding: 'same', activation: 'relu', batchNorm: false },
    { kind: 'convTranspose', name: 'up', filters: 3, kernel: 2, stride: 2, padding: 'same', activation: 'relu', batchNorm: true },
    { kind: 'upsample', name: 'u', scale: 1, mode: 'nearest' },
    { kind: 'conv2d', name: 'logits', filters: 2, kernel: 1, stride: 1, padding: 'same', activation: 'linear', batchNorm: false },
  ],
};

describe('layout', () => {
  it('transpose matches index arithmetic for every permutation of a rank-4 tensor', () => {
    const shape = [2, 3, 4, 5];
    const data = Float32Array.from({ length: 120 }, (_, i) => i);
    const perms = [[0, 1, 2, 3], [3, 2, 0, 1], [2, 3, 0, 1], [0, 2, 3, 1], [1, 0, 3, 2]];
    for (const perm of perms) {
      const t = transpose(data, shape, perm);
      expect(t.shape).toEqual(perm.map((p) => shape[p]));
      const strides = [60, 20, 5, 1];
      for (let o = 0; o < 120; o++) {
        let rest = o;
        let src = 0;
        for (let d = 3; d >= 0; d--) {
          const size = t.shape[d];
          src += (rest % size) * strides[perm[d]];
          rest = Math.floor(rest / size);
        }
        if (t.data[o] !== data[src]) throw new Error(`perm ${perm}: out[${o}] = ${t.data[o]}, expected ${data[src]}`);
      }
    }
  });

  it.each([
    // n, kernel, stride -> [begin, end]: TF pads the odd pixel at the end
    [13, 3, 2, [1, 1]],
    [8, 2, 2, [0, 0]],
    [9, 4, 1, [1, 2]],
    [6, 3, 2, [0, 1]],
    [5, 1, 3, [0, 0]],
    [1, 5, 1, [2, 2]],
  ])('samePad(%i, k=%i, s=%i) = %j', (n, k, s, expected) => {
    expect(samePad(n, k, s)).toEqual(expected);
  });
});

describe('buildOnnxModel', () => {
  const model = buildOnnxModel(classifier, weightsFor(classifier), { configuration: { width: 4 }, metrics: { accuracy: 0.9, latencyMs: 0.12 }, metadata: { run: 'r1' } });
  const nodes = model.graph?.node ?? [];

  it('is opset 17, IR 8, NCHW input with a dynamic batch, softmax output over the classes', () => {
    expect(model.ir_version).toBe(8n);
    expect(model.opset_import).toEqual([{ domain: '', version: 17n }]);
    const s = summarizeModel(model);
    expect(s.inputs).toEqual([{ name: 'input', elemType: 'FLOAT', shape: ['N', 2, 8, 6] }]);
    expect(s.outputs).toEqual([{ name: 'probabilities', elemType: 'FLOAT', shape: ['N', 3] }]);
    const last = nodes[nodes.length - 1];
    expect(last.op_type).toBe('Softmax');
    expect(last.output).toEqual(['probabilities']);
    expect(Number(last.attribute?.[0].i)).toBe(1);
    const seg = summarizeModel(buildOnnxModel(segmenter, weightsFor(segmenter)));
    expect(seg.outputs).toEqual([{ name: 'probabilities', elemType: 'FLOAT', shape: ['N', 2, 4, 4] }]);
  });

  it('drops dropout, folds batch norm, flattens in NHWC order', () => {
    expect(summarizeModel(model).opCounts).toEqual({ Conv: 1, Relu: 1, MaxPool: 1, Transpose: 1, Flatten: 1, Gemm: 1, Softmax: 1 });
    const transposeNode = nodes.find((n) => n.op_type === 'Transpose');
    expect(transposeNode?.attribute?.[0].ints).toEqual([0n, 2n, 3n, 1n]);
  });

  it('stores template, task, layout, architecture, configuration, metrics and extra metadata', () => {
    const meta = summarizeModel(model).metadata;
    expect(meta).toEqual({
      run: 'r1',
      template: 'tiny',
      task: 'classification',
      input_layout: 'NCHW',
      architecture: JSON.stringify(classifier),
      configuration: '{"width":4}',
      metrics: '{"accuracy":0.9,"latencyMs":0.12}',
    });
  });

  it('folded weights: W[co,ci,y,x] = K[y,x,ci,co] * gamma/sqrt(var+eps), b = beta - mean * gamma/sqrt(var+eps)', () => {
    const w = weightsFor(classifier);
    const init = new Map((model.graph?.initializer ?? []).map((t) => [t.name, t]));
    const W = tensorValues(init.get('c1/weight')!) as Float32Array;
    const B = tensorValues(init.get('c1/bias')!) as Float32Array;
    expect(init.get('c1/weight')?.dims).toEqual([4n, 2n, 3n, 3n]);
    const K = w['c1/kernel'].data; // [3, 3, 2, 4]
    const [gamma, beta, mean, variance] = ['gamma', 'beta', 'mean', 'variance'].map((n) => w[`c1/bn/${n}`].data);
    for (let co = 0; co < 4; co++) {
      const scale = gamma[co] / Math.sqrt(variance[co] + BATCH_NORM_EPSILON);
      expect(B[co]).toBeCloseTo(beta[co] - mean[co] * scale, 6);
      for (let ci = 0; ci < 2; ci++)
        for (let y = 0; y < 3; y++)
          for (let x = 0; x < 3; x++) expect(W[((co * 2 + ci) * 3 + y) * 3 + x]).toBeCloseTo(K[((y * 3 + x) * 2 + ci) * 4 + co] * scale, 6);
    }
    // dense kernel [in, units] goes in unchanged (Gemm transB = 0)
    expect(Array.from(tensorValues(init.get('out/weight')!) as Float32Array)).toEqual(Array.from(w['out/kernel'].data));
  });

  it('has as many parameters as arch counts, each batch norm gamma + beta becoming one bias', () => {
    for (const ir of [classifier, segmenter]) {
      const bnChannels = ir.layers.reduce((n, l) => n + ('batchNorm' in l && l.batchNorm && 'filters' in l ? l.filters : 0), 0);
      expect(summarizeModel(buildOnnxModel(ir, weightsFor(ir))).params).toBe(summarize(ir).params - bnChannels);
    }
  });

  it('is deterministic: the same IR and weights give the same bytes', () => {
    const w = weightsFor(classifier);
    expect(Buffer.from(exportOnnx(classifier, w)).equals(Buffer.from(exportOnnx(classifier, w)))).toBe(true);
  });

  it('passes python onnx full_check and python reads the same summary', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'onnx-export-'));
    const files = [classifier, segmenter].map((ir) => {
      const file = path.join(dir, `${ir.template}.onnx`);
      fs.writeFileSync(file, exportOnnx(ir, weightsFor(ir), { configuration: [1, 2], metrics: { accuracy: 1 } }));
      return file;
    });
    expect(pythonOnnx('check', files).filter((r) => !r.ok)).toEqual([]);
    expect(pythonOnnx('inspect', files)).toEqual(files.map((file) => ({ file, ok: true, ...summarizeModel(decodeModel(fs.readFileSync(file))) })));
    fs.rmSync(dir, { recursive: true });
  });
});

describe('user errors', () => {
  const w = () => weightsFor(classifier);
  const error = (f: () => unknown) => {
    try {
      f();
    } catch (e) {
      return e as Error & { userError?: boolean };
    }
    throw new Error('expected an error');
  };

  it.each([
    ['a missing weight', () => exportOnnx(classifier, { ...w(), 'c1/kernel': undefined } as unknown as WeightMap), /weights: missing 'c1\/kernel' \[3, 3, 2, 4\]/],
    ['a weight of the wrong shape', () => exportOnnx(classifier, { ...w(), 'out/bias': { shape: [4], data: new Float32Array(4) } }), /weights: 'out\/bias' has shape \[4\], the architecture needs \[3\]/],
    ['too little data', () => exportOnnx(classifier, { ...w(), 'out/bias': { shape: [3], data: new Float32Array(2) } }), /'out\/bias' needs a Float32Array of 3 values, got 2/],
    ['an unknown weight', () => exportOnnx(classifier, { ...w(), 'c9/kernel': { shape: [1], data: new Float32Array(1) } }), /weights: 'c9\/kernel' is not a weight of this architecture/],
    ['a metadata key the exporter owns', () => exportOnnx(classifier, w(), { metadata: { template: 'x' } }), /metadata: key 'template' is written by the exporter/],
    [
      'an unknown activation',
      () => {
        const ir = { ...classifier, layers: classifier.layers.map((l) => (l.name === 'c1' ? { ...l, activation: 'gelu' } : l)) } as ArchitectureIR;
        return exportOnnx(ir, w());
      },
      /layer 'c1': unknown activation 'gelu'/,
    ],
  ])('%s is a one-line user error naming it', (_label, f, message) => {
    const e = error(f);
    expect(e).toBeInstanceOf(OnnxExportError);
    expect(e.userError).toBe(true);
    expect(e.message).toMatch(message);
  });

  it('an invalid IR is arch\'s user error', () => {
    const e = error(() => exportOnnx({ ...classifier, input: [0, 1, 1] }, w()));
    expect(e.userError).toBe(true);
    expect(e.message).toMatch(/input/);
  });
});
