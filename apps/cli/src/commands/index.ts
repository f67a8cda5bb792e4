import type { Command } from '../cli';
import { arch } from './arch';
import { benchSearch } from './bench-search';
import { onnxInspect } from './onnx-inspect';
import { profile } from './profile';
import { space } from './space';

/** Every command of the CLI, one module each. */
export const commands: Command[] = [
  space,
  arch,
  onnxInspect,
  benchSearch,
  profile,
];
