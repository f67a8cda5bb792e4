import { summarize } from '@marl-hpo/arch';
import { table, type Command } from '../cli';
import { configFromArgs, templateFlagOptions, templateFromArgs } from './template-flags';

const fmt = (n: number) => n.toLocaleString('en-US');

export const arch: Command = {
  path: ['arch'],
  usage: "arch <template> [--config '<json>'] [--input H,W,C] [--classes N] [--json]",
  summary: 'Layer table of a configuration (the baseline by default): output shapes, parameters, MACs',
  options: { ...templateFlagOptions, config: { type: 'string' }, json: { type: 'boolean' } },
  async run({ positionals, values }, io) {
    const { template, opts } = templateFromArgs(positionals, values, arch.usage);
    const config = configFromArgs(template, opts, values);
    const ir = template.instantiate(config, opts);
    const s = summarize(ir);
    if (values['json']) {
      io.out(JSON.stringify({ template: template.name, task: ir.task, input: ir.input, classes: ir.classes, config, layers: s.layers, outputShape: s.outputShape, params: s.params, macs: s.macs }));
      return;
    }
    io.out(`${template.name} ${values['config'] ? 'configuration' : 'baseline'}, input ${ir.input.join('x')}, ${ir.classes} classes (${ir.task})\n`);
    io.out(
      table(
        ['layer (kind)', 'output shape', 'params', 'MACs'],
        [...s.layers.map((l) => [`${l.name} (${l.kind})`, `[${l.outputShape.join(', ')}]`, fmt(l.params), fmt(l.macs)]), ['total', `[${s.outputShape.join(', ')}]`, fmt(s.params), fmt(s.macs)]],
      ),
    );
  },
};
