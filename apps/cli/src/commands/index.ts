import type { Command } from '../cli';
import { arch } from './arch';
import { onnxInspect } from './onnx-inspect';
import { space } from './space';

/** Every command of the CLI, one module each. */
export const commands: Command[] = [
  space,
  arch,
  onnxInspect,
];
