// IRs and configurations the ONNX exporter is checked on (test/onnx-parity.e2e.ts against a tfjs
// reference, test/onnx-trainer-parity.e2e.ts against libs/trainer's predict).
import { builtinTemplates, valuesOf, type ArchitectureIR, type TemplateOptions } from '@marl-hpo/arch';
import { DataType, decodeModel, encodeModel, OUTPUT_NAME } from '@marl-hpo/onnx';
import { rng } from './tfjs-reference';

const conv = (name: string, filters: number, kernel: number, stride: number, padding: 'same' | 'valid', activation: 'relu' | 'linear' | 'sigmoid' | 'tanh', batchNorm: boolean) =>
  ({ kind: 'conv2d', name, filters, kernel, stride, padding, activation, batchNorm }) as const;
const convT = (name: string, filters: number, kernel: number, stride: number, padding: 'same' | 'valid', activation: 'relu' | 'linear' | 'sigmoid' | 'tanh', batchNorm: boolean) =>
  ({ kind: 'convTranspose', name, filters, kernel, stride, padding, activation, batchNorm }) as const;
const pool = (kind: 'maxPool' | 'avgPool', name: string, size: number, stride: number, padding: 'same' | 'valid') => ({ kind, name, size, stride, padding }) as const;

/** Hand-built IRs: every node kind, odd sizes (TF 'same' pads the odd pixel at the end), every activation. */
export const fixtures: ArchitectureIR[] = [
  {
    template: 'every-kind',
    task: 'classification',
    input: [13, 11, 3],
    classes: 5,
    layers: [
      conv('c1', 6, 3, 2, 'same', 'relu', true),
      { kind: 'depthwiseConv2d', name: 'dw', kernel: 3, stride: 1, padding: 'same', depthMultiplier: 2, activation: 'tanh', batchNorm: false },
      conv('c2', 8, 2, 1, 'valid', 'sigmoid', false),
      { kind: 'inception', name: 'inc1', b1x1: 4, b3x3reduce: 3, b3x3: 5, b5x5reduce: 2, b5x5: 3, poolProj: 2, batchNorm: true },
      { kind: 'inception', name: 'inc2', b1x1: 0, b3x3reduce: 4, b3x3: 6, b5x5reduce: 0, b5x5: 0, poolProj: 3, batchNorm: false },
      { kind: 'inception', name: 'inc3', b1x1: 0, b3x3reduce: 0, b3x3: 0, b5x5reduce: 0, b5x5: 0, poolProj: 4, batchNorm: true }, // one branch: no Concat
      { kind: 'concat', name: 'cat', inputs: ['inc1', 'inc3', 'c2', 'inc2'] },
      pool('avgPool', 'ap', 3, 2, 'same'),
      pool('maxPool', 'mp', 2, 1, 'valid'),
      { kind: 'flatten', name: 'fl' },
      { kind: 'dropout', name: 'do', rate: 0.5 },
      { kind: 'dense', name: 'd1', units: 16, activation: 'relu' },
      { kind: 'dense', name: 'd2', units: 5, activation: 'linear' },
    ],
  },
  {
    template: 'global-pool',
    task: 'classification',
    input: [9, 9, 2],
    classes: 3,
    layers: [
      conv('c1', 4, 5, 2, 'valid', 'linear', true),
      pool('maxPool', 'mp', 2, 2, 'same'),
      { kind: 'depthwiseConv2d', name: 'dw', kernel: 3, stride: 2, padding: 'same', depthMultiplier: 3, activation: 'relu', batchNorm: true },
      { kind: 'globalAvgPool', name: 'gap' },
      { kind: 'dense', name: 'out', units: 3, activation: 'linear' },
    ],
  },
  {
    template: 'flatten-1x1',
    task: 'classification',
    input: [8, 8, 1],
    classes: 2,
    layers: [conv('c1', 3, 3, 3, 'valid', 'relu', false), pool('avgPool', 'ap', 2, 2, 'valid'), { kind: 'flatten', name: 'fl' }, { kind: 'dense', name: 'out', units: 2, activation: 'tanh' }],
  },
  {
    template: 'every-upsampling',
    task: 'segmentation',
    input: [12, 8, 3],
    classes: 4,
    layers: [
      conv('e1', 6, 3, 1, 'same', 'relu', true),
      pool('maxPool', 'p1', 2, 2, 'valid'),
      conv('e2', 8, 3, 1, 'same', 'relu', false),
      pool('maxPool', 'p2', 2, 2, 'same'),
      conv('mid', 8, 1, 1, 'same', 'tanh', false),
      { kind: 'upsample', name: 'u1', scale: 2, mode: 'nearest' },
      { kind: 'skip', name: 's1', from: 'e2' },
      conv('d1', 6, 3, 1, 'same', 'relu', true),
      convT('t1', 6, 3, 2, 'same', 'relu', true), // k > s
      { kind: 'skip', name: 's2', from: 'e1' },
      pool('maxPool', 'p3', 2, 2, 'valid'),
      { kind: 'upsample', name: 'u2', scale: 2, mode: 'bilinear' },
      convT('t2', 5, 1, 2, 'valid', 'linear', false), // k < s: output_padding
      pool('avgPool', 'p4', 2, 2, 'valid'),
      convT('t3', 6, 3, 2, 'valid', 'relu', true), // 2n + 1
      pool('maxPool', 'p5', 3, 2, 'valid'),
      convT('t4', 5, 2, 3, 'same', 'sigmoid', false), // k < s with 'same'
      pool('avgPool', 'p6', 3, 3, 'valid'),
      { kind: 'upsample', name: 'u3', scale: 3, mode: 'nearest' }, // scale 3: floor and round differ
      pool('avgPool', 'p7', 3, 3, 'valid'),
      { kind: 'upsample', name: 'u4', scale: 3, mode: 'bilinear' },
      conv('d2', 4, 3, 3, 'valid', 'linear', false),
    ],
  },
];

