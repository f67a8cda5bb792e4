import { parseRewardSpec } from '@marl-hpo/search';
import { randomEquivalentEvals, randomSearchFigures, runSearchBench, summarize, summarizeCosts } from './run';
import { meanCi, median, medianCi95, quantile, t975 } from './stats';
import { smallTable } from './fixtures';
import { parseTable, type BenchTable } from './table';

const accuracy = parseRewardSpec([{ metric: 'accuracy', goal: 'max' }]);

describe('statistics', () => {
  it('t975 matches published Student t quantiles', () => {
    const table: [number, number][] = [[1, 12.7062], [2, 4.3027], [3, 3.1824], [4, 2.7764], [5, 2.5706], [10, 2.2281], [30, 2.0423], [49, 2.0096], [199, 1.9720]];
    for (const [df, t] of table) expect(t975(df)).toBeCloseTo(t, 4);
  });
  it('meanCi and median', () => {
    const { mean, ci95 } = meanCi([1, 2, 3, 4]);
    // sd = sqrt(5/3), half-width = t(3) * sd / 2
    expect(mean).toBe(2.5);
    expect(ci95?.[1]).toBeCloseTo(2.5 + 3.18245 * Math.sqrt(5 / 3) / 2, 4);
    expect(meanCi([7]).ci95).toBeNull();
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
  });
  it('summarize counts the first evaluation reaching the threshold, budget + 1 if none', () => {
    const s = summarize([[0.1, 0.5, 0.9, 0.2], [0.95, 0, 0, 0], [0.1, 0.1, 0.1, 0.1]], 4, 1, 0.9);
    expect(s.evalsToTop1pct).toBe(3); // hits at 3, 1, never (5)
    expect(s.top1pctReached).toBeCloseTo(2 / 3, 12);
    expect(s.bestReward['4'].mean).toBeCloseTo((0.9 + 0.95 + 0.1) / 3, 12);
    expect(s.regret['4'].mean).toBeCloseTo(1 - (0.9 + 0.95 + 0.1) / 3, 12);
    expect(s.failedFraction).toBeCloseTo(3 / 12, 12);
  });
  it('summarize keeps the best reward of a trace shorter than the budget (the search stopped early)', () => {
    const s = summarize([[0.2, 0.6], [0.1, 0.3, 0.4, 0.5]], 4, 1, 0.55);
    expect(s.bestReward['4'].mean).toBeCloseTo((0.6 + 0.5) / 2, 12);
    expect(s.evalsToTop1pct).toBe((2 + 5) / 2);
  });
  it('quartiles and the order-statistics CI of the median', () => {
    expect(quantile([4, 1, 3, 2], 0.25)).toBeCloseTo(1.75, 12); // numpy.quantile([1, 2, 3, 4], 0.25)
    expect(quantile([4, 1, 3, 2], 0.75)).toBeCloseTo(3.25, 12);
    const xs = Array.from({ length: 200 }, (_, i) => i + 1);
    // n = 200: ranks floor(100 - 13.86) = 86 and ceil(113.86) = 114.
    expect(medianCi95(xs)).toEqual([86, 114]);
    expect(medianCi95([7])).toEqual([7, 7]);
  });
  it('summarizeCosts: best reward after each checkpoint\'s cost, cost to the first hit, screens reach nothing', () => {
    const trace = [{ cost: 0.25 }, { cost: 1.25, reward: 0.5 }, { cost: 0.25 }, { cost: 0.25 }, { cost: 1.25, reward: 0.95 }, { cost: 0.25 }];
    const s = summarizeCosts([trace, [{ cost: 1, reward: 0.2 }]], 4, 1, 0.9, [1, 3]);
    expect(Object.keys(s.bestReward)).toEqual(['1', '3', '4']);
    expect(s.bestReward['1'].mean).toBeCloseTo((0 + 0.2) / 2, 12); // 1.5 spent before the first full result
    expect(s.bestReward['3'].mean).toBeCloseTo((0.5 + 0.2) / 2, 12); // 0.95 comes at 3.25 > 3
    expect(s.bestReward['4'].mean).toBeCloseTo((0.95 + 0.2) / 2, 12);
    expect(s.evalsToTop1pct).toBeCloseTo((3.25 + 5) / 2, 12); // the second never reaches it: budget + 1
    expect(s.failedFraction).toBe(0);
  });
  it('randomSearchFigures: geometric with replacement, hypergeometric without', () => {
    expect(randomSearchFigures(1, 2, 10, true).evalsToTop1pct).toBe(1);
    expect(randomSearchFigures(1, 100, 100, true).evalsToTop1pct).toBe(69); // 1 - 0.99^69 = 0.5002
    const f = randomSearchFigures(1, 100, 50, true);
    expect(f.evalsToTop1pct).toBe(51);
    expect(f.top1pctReached).toBeCloseTo(1 - 0.99 ** 50, 12);
    // Without replacement one of 100 is found within n draws with probability n / 100.
    expect(randomSearchFigures(1, 100, 100, false)).toEqual({ evalsToTop1pct: 50, top1pctReached: 1 });
    expect(randomSearchFigures(2, 4, 2, false).top1pctReached).toBeCloseTo(1 - (2 / 4) * (1 / 3), 12);
    expect(randomSearchFigures(2, 4, 3, false).top1pctReached).toBe(1);
  });

  it('randomEquivalentEvals: expected best of n draws, inverted and interpolated', () => {
    // With replacement from {0, 1}: E[best of 1] = 0.5, of 2 = 0.75, of 3 = 0.875.
    expect(randomEquivalentEvals([1, 0], 0.75, true, 10)).toBeCloseTo(2, 12);
    expect(randomEquivalentEvals([1, 0], 0.625, true, 10)).toBeCloseTo(1.5, 12);
    expect(randomEquivalentEvals([1, 0], 0.8125, true, 10)).toBeCloseTo(2.5, 12);
    expect(randomEquivalentEvals([1, 0], 0.2, true, 10)).toBe(1); // worse than one draw
    expect(randomEquivalentEvals([1, 0], 1, true, 10)).toBeNull(); // only in the limit
    // Without replacement from {0, 1, 2}: E[best of 2] = (1 + 2 + 2) / 3, of 3 = 2.
    expect(randomEquivalentEvals([2, 0, 1], 5 / 3, false, 10)).toBeCloseTo(2, 12);
    expect(randomEquivalentEvals([2, 0, 1], 2, false, 10)).toBeCloseTo(3, 12);
    expect(randomEquivalentEvals([2, 0, 1], 2, false, 2)).toBeNull();
  });
});

