import { EvolutionAgent } from './evolution';
import { MarlAgent } from './marl';
import { QLearningAgent } from './qlearning';
import { RandomAgent } from './random';
import { shapeOf } from './space';
import { TpeAgent } from './tpe';
import { AgentError, type Agent, type Algorithm, type CommonOptions, type SearchSpace } from './types';

export const algorithms: readonly Algorithm[] = ['marl', 'random', 'qlearning', 'evolution', 'tpe'];

/** Algorithm-specific options (see each algorithm's `*OptionSpecs`); unknown names are errors. */
export type AgentOptions = CommonOptions & Record<string, unknown>;

/**
 * Creates a search agent. Invalid options or combinations throw an AgentError (userError)
 * naming the option, e.g. `options.sample: 30 exceeds options.population (20)`.
 */
export function createAgent(algorithm: Algorithm | string, space: SearchSpace, options: AgentOptions): Agent {
  const shape = shapeOf(space);
  if (!options || typeof options !== 'object') throw new AgentError('options: expected an object with seed and budget');
  if (!Number.isSafeInteger(options.seed)) throw new AgentError(`options.seed: expected an integer, got ${JSON.stringify(options.seed)}`);
  if (!Number.isInteger(options.budget) || options.budget < 1) throw new AgentError(`options.budget: expected an integer >= 1, got ${JSON.stringify(options.budget)}`);
  switch (algorithm) {
    case 'marl':
      return new MarlAgent(space, shape, options);
    case 'random':
      return new RandomAgent(shape, options);
    case 'qlearning':
      return new QLearningAgent(shape, options);
    case 'evolution':
      return new EvolutionAgent(shape, options);
    case 'tpe':
      return new TpeAgent(space, shape, options);
    default:
      throw new AgentError(`algorithm: unknown '${algorithm}' (algorithms: ${algorithms.join(', ')})`);
  }
}
