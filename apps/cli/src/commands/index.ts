import type { Command } from '../cli';

/** Every command of the CLI, one module each. */
export const commands: Command[] = [];
