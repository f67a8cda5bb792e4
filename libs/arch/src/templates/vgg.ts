import { analyze } from '../analyze';
import type { ArchitectureIR, Node } from '../ir';
import { indexesOf, type ConfigValues, type Slot } from '../space';
import { resolve, widthChoices, type Template, type TemplateOptions } from './template';

/** VGG-16: conv layers per block and their widths, then two fully connected layers. */
const CONVS = [2, 2, 3, 3, 3];
const WIDTHS = [64, 128, 256, 512, 512];
const FC = 4096;
const KERNELS = [1, 3, 5];

interface ConvChoice {
  filters: number;
  kernel: number;
}

/**
 * Scaled to the input: as many blocks as 2x2 pooling can halve the input (at most 5),
 * and fully connected widths 4096 * input/224 rounded to a power of two (at least 64).
 */
function geometry({ input }: TemplateOptions) {
  const side = Math.min(input[0], input[1]);
  const blocks = Math.max(1, Math.min(CONVS.length, Math.floor(Math.log2(side))));
  const fc = Math.max(64, Math.min(FC, 2 ** Math.round(Math.log2((FC * side) / 224))));
  return { blocks, fc };
}

function slots(opts: TemplateOptions): Slot[] {
  const { blocks, fc } = geometry(opts);
  const out: Slot[] = [];
  for (let b = 0; b < blocks; b++) {
    for (let c = 0; c < CONVS[b]; c++) {
      out.push({ name: `b${b + 1}c${c + 1}`, choices: widthChoices(WIDTHS[b]).flatMap((filters) => KERNELS.map((kernel) => ({ filters, kernel }))) });
    }
    out.push({ name: `b${b + 1}pool`, choices: ['max', 'avg'] });
  }
  out.push({ name: 'fc1', choices: widthChoices(fc, 16) }, { name: 'fc2', choices: widthChoices(fc, 16) });
  return out;
}

export const vgg: Template = {
  name: 'vgg',
  task: 'classification',
  description: 'VGG-16: blocks of 3x3 conv layers with 2x2 pooling, then two fully connected layers; per-layer filters and kernel, per-block pooling',
  defaults: { input: [28, 28, 1], classes: 10 },
  space: (opts) => ({ slots: slots(resolve(vgg.defaults, opts)) }),
  baseline(opts) {
    const o = resolve(vgg.defaults, opts);
    const { blocks, fc } = geometry(o);
    const values: ConfigValues = { fc1: fc, fc2: fc };
    for (let b = 0; b < blocks; b++) {
      for (let c = 0; c < CONVS[b]; c++) values[`b${b + 1}c${c + 1}`] = { filters: WIDTHS[b], kernel: 3 };
      values[`b${b + 1}pool`] = 'max';
    }
    return values;
  },
  instantiate(values, opts) {
    const o = resolve(vgg.defaults, opts);
    indexesOf({ slots: slots(o) }, values);
    const { blocks } = geometry(o);
    const layers: Node[] = [];
    for (let b = 1; b <= blocks; b++) {
      for (let c = 1; c <= CONVS[b - 1]; c++) {
        const { filters, kernel } = values[`b${b}c${c}`] as ConvChoice;
        layers.push({ kind: 'conv2d', name: `b${b}c${c}`, filters, kernel, stride: 1, padding: 'same', activation: 'relu', batchNorm: o.batchNorm ?? false });
      }
      layers.push({ kind: values[`b${b}pool`] === 'avg' ? 'avgPool' : 'maxPool', name: `b${b}pool`, size: 2, stride: 2, padding: 'valid' });
    }
    layers.push(
      { kind: 'flatten', name: 'flatten' },
      { kind: 'dense', name: 'fc1', units: values['fc1'] as number, activation: 'relu' },
      { kind: 'dropout', name: 'fc1drop', rate: o.dropout ?? 0.5 },
      { kind: 'dense', name: 'fc2', units: values['fc2'] as number, activation: 'relu' },
      { kind: 'dropout', name: 'fc2drop', rate: o.dropout ?? 0.5 },
      { kind: 'dense', name: 'logits', units: o.classes, activation: 'linear' },
    );
    const ir: ArchitectureIR = { template: 'vgg', task: 'classification', input: o.input, classes: o.classes, layers };
    analyze(ir);
    return ir;
  },
};
