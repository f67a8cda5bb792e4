import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { createAgent, type Observation, type SearchSpace } from './index';
import { erfc, orderedSlots, tpeDefaults, tpeModel, tpeSplit, type TpeOptions } from './tpe';

// The ingredients of the TPE cross-check (tools/bench: median evaluations to the top 1% within
// 15% of Optuna's): on fixed histories, tpe.ts's l(x) and g(x) over every choice equal the ones
// Optuna 3.1's TPESampler computes (its own _split_observation_pairs and _ParzenEstimator, called
// by tools/bench/tpe_table.py --densities), for categorical and integer-coded slots.
const script = path.join(__dirname, '../../../tools/bench/tpe_table.py');
type OptunaSlot = { below: number[]; above: number[]; belowIndexes: number[]; aboveIndexes: number[] };
type Request = { space: SearchSpace; coding: ('categorical' | 'int')[]; history: Observation[]; options: TpeOptions };
/** Optuna's answers to several requests, in one Python process (importing optuna takes a second). */
function optuna(requests: Request[]): (OptunaSlot[] | null)[] {
  const input = JSON.stringify(requests.map((r) => ({ slots: r.space.slots, coding: r.coding, history: r.history, options: r.options })));
  return JSON.parse(execFileSync('/usr/bin/python3', [script, '--densities'], { input, encoding: 'utf8' }));
}

const range = (n: number) => Array.from({ length: n }, (_, i) => i);
const space: SearchSpace = {
  slots: [
    { name: 'op', choices: ['none', 'skip', 'conv1x1', 'conv3x3', 'pool'] },
    { name: 'width', choices: [8, 16, 32, 64, 128] },
    { name: 'depth', choices: [1, 2, 3] },
    { name: 'fine', choices: range(64) },
  ],
};

const small: SearchSpace = { slots: space.slots.slice(0, 2) };

/** Seeded history; rewards repeat (ties, failed evaluations at 0) as on real tables. `fine` never repeats a value. */
function history(n: number, seed: number): Observation[] {
  let s = seed;
  const rand = () => (s = (s * 1103515245 + 12345) % 2147483648) / 2147483648;
  const fine = range(64).sort((a, b) => Math.sin(a * 12.9898 + seed) - Math.sin(b * 12.9898 + seed));
  return range(n).map((i) => {
    const config = [Math.floor(rand() * 5), Math.floor(rand() * 5), Math.floor(rand() * 3), fine[i]];
    const reward = i % 7 === 3 ? 0 : Math.round((0.3 + 0.1 * config[1] - 0.05 * Math.abs(config[0] - 3) + 0.2 * rand()) * 20) / 20;
    return { config, reward };
  });
}

/**
 * Optuna sorts an ordered slot's kernel means with numpy's unstable quicksort (insertion sort,
 * stable, up to 16 elements). Where means tie, which kernel gets which width is then arbitrary:
 * it changes the estimator when the prior's mean ties an observation (the prior's width is
 * reset afterwards) or when tied observations have unequal weights (more than 25). tpe.ts sorts
 * stably; compare where both orders give the same estimator.
 */
function uniqueInOptuna(values: number[], k: number, o: TpeOptions): boolean {
  const kernels = values.length + (o.considerPrior ? 1 : 0);
  const tiesPrior = o.considerPrior && values.includes((k - 1) / 2);
  const equalWeights = o.weights === 'uniform' || values.length < 25;
  return kernels <= 16 || (!tiesPrior && (equalWeights || new Set(values).size === values.length));
}

