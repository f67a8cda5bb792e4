import { readFileSync } from 'node:fs';
import { decodeModel } from '@marl-hpo/onnx';
import { CNN, makeModels, type ModelSpec } from '../testing/make-models';
import { graphCost } from './graph-cost';

const SPECS: ModelSpec[] = [
  { ...CNN, refBatch: 3 },
  {
    name: 'seg',
    input: [1, 16, 16],
    batch: 2,
    layers: [
      { op: 'conv', out: 8, k: 3, pad: 1 },
      { op: 'conv', out: 8, k: 3, pad: 1, group: 8 },
      { op: 'convT', out: 4, k: 2, stride: 2 },
      { op: 'resize', scale: 2 },
      { op: 'avgpool', k: 2 },
    ],
  },
  {
    name: 'odd',
    input: [3, 31, 29],
    layers: [
      { op: 'conv', out: 12, k: 5, stride: 2, pad: 2 },
      { op: 'maxpool', k: 3, stride: 2 },
      { op: 'conv', out: 12, k: 3, group: 3 },
      { op: 'bn' },
      { op: 'relu' },
      { op: 'flatten' },
      { op: 'matmul', out: 7 },
      { op: 'softmax' },
    ],
  },
];

describe('graphCost against python onnx shape inference', () => {
  const models = makeModels(SPECS);

  it.each(SPECS.map((s) => s.name))('%s: MACs, bytes and nodes equal the reference', (name) => {
    const spec = SPECS.find((s) => s.name === name) as ModelSpec;
    const batch = typeof spec.batch === 'number' ? spec.batch : (spec.refBatch ?? 1);
    const c = graphCost(decodeModel(readFileSync(models.file(name))), batch);
    expect(c.unknownOps).toEqual([]);
    expect(c.macs).toBe(models.ref[name].macs);
    expect(c.activationBytes).toBe(models.ref[name].activationBytes);
    expect(c.weightBytes).toBe(models.ref[name].weightBytes);
    expect(c.nodes).toBe(models.ref[name].nodes);
    expect(c.peakActivationBytes).toBe(models.ref[name].peakActivationBytes);
    expect(c.peakActivationBytes).toBeGreaterThan(0);
  });

  it('reports the graph inputs with the batch, and the peak grows with it', () => {
    const m = decodeModel(readFileSync(models.file('cnn')));
    expect(graphCost(m, 5).inputs).toEqual([{ name: 'input', shape: [5, 3, 32, 32], elementBytes: 4, elementType: 1 }]);
    // conv1 reads the input and writes 16 x 32 x 32 floats per image: both alive at once.
    expect(graphCost(m, 5).peakActivationBytes).toBeGreaterThanOrEqual(5 * (3 + 16) * 32 * 32 * 4);
    expect(graphCost(m, 10).peakActivationBytes).toBe(2 * graphCost(m, 5).peakActivationBytes);
    expect(graphCost(m, 5).outputBytes).toBe(5 * 10 * 4);
  });

  it('counts grouped convolutions apart', () => {
    const c = graphCost(decodeModel(readFileSync(models.file('seg'))), 2);
    // the group-8 conv: 2 x 8 x 16 x 16 outputs x (1 x 3 x 3) MACs each
    expect(c.groupedMacs).toBe(2 * 8 * 16 * 16 * 9);
  });

  it('scales with the dynamic batch', () => {
    const m = decodeModel(readFileSync(models.file('cnn')));
    expect(graphCost(m, 4).macs).toBe(4 * graphCost(m, 1).macs);
  });
});
