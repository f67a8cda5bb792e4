import type { Command } from '../cli';
import { arch } from './arch';
import { space } from './space';

/** Every command of the CLI, one module each. */
export const commands: Command[] = [
  space,
  arch,
];