describe('parseTable', () => {
  const base = () => JSON.parse(JSON.stringify(smallTable())) as BenchTable & Record<string, unknown>;
  it('names the file and field of every mistake', () => {
    const t1 = base();
    t1.rows[3].choice = [0, 0, 0, 4];
    expect(() => parseTable(t1, 't.json')).toThrow(/^t\.json: rows\[3\]\.choice\[3\]: index 4 out of range 0\.\.3/);
    const t2 = base();
    t2.rows[5].choice = t2.rows[4].choice;
    expect(() => parseTable(t2, 't.json')).toThrow(/rows\[5\]\.choice: configuration \[0,0,1,0\] appears twice/);
    const t3 = base();
    (t3.rows[1].metrics as Record<string, unknown>).acc = '1';
    expect(() => parseTable(t3, 't.json')).toThrow(/rows\[1\]\.metrics\.acc: expected a number, got "1"/);
    const t5 = { ...base(), objective: [{ metric: 'acuracy', goal: 'max' }] };
    expect(() => parseTable(t5, 't.json')).toThrow("t.json: objective: objectives[0].metric: 'acuracy' is not produced by table small (did you mean 'accuracy'? metrics: accuracy, latencyMs, params)");
    const t4 = { ...base(), objective: [{ metric: 'accuracy', goal: 'up' }] };
    expect(() => parseTable(t4, 't.json')).toThrow(/t\.json: objective: objectives\[0\]\.goal/);
    expect(() => parseTable({ ...base(), slots: [] }, 't.json')).toThrow(/t\.json: slots:/);
  });
});

