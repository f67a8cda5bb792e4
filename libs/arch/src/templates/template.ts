import { ArchError } from '../errors';
import type { ArchitectureIR, Shape, Task } from '../ir';
import type { ConfigValues, SearchSpace } from '../space';

/** What a template needs from the dataset. */
export interface TemplateOptions {
  input: Shape;
  classes: number;
  /** vgg, inception: batch norm after every conv (VGG-16-BN style; trains much faster from scratch). Default false, as the originals. */
  batchNorm?: boolean;
  /** vgg, inception: rate of the dropout layers (vgg: after fc1 and fc2, inception: before the classifier). Default: the original's (0.5, 0.4). */
  dropout?: number;
}

/**
 * Turns a configuration into an IR. The space and the baseline depend on the input size
 * (e.g. VGG keeps as many blocks as the input can be halved).
 */
export interface Template {
  name: string;
  task: Task;
  description: string;
  /** Options used when none are given (the built-in default dataset's). */
  defaults: TemplateOptions;
  space(opts?: Partial<TemplateOptions>): SearchSpace;
  /** The original network scaled to the input, as a configuration of this space. */
  baseline(opts?: Partial<TemplateOptions>): ConfigValues;
  /** Builds and validates the IR (throws ArchError naming the field or layer). */
  instantiate(values: ConfigValues, opts?: Partial<TemplateOptions>): ArchitectureIR;
}

/** Width choices as fractions of the original width: w/16 ... w, at least `min`, no repeats. */
export function widthChoices(width: number, min = 4): number[] {
  return [...new Set([16, 8, 4, 2, 1].map((d) => Math.max(min, Math.round(width / d))))];
}

export function resolve(defaults: TemplateOptions, opts: Partial<TemplateOptions> = {}): TemplateOptions {
  const dropout = opts.dropout ?? defaults.dropout;
  if (dropout !== undefined && !(dropout >= 0 && dropout < 1)) throw new ArchError(`templateOptions.dropout: expected a rate in [0, 1), got ${JSON.stringify(dropout)}`);
  return { input: opts.input ?? defaults.input, classes: opts.classes ?? defaults.classes, batchNorm: opts.batchNorm ?? defaults.batchNorm ?? false, dropout };
}

/**
 * Why `template` cannot take this input (e.g. images too small for its pooling), or undefined
 * when it can: its baseline, which every built-in template scales to the input, must build.
 */
export function inputProblem(template: Template, opts: Partial<TemplateOptions>): string | undefined {
  try {
    template.instantiate(template.baseline(opts), opts);
    return undefined;
  } catch (e) {
    if (e instanceof ArchError) return e.message;
    throw e;
  }
}
