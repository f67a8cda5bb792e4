import { configJsonSchema } from '@marl-hpo/search';
import { UsageError, type Command } from '../cli';

export const config: Command = {
  path: ['config'],
  usage: 'config --schema',
  summary: 'Print the JSON Schema of search configs',
  options: { schema: { type: 'boolean' } },
  async run({ values }, io) {
    if (!values['schema']) throw new UsageError(`nothing to do (usage: marl-hpo ${config.usage})`);
    io.out(JSON.stringify(configJsonSchema(), null, 2));
  },
};