describe('tables with any columns', () => {
  // Like the NB201 tables: a test split, a 12-epoch proxy and per-device latencies beside accuracy.
  const table = () => {
    const t = smallTable();
    for (const [i, r] of t.rows.entries()) {
      if (r.error) continue;
      const accuracy = r.metrics.accuracy ?? 0;
      Object.assign(r.metrics, { testAccuracy: accuracy - 0.01, accuracy12: accuracy - 0.03 * ((i * 37) % 5), latencyRaspi4Ms: 1 + r.choice[0] });
    }
    return parseTable(JSON.parse(JSON.stringify(t)), 'extra.json');
  };
  it('reads extra columns and lets objectives and constraints name them', () => {
    const t = table();
    const objective = parseRewardSpec({ objectives: [{ metric: 'accuracy12', goal: 'max' }], constraints: [{ metric: 'latencyRaspi4Ms', max: 3 }] });
    const r = runSearchBench(t, { algorithms: ['random'], budget: 10, repeats: 2, seed: 0, objective });
    const feasible = t.rows.filter((row) => !row.error && (row.metrics.latencyRaspi4Ms ?? Infinity) <= 3);
    expect(r.optimum).toBe(Math.max(...feasible.map((row) => row.metrics.accuracy12 ?? 0)));
    expect(r.optimum).toBeLessThan(Math.max(...t.rows.map((row) => row.metrics.accuracy12 ?? 0))); // the constraint binds
  });
  it('refuses an objective naming a column no row has, listing the columns', () => {
    const objective = parseRewardSpec([{ metric: 'accuracy13', goal: 'max' }]);
    expect(() => runSearchBench(table(), { algorithms: ['random'], budget: 10, repeats: 1, seed: 0, objective })).toThrow(
      "objective: objectives[0].metric: 'accuracy13' is not produced by table small (did you mean 'accuracy12'? metrics: accuracy, latencyMs, params, testAccuracy, accuracy12, latencyRaspi4Ms)",
    );
  });
});

