import { completeValues, getTemplate, indexesOf, valuesOf, type ConfigValues, type Template, type TemplateOptions } from '@marl-hpo/arch';
import { intFlag, jsonFlag, UsageError } from '../cli';

/** Flags shared by the commands that take a template. */
export const templateFlagOptions = {
  input: { type: 'string' },
  classes: { type: 'string' },
} as const;

export function templateFromArgs(positionals: string[], values: Record<string, unknown>, usage: string): { template: Template; opts: Partial<TemplateOptions> } {
  if (positionals.length !== 1) throw new UsageError(`expected one template name (usage: marl-hpo ${usage})`);
  const template = getTemplate(positionals[0]);
  const opts: Partial<TemplateOptions> = {};
  if (values['input'] !== undefined) {
    const dims = String(values['input']).split(/[,x]/).map(Number);
    if (dims.length !== 3 || !dims.every((d) => Number.isInteger(d) && d > 0)) throw new UsageError(`--input: expected H,W,C (e.g. 28,28,1), got '${values['input']}'`);
    opts.input = dims;
  }
  if (values['classes'] !== undefined) opts.classes = intFlag(values, 'classes', 0, 1);
  return { template, opts };
}

/** `--config` as {slot: value} (completed from the baseline) or as an array of choice indexes. */
export function configFromArgs(template: Template, opts: Partial<TemplateOptions>, values: Record<string, unknown>): ConfigValues {
  const raw = jsonFlag(values, 'config');
  const baseline = template.baseline(opts);
  if (raw === undefined) return baseline;
  const space = template.space(opts);
  if (Array.isArray(raw)) return valuesOf(space, raw as number[]);
  const config = completeValues(space, baseline, raw as ConfigValues);
  indexesOf(space, config);
  return config;
}
