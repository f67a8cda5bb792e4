import fs from 'node:fs';
import { EXAMPLE_CONFIG } from '@marl-hpo/search';
import { UsageError, type Command } from '../cli';

export const init: Command = {
  path: ['init'],
  usage: 'init [file] [--force]',
  summary: 'Write a commented example search config (default search.json)',
  options: { force: { type: 'boolean' } },
  async run({ positionals, values }, io) {
    const file = positionals[0] ?? 'search.json';
    if (fs.existsSync(file) && !values['force']) throw new UsageError(`${file}: already exists (use --force to overwrite)`);
    try {
      fs.writeFileSync(file, EXAMPLE_CONFIG);
    } catch (e) {
      throw new UsageError(`${file}: cannot write (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
    }
    io.out(`wrote ${file}; run it with: marl-hpo search --config ${file}`);
  },
};
