import { weightSpecs, type ArchitectureIR, type WeightMap } from '@marl-hpo/arch';
import type { Dataset } from '@marl-hpo/data';
import { decodeModel, encodeModel, exportOnnx, summarizeModel } from '@marl-hpo/onnx';
import { checkModel } from './check-model';
import type { TrainerContext, TrainJob } from './types';

const ir: ArchitectureIR = {
  template: 'tiny',
  task: 'classification',
  input: [6, 5, 2],
  classes: 3,
  layers: [
    { kind: 'conv2d', name: 'c', filters: 4, kernel: 3, stride: 1, padding: 'same', activation: 'relu', batchNorm: false },
    { kind: 'globalAvgPool', name: 'gap' },
    { kind: 'dense', name: 'logits', units: 3, activation: 'linear' },
  ],
};
const weights: WeightMap = Object.fromEntries(weightSpecs(ir).map((s) => [s.name, { shape: s.shape, data: new Float32Array(s.shape.reduce((a, b) => a * b, 1)).fill(0.1) }]));
const job: TrainJob = { proposal: 0, ir, values: { c: 4 }, fidelity: { epochs: 1 } };
const ctx = { dataset: { task: 'classification', shape: [6, 5, 2], classes: ['a', 'b', 'c'], name: 'idx:/data', normalize: { mean: [0.1, 0.2], std: [0.3, 0.4] } } as unknown as Dataset, datasetSpec: { spec: 'idx:/data', options: {} }, seed: 0 } as TrainerContext;
const good = exportOnnx(ir, weights);

/** The good model with its graph edited. */
function edited(edit: (m: ReturnType<typeof decodeModel>) => void): Uint8Array {
  const m = decodeModel(good);
  edit(m);
  return encodeModel(m);
}

test("a model that fits passes, with the run's metadata replacing any of the same name", () => {
  const withTheirs = edited((m) => (m.metadata_props = [{ key: 'metrics', value: 'theirs' }, { key: 'author', value: 'team' }]));
  const out = summarizeModel(decodeModel(checkModel(withTheirs, job, ctx, { accuracy: 0.9 }, 'model.onnx')));
  expect(out.metadata).toMatchObject({ author: 'team', template: 'tiny', task: 'classification', input_layout: 'NCHW', configuration: '{"c":4}', metrics: '{"accuracy":0.9}', dataset: 'idx:/data' });
  expect(JSON.parse(out.metadata.preprocessing)).toEqual({ scale: 1 / 255, mean: [0.1, 0.2], std: [0.3, 0.4] });
  expect(JSON.parse(out.metadata.architecture)).toEqual(ir);
  expect(out.params).toBe(summarizeModel(decodeModel(good)).params);
});

test.each([
  ['not ONNX', () => new TextEncoder().encode('not a model'), /^model\.onnx: not a valid ONNX model/],
  ['no nodes', () => edited((m) => (m.graph!.node = [])), /the graph has no nodes/],
  ['input name', () => edited((m) => (m.graph!.input![0].name = 'x')), /its input is named 'x', the contract needs 'input' \(torch\.onnx\.export/],
  ['output name', () => edited((m) => (m.graph!.output![0].name = 'logits')), /its output is named 'logits', the contract needs 'probabilities'/],
  ['input channels', () => edited((m) => (m.graph!.input![0].type!.tensor_type!.shape!.dim![1] = { dim_value: 3n })), /input 'input' is \[N, 3, 6, 5\], the dataset needs \[N, 2, 6, 5\] \(NCHW\)/],
  ['input NHWC', () => edited((m) => (m.graph!.input![0].type!.tensor_type!.shape!.dim = [{ dim_param: 'N' }, { dim_value: 6n }, { dim_value: 5n }, { dim_value: 2n }])), /the dataset needs \[N, 2, 6, 5\]/],
  ['classes', () => edited((m) => (m.graph!.output![0].type!.tensor_type!.shape!.dim![1] = { dim_value: 10n })), /output 'probabilities' is \[N, 10\], expected \[N, 3\] \(softmax over 3 classes\)/],
  ['float64', () => edited((m) => (m.graph!.input![0].type!.tensor_type!.elem_type = 11)), /must be float32 tensors, got DOUBLE and FLOAT/],
  ['two outputs', () => edited((m) => m.graph!.output!.push({ ...m.graph!.output![0], name: 'extra' })), /expected one output 'probabilities', found 2/],
])('a model that does not fit fails the evaluation (%s)', (_name, bytes, message) => {
  let error: unknown;
  try {
    checkModel(bytes(), job, ctx, {}, 'model.onnx');
  } catch (e) {
    error = e;
  }
  expect(error).toMatchObject({ name: 'TrainerFailure', message: expect.stringMatching(message) });
  // A failed evaluation, not a user error: the search goes on.
  expect((error as { userError?: boolean }).userError).toBeUndefined();
});
