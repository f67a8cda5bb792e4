/** One decision: a layer (or a training hyperparameter) and its possible values. */
export interface Slot {
  name: string;
  choices: readonly unknown[];
}

/** The agents only need the number of choices per slot; names and values label the Q-tables. */
export interface SearchSpace {
  slots: readonly Slot[];
}

/** One choice index per slot, in slot order. */
export type Config = number[];

export type Algorithm = 'marl' | 'random' | 'qlearning' | 'evolution' | 'tpe';

/**
 * A search algorithm (Optuna BaseSampler / NNI tuner style).
 *
 * - `propose()` may be called several times before the matching `observe()` calls
 *   (parallel workers); the configurations in flight are listed in the state as `pending`.
 * - `observe()` accepts any configuration of the space, proposed or not, in any order
 *   (results of parallel workers arrive out of order; a journal may start from a baseline).
 * - Proposal k (k = max(proposals made, observations received)) draws from a generator
 *   derived from (seed, k), and learning step n from (seed, n). So `restore(state())`, or
 *   replaying every `observe` of a journal into a fresh agent, gives exactly the proposals
 *   of an uninterrupted run.
 */
export interface Agent {
  readonly algorithm: Algorithm;
  propose(): Config;
  /** `reward` must be finite: map failed evaluations to the search's minimum reward first. */
  observe(config: Config, reward: number): void;
  /** A JSON-serialisable snapshot of everything that determines future proposals. */
  state(): AgentState;
  /** Replaces this agent's options, seed, budget and learning by the snapshot's. */
  restore(state: AgentState): void;
}

export interface Observation {
  config: Config;
  reward: number;
}

export interface AgentState {
  algorithm: Algorithm;
  version: 1;
  /** Number of choices per slot: a snapshot only restores into the same space. */
  shape: number[];
  seed: number;
  budget: number;
  /** Resolved options (defaults filled in). */
  options: Record<string, unknown>;
  proposed: number;
  observed: number;
  pending: Config[];
  /** Algorithm-specific learning (Q-tables, replay memory, population). */
  data: Record<string, unknown>;
}

/** Options every algorithm takes. */
export interface CommonOptions {
  /** Any safe integer. */
  seed: number;
  /** Planned number of evaluations: exploration schedules are fractions of it. */
  budget: number;
}

/** A bad option, space, configuration or snapshot; the message names the field. */
export class AgentError extends Error {
  readonly userError = true;
  constructor(message: string) {
    super(message);
    this.name = 'AgentError';
  }
}
