import { algorithms, createAgent, AgentError, type Agent, type AgentState, type Algorithm, type Config, type SearchSpace } from './index';

// A space with uneven slots, a one-choice slot and object choices.
const space: SearchSpace = {
  slots: [
    { name: 'conv1', choices: [8, 16, 32] },
    { name: 'conv2', choices: [16, 32, 64, 128] },
    { name: 'pool', choices: ['max'] },
    { name: 'kernel', choices: [{ k: 3 }, { k: 5 }] },
    { name: 'dense', choices: [32, 64, 128, 256, 512] },
  ],
};
const shape = space.slots.map((s) => s.choices.length);

// Deterministic reward with per-slot structure, a neighbour interaction and failures (0).
function rewardOf(c: Config): number {
  if (c[0] === 0 && c[4] === 4) return 0;
  return 0.5 + 0.05 * c[0] + 0.03 * c[1] - 0.02 * Math.abs(c[1] - 2) + 0.04 * c[3] + 0.01 * c[4] - (c[0] === 2 && c[1] === 0 ? 0.2 : 0);
}

const budget = 60;
const make = (algorithm: Algorithm, seed = 7, extra: Record<string, unknown> = {}) => createAgent(algorithm, space, { seed, budget, ...extra });

/** Synchronous search loop; returns every proposal. */
function run(agent: Agent, episodes: number): Config[] {
  const out: Config[] = [];
  for (let e = 0; e < episodes; e++) {
    const c = agent.propose();
    out.push(c);
    agent.observe(c, rewardOf(c));
  }
  return out;
}

describe.each(algorithms.map((a) => [a]))('%s agent', (algorithm) => {
  it('proposes configurations inside the space', () => {
    for (const c of run(make(algorithm), budget + 10)) {
      expect(c).toHaveLength(shape.length);
      c.forEach((k, i) => {
        expect(Number.isInteger(k)).toBe(true);
        expect(k).toBeGreaterThanOrEqual(0);
        expect(k).toBeLessThan(shape[i]);
      });
    }
  });

  it('repeats a seeded run exactly, and another seed gives another run', () => {
    const a = run(make(algorithm, 3), budget);
    expect(run(make(algorithm, 3), budget)).toEqual(a);
    expect(run(make(algorithm, 4), budget)).not.toEqual(a);
  });

  it('continues from state()/restore() mid-run exactly like an uninterrupted run', () => {
    const whole = make(algorithm);
    const expected = run(whole, budget);
    const first = make(algorithm);
    run(first, 23);
    const snapshot = JSON.parse(JSON.stringify(first.state())) as AgentState;
    // Created with another seed: restore must bring back the snapshot's own seed.
    const resumed = make(algorithm, 999);
    resumed.restore(snapshot);
    expect(run(resumed, budget - 23)).toEqual(expected.slice(23));
    expect(resumed.state()).toEqual(whole.state());
  });

  it('continues after replaying the observations of a journal exactly like an uninterrupted run', () => {
    const whole = make(algorithm);
    const expected = run(whole, budget);
    const replayed = make(algorithm);
    for (const c of expected.slice(0, 31)) replayed.observe(c, rewardOf(c));
    expect(run(replayed, budget - 31)).toEqual(expected.slice(31));
  });

  it('accepts several proposals before their results, in any order', () => {
    const agent = make(algorithm);
    const batch = [agent.propose(), agent.propose(), agent.propose()];
    expect(agent.state().pending).toEqual(batch);
    agent.observe(batch[2], rewardOf(batch[2]));
    const snapshot = agent.state();
    expect(snapshot.pending).toEqual(batch.slice(0, 2));
    expect(snapshot.proposed).toBe(3);
    expect(snapshot.observed).toBe(1);
    const copy = make(algorithm);
    copy.restore(snapshot);
    for (const a of [agent, copy]) {
      a.observe(batch[0], rewardOf(batch[0]));
      a.observe(batch[1], rewardOf(batch[1]));
    }
    expect(run(copy, 10)).toEqual(run(agent, 10));
  });

  it('rejects out-of-space configurations, non-finite rewards and foreign snapshots', () => {
    const agent = make(algorithm);
    const isUserError = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        return e instanceof AgentError && e.userError === true;
      }
      return false;
    };
    expect(isUserError(() => agent.observe([0, 0, 1, 0, 0], 1))).toBe(true);
    expect(isUserError(() => agent.observe([0, 0, 0], 1))).toBe(true);
    expect(isUserError(() => agent.observe([0, 0, 0, 0, 0], NaN))).toBe(true);
    expect(isUserError(() => make(algorithm, 1.5))).toBe(true);
    expect(isUserError(() => createAgent(algorithm, space, { seed: 1, budget: 0 }))).toBe(true);
    expect(isUserError(() => make(algorithm, 1, { nonsense: 1 }))).toBe(true);
    expect(isUserError(() => createAgent(algorithm, { slots: [{ name: 'x', choices: [] }] }, { seed: 1, budget: 5 }))).toBe(true);
    run(agent, 5);
    const before = agent.state();
    const other = algorithms.find((a) => a !== algorithm) ?? 'random';
    expect(isUserError(() => agent.restore(make(other).state()))).toBe(true);
    expect(isUserError(() => agent.restore({ ...before, shape: [3, 4, 1, 2, 6] }))).toBe(true);
    if (algorithm !== 'random') expect(isUserError(() => agent.restore({ ...before, seed: 2, data: { nonsense: true } }))).toBe(true);
    // A rejected snapshot leaves the agent as it was.
    expect(agent.state()).toEqual(before);
  });
});

describe('option combinations', () => {
  const fails = (algorithm: Algorithm, options: Record<string, unknown>, message: RegExp) =>
    expect(() => make(algorithm, 1, options)).toThrow(message);
  it('fail in the constructor, naming the option', () => {
    fails('marl', { rankPower: 0 }, /options\.rankPower: expected a number in \(0, 100\]/);
    fails('marl', { gamma: 1.5 }, /options\.gamma/);
    fails('marl', { epsilon: [[0.5, 1], [0.2, 0.1]] }, /options\.epsilon: entry 1/);
    fails('marl', { prior: -1 }, /options\.prior: expected a number in \(0, 1000000\]/);
    fails('marl', { alpha: 1 }, /options\.alpha: not an option of 'marl'/);
    fails('marl', { population: 10 }, /options\.population: not an option of 'marl'/);
    fails('qlearning', { epsilon: [[0, 2]] }, /options\.epsilon/);
    fails('evolution', { population: 5, sample: 6 }, /options\.sample: 6 exceeds options\.population \(5\)/);
    fails('random', { alpha: 0.1 }, /it takes none/);
    fails('tpe', { ordered: 'sometimes' }, /options\.ordered: expected 'auto' \| 'never' \| 'always', got "sometimes"/);
    fails('tpe', { considerPrior: 1 }, /options\.considerPrior: expected true or false/);
    fails('tpe', { gamma: 0 }, /options\.gamma: expected a number in \(0, 1\]/);
    expect(() => createAgent('bayes', space, { seed: 1, budget: 5 })).toThrow(/algorithm: unknown 'bayes'/);
  });
});
