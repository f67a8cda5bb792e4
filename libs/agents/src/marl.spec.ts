import { createAgent, marlTables, type SearchSpace } from './index';

const space: SearchSpace = {
  slots: [
    { name: 'a', choices: [16, 32] },
    { name: 'b', choices: [3, 5, 7] },
    { name: 'c', choices: ['x', 'y'] },
  ],
};
const greedy = [[0, 0]];

describe('MARL rule (DESIGN.md)', () => {
  it('updates backwards: y_last = R, y_i = (1-gamma) R + gamma max Q_{i+1}[a_i, .]', () => {
    // Dyadic numbers keep the hand computation exact in floating point.
    const agent = createAgent('marl', space, { seed: 1, budget: 10, alpha: 0.5, gamma: 0.5, initialQ: 0.25, replay: 0, epsilon: greedy });
    agent.observe([1, 2, 0], 1);
    const [q0, q1, q2] = marlTables(agent.state()).map((t) => t.q);
    // Q2[2][0] = 0.25 + 0.5 (1 - 0.25) = 0.625
    expect(q2).toEqual([[0.25, 0.25], [0.25, 0.25], [0.625, 0.25]]);
    // y1 = 0.5 * 1 + 0.5 * max(Q2[2]) = 0.8125; Q1[1][2] = 0.25 + 0.5 (0.8125 - 0.25) = 0.53125
    expect(q1).toEqual([[0.25, 0.25, 0.25], [0.25, 0.25, 0.53125]]);
    // y0 = 0.5 + 0.5 * max(Q1[1]) = 0.765625; Q0[0][1] = 0.25 + 0.5 (0.765625 - 0.25) = 0.5078125
    expect(q0).toEqual([[0.25, 0.5078125]]);
  });

  it('with gamma = 0 every agent learns R directly (independent learners)', () => {
    const agent = createAgent('marl', space, { seed: 1, budget: 10, alpha: 1, gamma: 0, initialQ: 0, replay: 0, epsilon: greedy });
    agent.observe([0, 1, 1], 0.9);
    const t = marlTables(agent.state());
    expect(t.map((x) => x.q)).toEqual([[[0.9, 0]], [[0, 0.9, 0], [0, 0, 0]], [[0, 0], [0, 0.9], [0, 0]]]);
    expect(t[2].visits).toEqual([[0, 0], [0, 1], [0, 0]]);
  });

  it('labels each table for a heatmap: rows are the previous agent\'s choices', () => {
    const t = marlTables(createAgent('marl', space, { seed: 1, budget: 10 }).state());
    expect(t.map((x) => [x.slot, x.previousSlot, x.rows, x.columns])).toEqual([
      ['a', null, ['start'], ['16', '32']],
      ['b', 'a', ['16', '32'], ['3', '5', '7']],
      ['c', 'b', ['3', '5', '7'], ['x', 'y']],
    ]);
  });

  it('acts greedily on the tables when epsilon is 0, exploring untried (optimistic) entries first', () => {
    const agent = createAgent('marl', space, { seed: 5, budget: 50, alpha: 1, gamma: 0, initialQ: 2, replay: 0, epsilon: greedy });
    const seen = new Set<string>();
    // Rewards below the initial Q: every first-agent choice gets tried before any repeats.
    for (let e = 0; e < 2; e++) {
      const c = agent.propose();
      seen.add(String(c[0]));
      agent.observe(c, 0.5);
    }
    expect(seen).toEqual(new Set(['0', '1']));
    const agent2 = createAgent('marl', space, { seed: 5, budget: 50, alpha: 1, gamma: 0, initialQ: 0, replay: 0, epsilon: greedy });
    agent2.observe([1, 0, 1], 1);
    expect(agent2.propose()).toEqual([1, 0, 1]);
  });

  it('applies results arriving out of order independently of which proposal they answer', () => {
    const opts = { seed: 3, budget: 20, replay: 0 };
    const a = createAgent('marl', space, opts);
    const b = createAgent('marl', space, opts);
    const [p0, p1] = [a.propose(), a.propose()];
    a.observe(p1, 0.7);
    a.observe(p0, 0.4);
    // b never proposed: same observations in the same order give the same tables.
    b.observe(p1, 0.7);
    b.observe(p0, 0.4);
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
