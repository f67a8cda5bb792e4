import { analyze } from '../analyze';
import { ArchError } from '../errors';
import type { ArchitectureIR, Node } from '../ir';
import { indexesOf, type ConfigValues, type Slot } from '../space';
import { resolve, widthChoices, type Template, type TemplateOptions } from './template';

/** U-Net (Ronneberger et al. 2015): 64 filters at the first level, doubling per level, 4 levels. */
const BASE_WIDTH = 64;
const MAX_LEVELS = 4;
const DEPTHS = [1, 2];

interface LevelChoice {
  filters: number;
  depth: number;
}

/** Levels: at most 4, as many as 2x2 pooling can halve H and W exactly (down to at least 2x2). */
function levels({ input }: TemplateOptions): number {
  let n = 0;
  while (n < MAX_LEVELS && input[0] % 2 ** (n + 1) === 0 && input[1] % 2 ** (n + 1) === 0 && Math.min(input[0], input[1]) / 2 ** (n + 1) >= 2) n++;
  if (n === 0) throw new ArchError(`input: unet needs H and W divisible by 2 and at least 4, got ${input[0]}x${input[1]}`);
  return n;
}

const width = (level: number) => BASE_WIDTH * 2 ** level;
const levelChoices = (w: number) => widthChoices(w, 2).flatMap((filters) => DEPTHS.map((depth) => ({ filters, depth })));

function slots(opts: TemplateOptions): Slot[] {
  const n = levels(opts);
  const out: Slot[] = [];
  for (let l = 0; l < n; l++) out.push({ name: `enc${l + 1}`, choices: levelChoices(width(l)) });
  out.push({ name: 'mid', choices: levelChoices(width(n)) });
  for (let l = n - 1; l >= 0; l--) out.push({ name: `dec${l + 1}`, choices: levelChoices(width(l)) });
  return out;
}

const conv = (name: string, filters: number): Node => ({ kind: 'conv2d', name, filters, kernel: 3, stride: 1, padding: 'same', activation: 'relu', batchNorm: true });

function convs(prefix: string, { filters, depth }: LevelChoice): Node[] {
  return Array.from({ length: depth }, (_, i) => conv(`${prefix}c${i + 1}`, filters));
}

export const unet: Template = {
  name: 'unet',
  task: 'segmentation',
  description: "U-Net: encoder levels (3x3 convs with batch norm, 2x2 max pooling), a bottleneck, decoder levels (2x2/2 transposed conv, skip concat, 3x3 convs), 1x1 conv to classes; per-level filters and depth",
  defaults: { input: [64, 64, 3], classes: 4 },
  space: (opts) => ({ slots: slots(resolve(unet.defaults, opts)) }),
  baseline(opts) {
    const n = levels(resolve(unet.defaults, opts));
    const values: ConfigValues = { mid: { filters: width(n), depth: 2 } };
    for (let l = 0; l < n; l++) {
      values[`enc${l + 1}`] = { filters: width(l), depth: 2 };
      values[`dec${l + 1}`] = { filters: width(l), depth: 2 };
    }
    return values;
  },
  instantiate(values: ConfigValues, opts?: Partial<TemplateOptions>) {
    const o = resolve(unet.defaults, opts);
    indexesOf({ slots: slots(o) }, values);
    const n = levels(o);
    const layers: Node[] = [];
    const skips: string[] = [];
    for (let l = 1; l <= n; l++) {
      const level = convs(`enc${l}`, values[`enc${l}`] as LevelChoice);
      layers.push(...level, { kind: 'maxPool', name: `enc${l}pool`, size: 2, stride: 2, padding: 'valid' });
      skips.push(level[level.length - 1].name);
    }
    layers.push(...convs('mid', values['mid'] as LevelChoice));
    for (let l = n; l >= 1; l--) {
      const choice = values[`dec${l}`] as LevelChoice;
      layers.push(
        { kind: 'convTranspose', name: `dec${l}up`, filters: choice.filters, kernel: 2, stride: 2, padding: 'same', activation: 'linear', batchNorm: false },
        { kind: 'skip', name: `dec${l}skip`, from: skips[l - 1] },
        ...convs(`dec${l}`, choice),
      );
    }
    layers.push({ kind: 'conv2d', name: 'logits', filters: o.classes, kernel: 1, stride: 1, padding: 'same', activation: 'linear', batchNorm: false });
    const ir: ArchitectureIR = { template: 'unet', task: 'segmentation', input: o.input, classes: o.classes, layers };
    analyze(ir);
    return ir;
  },
};
