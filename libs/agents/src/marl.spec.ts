import { createAgent, marlTables, type SearchSpace } from './index';
import { rankFractions } from './marl';

const space: SearchSpace = {
  slots: [
    { name: 'a', choices: [16, 32] },
    { name: 'b', choices: [3, 5, 7] },
    { name: 'c', choices: ['x', 'y'] },
  ],
};
const greedy = [[0, 0]];

describe('MARL rule (marl.ts)', () => {
  it('fits each table to rank-normalised targets, backwards, shrunk toward the choice value', () => {
    const agent = createAgent('marl', space, { seed: 1, budget: 10, gamma: 0.5, initialQ: 1, rankPower: 1, prior: 1 });
    // Ranks: 0.9 -> 1, 0.3 -> 0.
    agent.observe([1, 2, 0], 0.9);
    agent.observe([0, 2, 1], 0.3);
    const [t0, t1, t2] = marlTables(agent.state());
    // Last agent (state: b): V[0] = (1 + 1) / 2 = 1, V[1] = (0 + 1) / 2 = 0.5; Q[2][1] = (0 + 0.5) / 2.
    expect(t2.q).toEqual([[1, 0.5], [1, 0.5], [1, 0.25]]);
    expect(t2.visits).toEqual([[0, 0], [0, 0], [1, 1]]);
    // y = 0.5 u + 0.5 max Q2[2] = 1 and 0.5; V[2] = (1 + 0.5 + 1) / 3; untried choices keep initialQ 1.
    const v = 2.5 / 3;
    expect(t1.q[0][2]).toBeCloseTo((0.5 + v) / 2, 12);
    expect(t1.q[1][2]).toBeCloseTo((1 + v) / 2, 12);
    expect([t1.q[0][0], t1.q[0][1], t1.q[1][0], t1.q[1][1]]).toEqual([1, 1, 1, 1]);
    // y = 0.5 u + 0.5 max Q1[a]: 1 for a = 1, 0.5 for a = 0; Q0[0] = (0.5 + (0.5 + 1) / 2) / 2.
    expect(t0.q).toEqual([[0.625, 1]]);
    expect(t0.visits).toEqual([[1, 1]]);
  });

  it('ranks rewards: ties share their mean rank, a single reward is 0.5', () => {
    expect(rankFractions([5, 1, 5, 3])).toEqual([2.5 / 3, 0, 2.5 / 3, 1 / 3]);
    expect(rankFractions([0.7])).toEqual([0.5]);
  });

  it('is scale-free: a monotone transform of the rewards gives the same search', () => {
    const reward = (c: number[]) => 0.1 + 0.3 * c[0] + 0.1 * c[1] * c[2];
    const runWith = (f: (r: number) => number) => {
      const agent = createAgent('marl', space, { seed: 4, budget: 12 });
      const out: number[][] = [];
      for (let e = 0; e < 8; e++) {
        const c = agent.propose();
        out.push(c);
        agent.observe(c, f(reward(c)));
      }
      return out;
    };
    const base = runWith((r) => r);
    expect(runWith((r) => 1000 * r - 3)).toEqual(base);
    expect(runWith((r) => Math.exp(10 * r))).toEqual(base);
    // A transform that changes the order changes the search.
    expect(runWith((r) => -r)).not.toEqual(base);
  });

  it('labels each table for a heatmap: rows are the previous agent\'s choices', () => {
    const t = marlTables(createAgent('marl', space, { seed: 1, budget: 10 }).state());
    expect(t.map((x) => [x.slot, x.previousSlot, x.rows, x.columns])).toEqual([
      ['a', null, ['start'], ['16', '32']],
      ['b', 'a', ['16', '32'], ['3', '5', '7']],
      ['c', 'b', ['3', '5', '7'], ['x', 'y']],
    ]);
  });

  it('tries every choice of an agent once before repeating one (initialQ 1), then follows its tables greedily', () => {
    const agent = createAgent('marl', space, { seed: 5, budget: 50 });
    const first = new Set<number>();
    for (let e = 0; e < 2; e++) {
      const c = agent.propose();
      first.add(c[0]);
      agent.observe(c, 0.5 + e);
    }
    expect(first).toEqual(new Set([0, 1]));
    // Without optimism the greedy configuration is the best result's, mutated once it was evaluated.
    const exploit = createAgent('marl', space, { seed: 5, budget: 50, initialQ: 0 });
    exploit.observe([1, 0, 1], 1);
    exploit.observe([0, 2, 0], 0.2);
    const next = exploit.propose();
    expect(next.filter((x, i) => x !== [1, 0, 1][i])).toHaveLength(1);
  });

  it('never proposes a configuration evaluated or in flight while new ones remain', () => {
    const agent = createAgent('marl', space, { seed: 2, budget: 12 });
    const inFlight = [agent.propose(), agent.propose(), agent.propose()];
    expect(new Set(inFlight.map(String)).size).toBe(3);
    const all = [...inFlight];
    inFlight.forEach((c) => agent.observe(c, c[0] + c[1] / 10));
    for (let e = 3; e < 12; e++) {
      const c = agent.propose();
      all.push(c);
      agent.observe(c, c[0] + c[1] / 10);
    }
    // 12 proposals cover the 12 configurations of the space; then a repeat is unavoidable.
    expect(new Set(all.map(String)).size).toBe(12);
    expect(agent.propose()).toHaveLength(3);
  });

  it('learns the same tables from the same results in any arrival order', () => {
    const a = createAgent('marl', space, { seed: 3, budget: 20 });
    const b = createAgent('marl', space, { seed: 3, budget: 20 });
    const results: [number[], number][] = [[[0, 1, 1], 0.7], [[1, 2, 0], 0.4], [[1, 0, 1], 0.9], [[0, 0, 0], 0.4]];
    results.forEach(([c, r]) => a.observe(c, r));
    [...results].reverse().forEach(([c, r]) => b.observe(c, r));
    expect(marlTables(b.state())).toEqual(marlTables(a.state()));
  });
});

describe('qlearning (MetaQNN)', () => {
  it('bootstraps along the prefix tree with zero intermediate reward', () => {
    const agent = createAgent('qlearning', space, { seed: 1, budget: 10, alpha: 0.5, gamma: 1, initialQ: 0.5, replay: 0, epsilon: greedy });
    agent.observe([1, 0, 1], 0.9);
    const q = agent.state().data.q as Record<string, number[]>;
    // Leaf: 0.5 + 0.5 (0.9 - 0.5) = 0.7; then max of the child row, not R.
    expect(q['1,0']).toEqual([0.5, 0.7]);
    expect(q['1']).toEqual([0.5 + 0.5 * (0.7 - 0.5), 0.5, 0.5]);
    expect(q['']).toEqual([0.5, 0.5 + 0.5 * (0.6 - 0.5)]);
  });
});

describe('evolution', () => {
  it('mutates exactly one slot of a population member once the population is full', () => {
    const agent = createAgent('evolution', space, { seed: 2, budget: 40, population: 4, sample: 2 });
    const members: number[][] = [];
    for (let e = 0; e < 30; e++) {
      const c = agent.propose();
      if (members.length >= 4) {
        const population = members.slice(-4);
        expect(population.some((m) => m.filter((x, i) => x !== c[i]).length === 1)).toBe(true);
      }
      members.push(c);
      agent.observe(c, c[0] + c[1] / 10);
    }
  });
});