describe('multi-fidelity screening', () => {
  // accuracy12: a proxy that keeps the order of slot a (the big term) and scrambles the rest.
  const table = (() => {
    const t = smallTable();
    for (const r of t.rows) if (!r.error) r.metrics.accuracy12 = 0.4 + 0.1 * r.choice[0] + 0.001 * ((r.choice[1] * 7 + r.choice[2] * 3 + r.choice[3]) % 11);
    return parseTable(JSON.parse(JSON.stringify(t)));
  })();
  const screen = { column: 'accuracy12', replaces: 'accuracy', cost: 0.25, promote: 0.3, minScreened: 4 };
  const opts = { algorithms: ['random'] as ['random'], budget: 30, repeats: 200, seed: 5, objective: accuracy };

  it('charges each screen its cost and each promotion one full evaluation, until the budget is spent', () => {
    const r = runSearchBench(table, { ...opts, screen });
    const x = r.results.random;
    expect(r.screen).toEqual(screen);
    expect(x.screens).toBe(x.proposals); // every proposal is screened and charged with 'episodes'
    const spent = x.screens! * screen.cost + x.promotions!;
    expect(spent).toBeGreaterThanOrEqual(opts.budget);
    expect(spent).toBeLessThan(opts.budget + 1 + screen.cost);
    // About the top 30% of screens are promoted (among the first 4, new bests), so a proposal costs about 0.25 + 0.3.
    expect(x.promotions! / x.screens!).toBeGreaterThan(0.28);
    expect(x.promotions! / x.screens!).toBeLessThan(0.4);
  });

  it('reports cost in full evaluations: promoting everything costs (1 + cost) per proposal', () => {
    // Random search proposes the same configurations whatever it observes: with every screen
    // promoted, each repeat reaches the top 1% at the same proposal, for 1.25x the cost.
    // (Budget 200: 90% of the repeats reach the top 1%, so the quartiles are hits, not budget + 1.
    // Every configuration present and trained: a failed screen would not be promoted.)
    const rows = Array.from({ length: 256 }, (_, i) => {
      const choice = [i >> 6, (i >> 4) & 3, (i >> 2) & 3, i & 3];
      return { choice, metrics: { accuracy: 0.5 + 0.1 * choice[0] + 0.01 * choice[1] + 0.001 * choice[2], accuracy12: 0.4 + 0.1 * choice[0] } };
    });
    const complete = parseTable({ name: 'complete', slots: table.slots, rows });
    const plain = runSearchBench(complete, { ...opts, budget: 200, checkpoints: [20] }).results.random;
    const all = runSearchBench(complete, { ...opts, budget: 250, checkpoints: [25], screen: { ...screen, promote: 1, minScreened: 0 } }).results.random;
    expect(plain.evalsToTop1pctQuartiles[1]).toBeLessThan(200);
    expect(all.evalsToTop1pct).toBeCloseTo(plain.evalsToTop1pct * 1.25, 9);
    expect(all.evalsToTop1pctQuartiles[0]).toBeCloseTo(plain.evalsToTop1pctQuartiles[0] * 1.25, 9);
    expect(all.evalsToTop1pctQuartiles[1]).toBeCloseTo(plain.evalsToTop1pctQuartiles[1] * 1.25, 9);
    expect(all.bestReward['250'].mean).toBeCloseTo(plain.bestReward['200'].mean, 12);
    expect(all.bestReward['25'].mean).toBeCloseTo(plain.bestReward['20'].mean, 12);
    // A proxy that ranks well saves cost: screening reaches the top 1% cheaper than full evaluations.
    const screened = runSearchBench(complete, { ...opts, budget: 200, screen }).results.random;
    expect(screened.evalsToTop1pct).toBeLessThan(plain.evalsToTop1pct * 0.8);
  });

  it("with 'evaluations' accounting a configuration is screened and evaluated at most once", () => {
    const rows = table.rows.filter((r) => r.choice[2] === 0 && r.choice[3] === 0).map((r) => ({ ...r, choice: r.choice.slice(0, 2) }));
    const tiny = parseTable({ ...table, slots: table.slots.slice(0, 2), rows });
    const r = runSearchBench(tiny, { ...opts, budget: 25, repeats: 20, accounting: 'evaluations', screen: { ...screen, promote: 0.5 } }).results.random;
    expect(r.screens).toBeLessThanOrEqual(16);
    expect(r.promotions).toBeLessThanOrEqual(r.screens!);
    expect(r.proposals).toBeGreaterThan(r.screens!); // repeats were free
  });

  it('refuses a screen column the table lacks, or a metric the objective does not name', () => {
    expect(() => runSearchBench(table, { ...opts, screen: { ...screen, column: 'accuracy13' } })).toThrow("screen: 'accuracy13' is not a column of table small (metrics: accuracy, latencyMs, params, accuracy12)");
    expect(() => runSearchBench(table, { ...opts, screen: { ...screen, replaces: 'latencyMs' } })).toThrow("screen: 'latencyMs' is not named by the objective (metrics: accuracy)");
    expect(() => runSearchBench(table, { ...opts, screen: { ...screen, cost: 0 } })).toThrow(/screen: cost 0 must be in \(0, 1\]/);
  });
});

