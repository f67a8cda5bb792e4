export { createAgent, algorithms, type AgentOptions } from './create';
export { AgentError, type Agent, type AgentState, type Algorithm, type CommonOptions, type Config, type Observation, type SearchSpace, type Slot } from './types';
export { epsilonAt, type EpsilonSchedule } from './epsilon';
export { marlTables, marlDefaults, type MarlOptions, type MarlTable } from './marl';
export { qlearningDefaults, type QLearningOptions } from './qlearning';
export { evolutionDefaults, type EvolutionOptions } from './evolution';
export { tpeDefaults, type TpeOptions } from './tpe';
