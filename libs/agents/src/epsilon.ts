import { AgentError } from './types';

/**
 * Exploration schedule: breakpoints [fraction of the budget, epsilon], linear in between,
 * constant before the first and after the last. Two breakpoints at the same fraction make
 * a step, e.g. MetaQNN's staircase.
 */
export type EpsilonSchedule = [number, number][];

export function epsilonAt(schedule: EpsilonSchedule, episode: number, budget: number): number {
  const f = episode / budget;
  if (f < schedule[0][0]) return schedule[0][1];
  for (let i = schedule.length - 1; i >= 0; i--) {
    const [x0, y0] = schedule[i];
    if (f >= x0) {
      const next = schedule[i + 1];
      if (!next) return y0;
      return y0 + ((f - x0) / (next[0] - x0)) * (next[1] - y0);
    }
  }
  return schedule[schedule.length - 1][1];
}

export function checkSchedule(value: unknown, field: string): EpsilonSchedule {
  const bad = (why: string) => new AgentError(`${field}: ${why}, e.g. [[0, 1], [0.3, 1], [1, 0.1]]`);
  if (!Array.isArray(value) || value.length === 0) throw bad('expected a non-empty list of [fraction of budget, epsilon]');
  let last = 0;
  return value.map((p, i) => {
    if (!Array.isArray(p) || p.length !== 2 || !p.every((x) => typeof x === 'number' && Number.isFinite(x))) {
      throw bad(`entry ${i} is not a pair of numbers`);
    }
    const [x, y] = p as [number, number];
    if (x < last || x > 1) throw bad(`entry ${i}: fractions must be non-decreasing within [0, 1]`);
    if (y < 0 || y > 1) throw bad(`entry ${i}: epsilon must be within [0, 1]`);
    last = x;
    return [x, y];
  });
}
