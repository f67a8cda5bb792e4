import { Rng } from './rng';
import { AgentError, type Config, type SearchSpace } from './types';

/** Number of choices per slot; rejects empty spaces and slots. */
export function shapeOf(space: SearchSpace): number[] {
  if (!space || !Array.isArray(space.slots) || space.slots.length === 0) throw new AgentError('space.slots: expected at least one slot');
  return space.slots.map((s, i) => {
    if (!s || !Array.isArray(s.choices) || s.choices.length === 0) {
      throw new AgentError(`space.slots[${i}]${s?.name ? ` (${s.name})` : ''}: expected at least one choice`);
    }
    return s.choices.length;
  });
}

export function checkConfig(shape: readonly number[], config: unknown, field = 'config'): Config {
  if (!Array.isArray(config) || config.length !== shape.length) {
    throw new AgentError(`${field}: expected ${shape.length} choice indexes, got ${JSON.stringify(config)}`);
  }
  config.forEach((k, i) => {
    if (!Number.isInteger(k) || k < 0 || k >= shape[i]) {
      throw new AgentError(`${field}[${i}]: choice index ${JSON.stringify(k)} out of range 0..${shape[i] - 1}`);
    }
  });
  return config.slice();
}

export function randomConfig(shape: readonly number[], rng: Rng): Config {
  return shape.map((n) => rng.int(n));
}

export function sameConfig(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/** Reads a replay memory / population from a snapshot. */
export function checkObservations(shape: readonly number[], value: unknown, field: string): { config: Config; reward: number }[] {
  if (!Array.isArray(value)) throw new AgentError(`${field}: expected a list of {config, reward}`);
  return value.map((o, i) => {
    const reward = (o as { reward?: unknown })?.reward;
    if (typeof reward !== 'number' || !Number.isFinite(reward)) throw new AgentError(`${field}[${i}].reward: expected a finite number`);
    return { config: checkConfig(shape, (o as { config?: unknown }).config, `${field}[${i}].config`), reward };
  });
}

/** Short labels of a slot's choices, for Q-table heatmaps. */
export function choiceLabels(choices: readonly unknown[]): string[] {
  return choices.map((c) => (typeof c === 'string' ? c : JSON.stringify(c)));
}