/** Baseline, smallest and seeded random configurations of every template, at inputs small enough for tfjs on cpu. */
export function templateCases(): { label: string; ir: ArchitectureIR; configuration: unknown }[] {
  const inputs: Record<string, Partial<TemplateOptions>> = { vgg: { input: [28, 28, 1] }, inception: { input: [24, 24, 3] }, unet: { input: [32, 32, 3], classes: 3 } };
  const cases: { label: string; ir: ArchitectureIR; configuration: unknown }[] = [];
  for (const t of builtinTemplates) {
    const opts = inputs[t.name] ?? {};
    const space = t.space(opts);
    const add = (label: string, values: ReturnType<typeof valuesOf>) => cases.push({ label: `${t.name} ${label}`, ir: t.instantiate(values, opts), configuration: values });
    if (t.name !== 'unet') add('baseline', t.baseline(opts)); // unet's baseline is 3 GMACs: too slow for tfjs cpu in a test
    add('smallest', valuesOf(space, space.slots.map(() => 0)));
    const r = rng(t.name.length);
    for (let found = 0, tries = 0; found < 3 && tries < 50; tries++) {
      const values = valuesOf(space, space.slots.map((s) => Math.floor(r() * s.choices.length)));
      try {
        add(`random ${found}`, values);
        found++;
      } catch {
        // a configuration the template rejects (e.g. spatial size 0) is never exported
      }
    }
  }
  return cases;
}

/** The exported model with its logits (the Softmax input) as a second output, so parity is checked before softmax too. */
export function withLogitsOutput(bytes: Uint8Array): { bytes: Uint8Array; logits: string } {
  const model = decodeModel(bytes);
  const graph = model.graph ?? {};
  const logits = graph.node?.find((n) => n.output?.[0] === OUTPUT_NAME)?.input?.[0];
  if (!logits) throw new Error(`no Softmax producing '${OUTPUT_NAME}'`);
  graph.output = [...(graph.output ?? []), { name: logits, type: { tensor_type: { elem_type: DataType.FLOAT } } }];
  return { bytes: encodeModel(model), logits };
}
