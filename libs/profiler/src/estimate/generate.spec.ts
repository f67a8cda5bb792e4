import { summarize } from '@marl-hpo/arch';
import { decodeModel } from '@marl-hpo/onnx';
import { generateCalibrationModels } from './generate';
import { graphCost } from './graph-cost';

describe('calibration models from the templates', () => {
  // Small models keep the export quick; the MAC check does not depend on size.
  const opts = { seed: 1, maxParams: 300e3 };
  const models = generateCalibrationModels(12, opts);

  it('are seeded, valid ONNX, and cover every template', () => {
    expect(models).toHaveLength(12);
    // Buffer.equals: jest's deep equality is slow on large byte arrays.
    const again = generateCalibrationModels(2, opts);
    again.forEach((m, i) => expect(Buffer.from(m.bytes).equals(Buffer.from(models[i].bytes))).toBe(true));
    expect(new Set(models.map((m) => m.name.split('-')[0]))).toEqual(new Set(['vgg', 'inception', 'unet']));
  });

  it("graphCost's MACs from the ONNX graph equal arch's MACs of the IR (two independent counters)", () => {
    for (const m of models) {
      const onnx = decodeModel(m.bytes);
      const ir = JSON.parse(onnx.metadata_props?.find((p) => p.key === 'architecture')?.value ?? '{}');
      const cost = graphCost(onnx, 1);
      expect({ name: m.name, unknown: cost.unknownOps }).toEqual({ name: m.name, unknown: [] });
      expect({ name: m.name, macs: cost.macs }).toEqual({ name: m.name, macs: summarize(ir).macs });
    }
  });
});