function expectSame(ours: number[], theirs: number[], where: string): void {
  expect(ours.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
  ours.forEach((p, i) => expect([where, i, Math.abs(Math.log(p) - theirs[i]) < 1e-9]).toEqual([where, i, true]));
}

describe('tpe.ts equals Optuna 3.1 TPESampler', () => {
  const cases: [string, Partial<TpeOptions>, number][] = [
    ['defaults, 27 observations', {}, 27],
    ['defaults, 60 observations (older ones ramp down)', {}, 60],
    ['no prior, endpoints, no magic clip, prior weight unused', { considerPrior: false, considerEndpoints: true, considerMagicClip: false }, 40],
    ['gamma 0.25 capped at 8, prior weight 2.5, uniform weights', { gamma: 0.25, gammaMax: 8, priorWeight: 2.5, weights: 'uniform' }, 45],
  ];
  const codings = ['categorical', 'int'] as const;
  const startup = { ...tpeDefaults, startupTrials: 12 };
  let answers: (OptunaSlot[] | null)[] = [];
  beforeAll(() => {
    const requests = cases.flatMap(([, over, n]) => codings.map((c) => ({ space, coding: space.slots.map(() => c), history: history(n, n), options: { ...tpeDefaults, ...over } })));
    answers = optuna([...requests, { space, coding: ['categorical', 'int', 'int', 'int'], history: history(11, 1), options: startup }]);
  });

  test.each(cases.map((c, i) => [...c, i] as const))('%s: the split, and l(x) and g(x) of every slot, categorical and integer-coded', (_name, over, n, caseIndex) => {
    const options = { ...tpeDefaults, ...over };
    const h = history(n, n);
    const split = tpeSplit(h, options);
    let compared = 0;
    codings.forEach((coding, c) => {
      const model = tpeModel(space, h, { ...options, ordered: coding === 'int' ? 'always' : 'never' });
      const theirs = answers[caseIndex * codings.length + c];
      expect(model).toBeDefined();
      expect(theirs).not.toBeNull();
      model!.forEach((slot, s) => {
        expect([theirs![s].belowIndexes, theirs![s].aboveIndexes]).toEqual([split.below, split.above]);
        expect(slot.kind).toBe(coding === 'int' ? 'ordered' : 'categorical');
        for (const group of ['below', 'above'] as const) {
          if (coding === 'int' && !uniqueInOptuna(split[group].map((i) => h[i].config[s]), space.slots[s].choices.length, options)) continue;
          expectSame(slot[group], theirs![s][group], `${coding} ${space.slots[s].name} ${group}`);
          compared++;
        }
      });
    });
    expect(compared).toBeGreaterThanOrEqual(12);
  });

  test('uniform random until startupTrials observations, like Optuna', () => {
    expect(tpeModel(space, history(11, 1), startup)).toBeUndefined();
    expect(answers[answers.length - 1]).toBeNull();
    expect(tpeModel(space, history(12, 1), startup)).toHaveLength(4);
  });
});

test('proposes the value with the largest l(x) / g(x) among its candidates', () => {
  const h = history(50, 3);
  const agent = createAgent('tpe', space, { seed: 1, budget: 100, candidates: 5000 });
  for (const o of h) agent.observe(o.config, o.reward);
  const model = tpeModel(space, h, { ...tpeDefaults, candidates: 5000 })!;
  // With 5000 candidates every value is drawn: the proposal is the argmax of l/g.
  expect(agent.propose()).toEqual(model.map(({ below, above }) => below.map((l, v) => l / above[v]).reduce((best, r, v, all) => (r > all[best] ? v : best), 0)));
  // With one candidate it is a draw from l: over many proposals, the frequencies follow l.
  const one = createAgent('tpe', small, { seed: 2, budget: 2000, candidates: 1 });
  for (const o of h) one.observe(o.config.slice(0, 2), o.reward);
  const counts = new Array<number>(5).fill(0);
  for (let i = 0; i < 2000; i++) counts[one.propose()[0]]++;
  counts.forEach((c, v) => expect(Math.abs(c / 2000 - model[0].below[v])).toBeLessThan(4 * Math.sqrt(model[0].below[v] / 2000)));
});

test("'auto' orders numeric choices in monotonic order only", () => {
  const s: SearchSpace = { slots: [{ name: 'a', choices: [8, 16, 32] }, { name: 'b', choices: [0.1, 0.01] }, { name: 'c', choices: [16, 8, 32] }, { name: 'd', choices: ['x', 'y'] }, { name: 'e', choices: [{ k: 3 }] }] };
  expect(orderedSlots(s, 'auto')).toEqual([true, true, false, false, false]);
  expect(orderedSlots(s, 'always')).toEqual([true, true, true, true, true]);
  expect(orderedSlots(s, 'never')).toEqual([false, false, false, false, false]);
});

test('erfc equals the C library to the last bits (via Python math.erfc)', () => {
  const xs = [0, 1e-20, 0.1, 0.25, 0.5, 0.84, 0.85, 1, 1.2, 1.3, 2, 2.85, 2.86, 4, 6, 10, 20, 27.5];
  const theirs: number[] = JSON.parse(execFileSync('/usr/bin/python3', ['-c', `import json, math; print(json.dumps([math.erfc(x) for x in ${JSON.stringify(xs)}]))`], { encoding: 'utf8' }));
  xs.forEach((x, i) => expect([x, Math.abs(erfc(x) - theirs[i]) <= 4e-16 * theirs[i]]).toEqual([x, true]));
});
