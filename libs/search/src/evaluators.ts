import { getTemplate } from '@marl-hpo/arch';
import type { SearchConfig } from './config';
import type { Evaluator } from './evaluator';
import { PipelineEvaluator } from './pipeline';
import { ProcessPoolEvaluator, type PoolOptions } from './pool';
import { SyntheticEvaluator } from './synthetic';

/** The evaluator a config asks for, in this process. */
export function createLocalEvaluator(config: SearchConfig): Evaluator {
  if (config.synthetic) {
    const t = getTemplate(config.template);
    return new SyntheticEvaluator({ input: t.defaults.input, classes: t.defaults.classes, task: t.task }, config.synthetic);
  }
  return new PipelineEvaluator(config);
}

/** In-process for one worker; a pool of isolated worker processes for more. */
export function createEvaluator(config: SearchConfig, opts: { workers: number } & Partial<PoolOptions>): Evaluator {
  if (opts.workers > 1) {
    if (!opts.script) throw new Error('a worker pool needs the worker script');
    return new ProcessPoolEvaluator(config, opts.workers, { script: opts.script, maxOldSpaceMb: opts.maxOldSpaceMb });
  }
  return createLocalEvaluator(config);
}
