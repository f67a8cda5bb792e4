import { analyze } from '../analyze';
import type { ArchitectureIR, InceptionNode, Node } from '../ir';
import { indexesOf, type ConfigValues, type Slot } from '../space';
import { resolve, type Template, type TemplateOptions } from './template';

type Widths = Pick<InceptionNode, 'b1x1' | 'b3x3reduce' | 'b3x3' | 'b5x5reduce' | 'b5x5' | 'poolProj'>;

/** GoogLeNet (Szegedy et al. 2015, table 1): modules and their branch widths. */
const MODULES: [string, Widths][] = [
  ['3a', { b1x1: 64, b3x3reduce: 96, b3x3: 128, b5x5reduce: 16, b5x5: 32, poolProj: 32 }],
  ['3b', { b1x1: 128, b3x3reduce: 128, b3x3: 192, b5x5reduce: 32, b5x5: 96, poolProj: 64 }],
  ['4a', { b1x1: 192, b3x3reduce: 96, b3x3: 208, b5x5reduce: 16, b5x5: 48, poolProj: 64 }],
  ['4b', { b1x1: 160, b3x3reduce: 112, b3x3: 224, b5x5reduce: 24, b5x5: 64, poolProj: 64 }],
  ['4c', { b1x1: 128, b3x3reduce: 128, b3x3: 256, b5x5reduce: 24, b5x5: 64, poolProj: 64 }],
  ['4d', { b1x1: 112, b3x3reduce: 144, b3x3: 288, b5x5reduce: 32, b5x5: 64, poolProj: 64 }],
  ['4e', { b1x1: 256, b3x3reduce: 160, b3x3: 320, b5x5reduce: 32, b5x5: 128, poolProj: 128 }],
  ['5a', { b1x1: 256, b3x3reduce: 160, b3x3: 320, b5x5reduce: 32, b5x5: 128, poolProj: 128 }],
  ['5b', { b1x1: 384, b3x3reduce: 192, b3x3: 384, b5x5reduce: 48, b5x5: 128, poolProj: 128 }],
];
/** Max pooling 3x3/2 after these modules. */
const POOL_AFTER = new Set(['3b', '4e']);
const SCALES = [0.125, 0.25, 0.5, 1];
/** Inputs at least this large get the original stem (7x7/2 conv and two poolings, /8 in all). */
const LARGE_INPUT = 128;

interface ModuleChoice {
  scale: number;
  with5x5: boolean;
}

const scaled = (w: number, s: number) => Math.max(1, Math.round(w * s));
const pool = (name: string): Node => ({ kind: 'maxPool', name, size: 3, stride: 2, padding: 'same' });
const conv = (name: string, filters: number, kernel: number, bn: boolean, stride = 1): Node => ({ kind: 'conv2d', name, filters, kernel, stride, padding: 'same', activation: 'relu', batchNorm: bn });

function slots(): Slot[] {
  return [
    { name: 'stem', choices: SCALES },
    ...MODULES.map(([name]) => ({ name: `inc${name}`, choices: SCALES.flatMap((scale) => [true, false].map((with5x5) => ({ scale, with5x5 }))) })),
  ];
}

/**
 * Scaled to the input: large inputs keep the original stem (conv 7x7/2, pool, conv 1x1, conv 3x3,
 * pool); small ones (e.g. 28x28) use the same convs at stride 1 with a single pooling, so the
 * modules see 1/2 of the input instead of 1/8.
 */
function stem(large: boolean, s: number, bn: boolean): Node[] {
  if (large) return [conv('stem1', scaled(64, s), 7, bn, 2), pool('stem1pool'), conv('stem2', scaled(64, s), 1, bn), conv('stem3', scaled(192, s), 3, bn), pool('stem3pool')];
  return [conv('stem1', scaled(64, s), 3, bn), conv('stem2', scaled(64, s), 1, bn), conv('stem3', scaled(192, s), 3, bn), pool('stem3pool')];
}

export const inception: Template = {
  name: 'inception',
  task: 'classification',
  description: 'GoogLeNet: a stem, nine inception modules with pooling after 3b and 4e, global average pooling; per-module branch widths (scale, 5x5 branch on/off)',
  defaults: { input: [28, 28, 1], classes: 10 },
  space: () => ({ slots: slots() }),
  baseline: () => Object.fromEntries([['stem', 1], ...MODULES.map(([name]) => [`inc${name}`, { scale: 1, with5x5: true }])]),
  instantiate(values: ConfigValues, opts?: Partial<TemplateOptions>) {
    const o = resolve(inception.defaults, opts);
    indexesOf({ slots: slots() }, values);
    const bn = o.batchNorm ?? false;
    const layers: Node[] = stem(Math.min(o.input[0], o.input[1]) >= LARGE_INPUT, values['stem'] as number, bn);
    for (const [name, w] of MODULES) {
      const { scale, with5x5 } = values[`inc${name}`] as ModuleChoice;
      layers.push({
        kind: 'inception',
        name: `inc${name}`,
        b1x1: scaled(w.b1x1, scale),
        b3x3reduce: scaled(w.b3x3reduce, scale),
        b3x3: scaled(w.b3x3, scale),
        b5x5reduce: with5x5 ? scaled(w.b5x5reduce, scale) : 0,
        b5x5: with5x5 ? scaled(w.b5x5, scale) : 0,
        poolProj: scaled(w.poolProj, scale),
        batchNorm: bn,
      });
      if (POOL_AFTER.has(name)) layers.push(pool(`inc${name}pool`));
    }
    layers.push(
      { kind: 'globalAvgPool', name: 'gap' },
      { kind: 'dropout', name: 'drop', rate: o.dropout ?? 0.4 },
      { kind: 'dense', name: 'logits', units: o.classes, activation: 'linear' },
    );
    const ir: ArchitectureIR = { template: 'inception', task: 'classification', input: o.input, classes: o.classes, layers };
    analyze(ir);
    return ir;
  },
};
