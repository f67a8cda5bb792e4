import { spaceSize } from '@marl-hpo/arch';
import { table, type Command } from '../cli';
import { templateFlagOptions, templateFromArgs } from './template-flags';

export const space: Command = {
  path: ['space'],
  usage: 'space <template> [--input H,W,C] [--classes N] [--json]',
  summary: 'Show a template\'s search space: slots, choices, size, baseline',
  options: { ...templateFlagOptions, json: { type: 'boolean' } },
  async run({ positionals, values }, io) {
    const { template, opts } = templateFromArgs(positionals, values, space.usage);
    const { slots } = template.space(opts);
    const baseline = template.baseline(opts);
    const defaults = { ...template.defaults, ...opts };
    const size = spaceSize({ slots });
    if (values['json']) {
      io.out(JSON.stringify({ template: template.name, task: template.task, input: defaults.input, classes: defaults.classes, slots, size, baseline }));
      return;
    }
    const show = (v: unknown) => (v && typeof v === 'object' ? Object.values(v).join('/') : String(v));
    io.out(`${template.name}: ${template.description}`);
    io.out(`input ${defaults.input.join('x')}, ${defaults.classes} classes, ${slots.length} slots, ${size.toPrecision(4)} configurations\n`);
    io.out(
      table(
        ['slot', 'choices', 'baseline', 'values'],
        slots.map((s) => [s.name, s.choices.length, show(baseline[s.name]), s.choices.map(show).join(' ')]),
      ),
    );
    if (slots.some((s) => s.choices.some((c) => c && typeof c === 'object'))) {
      io.out(`\nobject choices are shown as their field values, e.g. ${JSON.stringify(slots.find((s) => typeof s.choices[0] === 'object')?.choices[0])}`);
    }
  },
};
