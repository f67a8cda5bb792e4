import fs from 'node:fs';
import { analyze } from '../analyze';
import { ArchError } from '../errors';
import type { ArchitectureIR, Node, Shape, Task } from '../ir';
import { completeValues, indexesOf, type ConfigValues, type Slot } from '../space';
import type { Template } from './template';

/**
 * A template written as JSON: IR layers in which any field may be a slot reference,
 * `{"slot": "c1"}` (the chosen value) or `{"slot": "c1", "key": "filters"}` (a field of
 * the chosen object). Omitted conv/pool fields take defaults: stride 1 (pool: its size),
 * padding 'same' (pool: 'valid'), activation 'relu', batchNorm false.
 *
 *   { "name": "tiny", "task": "classification", "input": [28, 28, 1], "classes": 10,
 *     "slots": [{ "name": "c1", "choices": [8, 16, 32] }],
 *     "baseline": { "c1": 32 },
 *     "layers": [{ "kind": "conv2d", "name": "c1", "filters": { "slot": "c1" }, "kernel": 3 },
 *                { "kind": "globalAvgPool", "name": "gap" },
 *                { "kind": "dense", "name": "logits", "units": 10, "activation": "linear" }] }
 */
export interface CustomTemplateSpec {
  name: string;
  task: Task;
  input: Shape;
  classes: number;
  slots: Slot[];
  baseline: ConfigValues;
  layers: Record<string, unknown>[];
}

const DEFAULTS: Record<string, Record<string, unknown>> = {
  conv2d: { stride: 1, padding: 'same', activation: 'relu', batchNorm: false },
  depthwiseConv2d: { stride: 1, padding: 'same', activation: 'relu', batchNorm: false, depthMultiplier: 1 },
  convTranspose: { padding: 'same', activation: 'relu', batchNorm: false },
  maxPool: { padding: 'valid' },
  avgPool: { padding: 'valid' },
  dense: { activation: 'relu' },
  inception: { batchNorm: false },
  upsample: { mode: 'nearest' },
};

function substitute(value: unknown, values: ConfigValues, where: string): unknown {
  if (value && typeof value === 'object' && !Array.isArray(value) && 'slot' in value) {
    const ref = value as { slot: string; key?: string };
    if (!(ref.slot in values)) throw new ArchError(`${where}: refers to unknown slot '${ref.slot}'`);
    const chosen = values[ref.slot];
    if (ref.key === undefined) return chosen;
    if (!chosen || typeof chosen !== 'object' || !(ref.key in chosen)) throw new ArchError(`${where}: slot '${ref.slot}' value has no field '${ref.key}'`);
    return (chosen as Record<string, unknown>)[ref.key];
  }
  if (Array.isArray(value)) return value.map((v, i) => substitute(v, values, `${where}[${i}]`));
  return value;
}

function field<T>(spec: Record<string, unknown>, key: string, file: string, check: (v: unknown) => boolean, what: string): T {
  if (!check(spec[key])) throw new ArchError(`${file}: '${key}' must be ${what}`);
  return spec[key] as T;
}

export function customTemplate(spec: CustomTemplateSpec, file = 'custom template'): Template {
  const s = spec as unknown as Record<string, unknown>;
  field(s, 'name', file, (v) => typeof v === 'string' && v !== '', 'a non-empty string');
  field(s, 'task', file, (v) => v === 'classification' || v === 'segmentation', "'classification' or 'segmentation'");
  field(s, 'input', file, (v) => Array.isArray(v) && v.length === 3, '[H, W, C]');
  field(s, 'classes', file, (v) => Number.isInteger(v) && (v as number) > 0, 'a positive integer');
  field(s, 'layers', file, (v) => Array.isArray(v) && v.length > 0, 'a non-empty array of layers');
  const slots = field<Slot[]>(s, 'slots', file, (v) => Array.isArray(v), 'an array of {name, choices}');
  slots.forEach((slot, i) => {
    if (!slot || typeof slot.name !== 'string' || !Array.isArray(slot.choices) || slot.choices.length === 0) {
      throw new ArchError(`${file}: slots[${i}] must be {"name": string, "choices": [at least one value]}`);
    }
  });
  const space = { slots };
  const baseline = completeValues(space, {}, field<ConfigValues>(s, 'baseline', file, (v) => !!v && typeof v === 'object', 'an object of slot name -> value'));

  const template: Template = {
    name: spec.name,
    task: spec.task,
    description: `custom template from ${file}`,
    defaults: { input: spec.input, classes: spec.classes },
    space: () => space,
    baseline: () => baseline,
    instantiate(values) {
      indexesOf(space, values);
      const layers = spec.layers.map((layer, i) => {
        const where = `${file}: layers[${i}]`;
        const filled = Object.fromEntries(Object.entries(layer).map(([k, v]) => [k, substitute(v, values, `${where}.${k}`)]));
        const kind = String(filled['kind']);
        const defaults = { ...DEFAULTS[kind], ...(kind === 'maxPool' || kind === 'avgPool' ? { stride: filled['size'] } : {}) };
        return { ...defaults, ...filled } as unknown as Node;
      });
      const ir: ArchitectureIR = { template: spec.name, task: spec.task, input: spec.input, classes: spec.classes, layers };
      analyze(ir);
      return ir;
    },
  };
  template.instantiate(baseline);
  return template;
}

/** Reads a custom template from a JSON file (errors name the file and field). */
export function loadCustomTemplate(file: string): Template {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw new ArchError(`${file}: cannot read custom template (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  let spec: unknown;
  try {
    spec = JSON.parse(text);
  } catch (e) {
    throw new ArchError(`${file}: malformed JSON (${(e as Error).message})`);
  }
  if (!spec || typeof spec !== 'object') throw new ArchError(`${file}: expected a JSON object`);
  return customTemplate(spec as CustomTemplateSpec, file);
}