describe('runSearchBench', () => {
  const table = smallTable();
  const opts = { algorithms: ['marl', 'random', 'qlearning', 'evolution'] as const, budget: 30, repeats: 5, seed: 3, objective: accuracy };

  it('reports the table, each algorithm\'s figures, and repeats exactly', () => {
    const a = runSearchBench(table, { ...opts, algorithms: [...opts.algorithms] });
    const b = runSearchBench(table, { ...opts, algorithms: [...opts.algorithms] });
    const noTime = (r: typeof a) => JSON.stringify(r, (k, v) => (k === 'seconds' ? 0 : v));
    expect(noTime(a)).toBe(noTime(b));
    expect(a.optimum).toBeCloseTo(0.5 + 0.3 + 0.03 + 0.003 + 0.0002, 12); // [3,3,3,2]: [3,3,3,3] is absent
    expect(a.top1pct.rows).toBe(3); // ceil(255 / 100)
    expect(a.checkpoints).toEqual([10, 25, 30]);
    for (const r of Object.values(a.results)) {
      const means = a.checkpoints.map((c) => r.bestReward[String(c)].mean);
      expect([...means].sort((x, y) => x - y)).toEqual(means);
      expect(r.regret['30'].mean).toBeCloseTo(a.optimum - r.bestReward['30'].mean, 12);
    }
    expect(a.results.marl.options).toMatchObject({ rankPower: expect.any(Number), gamma: expect.any(Number) });
  });

  it('scores absent and failed configurations with the minimum reward', () => {
    // 2 of 256 configurations score 0: the failed row [0,0,0,0] and the absent [3,3,3,3].
    const r = runSearchBench(table, { ...opts, algorithms: ['random'], budget: 256, repeats: 4 });
    expect(r.results.random.failedFraction).toBeGreaterThan(0);
    expect(r.results.random.failedFraction).toBeLessThan(0.03);
  });

  it('charges repeats and params/MACs-rejected configurations nothing with evaluations accounting', () => {
    const objective = parseRewardSpec({ objectives: [{ metric: 'accuracy', goal: 'max' }], constraints: [{ metric: 'params', max: 2500 }] });
    const base = { ...opts, objective, budget: 40, repeats: 6 };
    const episodes = runSearchBench(table, { ...base, algorithms: ['random', 'marl'] });
    const evaluations = runSearchBench(table, { ...base, algorithms: ['random', 'marl'], accounting: 'evaluations' });
    expect(evaluations.accounting).toBe('evaluations');
    for (const a of ['random', 'marl']) {
      expect(episodes.results[a].proposals).toBe(40);
      // Half the space (slot b >= 2) is rejected before training: free, so more proposals per
      // evaluation (random: about 80; marl learns to avoid the rejected half, so fewer).
      expect(evaluations.results[a].proposals).toBeGreaterThan(a === 'random' ? 60 : 40);
      // Only training failures ([0,0,0,0], absent [3,3,3,3] is rejected by params) cost a failed evaluation.
      expect(evaluations.results[a].failedFraction).toBeLessThan(0.05);
      expect(episodes.results[a].failedFraction).toBeGreaterThan(0.2);
    }
    // Every costly evaluation is a new configuration.
    expect(evaluations.results.random.distinctConfigs).toBeGreaterThanOrEqual(40);
  });

  it('random search reaches the top 1% as often as the geometric distribution says', () => {
    const repeats = 400;
    const r = runSearchBench(table, { ...opts, algorithms: ['random'], budget: 40, repeats });
    // 3 top configurations of 256: p = 3/256.
    const p = 1 - (1 - 3 / 256) ** 40;
    expect(r.randomSearchTheory.top1pctReached).toBeCloseTo(p, 12);
    const se = Math.sqrt((p * (1 - p)) / repeats);
    expect(Math.abs(r.results.random.top1pctReached - p)).toBeLessThan(4 * se);
    // Repeats free: sampling without replacement, P(hit within 40) = 1 - C(253, 40) / C(256, 40).
    const e = runSearchBench(table, { ...opts, algorithms: ['random'], budget: 40, repeats, accounting: 'evaluations' });
    const q = 1 - (216 * 215 * 214) / (256 * 255 * 254);
    expect(e.randomSearchTheory.top1pctReached).toBeCloseTo(q, 12);
    expect(Math.abs(e.results.random.top1pctReached - q)).toBeLessThan(4 * Math.sqrt((q * (1 - q)) / repeats));
  });

  it('random search is worth its own budget in random-equivalent evaluations; a searcher that learns, more', () => {
    for (const accounting of ['episodes', 'evaluations'] as const) {
      const r = runSearchBench(table, { ...opts, algorithms: ['random', 'marl'], budget: 20, repeats: 600, accounting });
      expect(r.results.random.randomEquivalentEvals).toBeGreaterThan(20 * 0.85);
      expect(r.results.random.randomEquivalentEvals).toBeLessThan(20 * 1.15);
      expect(r.results.marl.randomEquivalentEvals).toBeGreaterThan(r.results.random.randomEquivalentEvals!);
    }
  });
});
