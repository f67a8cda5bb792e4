import { checkMetricsProduced, computeReward, MIN_REWARD, parseRewardSpec, RewardSpecError, violatedConstraints, type RewardSpec } from './reward';

const mnas = parseRewardSpec({
  objectives: [
    { metric: 'accuracy', goal: 'max' },
    { metric: 'latencyMs', target: 0.5, weight: -0.07 },
  ],
  constraints: [{ metric: 'params', max: 200000 }],
});

describe('computeReward', () => {
  it('is MnasNet\'s accuracy * (latency / target)^w', () => {
    const r = computeReward(mnas, { accuracy: 0.9, latencyMs: 1, params: 1000 });
    // Independent form: exp(w * ln(latency / target)).
    expect(r.reward).toBeCloseTo(0.9 * Math.exp(-0.07 * Math.log(2)), 14);
    expect(r.feasible).toBe(true);
    // At the target the soft factor is 1; faster than the target it rewards, slower it penalises.
    expect(computeReward(mnas, { accuracy: 0.9, latencyMs: 0.5, params: 1 }).reward).toBe(0.9);
    expect(computeReward(mnas, { accuracy: 0.9, latencyMs: 0.25, params: 1 }).reward).toBeGreaterThan(0.9);
  });

  it('multiplies goals: max -> m, min -> 1/m', () => {
    const spec = parseRewardSpec([{ metric: 'mIoU', goal: 'max' }, { metric: 'loss', goal: 'min' }]);
    expect(computeReward(spec, { mIoU: 0.6, loss: 0.25 }).reward).toBe(2.4);
  });

  it('never reorders configurations when a metric changes unit', () => {
    const ms = parseRewardSpec([{ metric: 'accuracy', goal: 'max' }, { metric: 'latencyMs', target: 0.5, weight: -0.3 }]);
    const us = parseRewardSpec([{ metric: 'accuracy', goal: 'max' }, { metric: 'latencyMs', target: 500, weight: -0.3 }]);
    const a = { accuracy: 0.91, latencyMs: 0.8 };
    const b = { accuracy: 0.93, latencyMs: 1.3 };
    const scaled = (m: typeof a) => ({ ...m, latencyMs: m.latencyMs * 1000 });
    expect(computeReward(us, scaled(a)).reward).toBeCloseTo(computeReward(ms, a).reward, 14);
    expect(computeReward(ms, a).reward > computeReward(ms, b).reward).toBe(computeReward(us, scaled(a)).reward > computeReward(us, scaled(b)).reward);
  });

  it('gives MIN_REWARD with a reason to failed, infeasible or unmeasured evaluations', () => {
    const cases: [Parameters<typeof computeReward>[1], string | undefined, RegExp][] = [
      [{ accuracy: 0.9, latencyMs: 1, params: 300000 }, undefined, /params = 300000 > max 200000/],
      [{ accuracy: 0.9, latencyMs: 1 }, undefined, /params is missing/],
      [{ accuracy: NaN, latencyMs: 1, params: 1 }, undefined, /accuracy = NaN/],
      [{ accuracy: 0.9, latencyMs: 0, params: 1 }, undefined, /latencyMs = 0 is outside the domain/],
      [{ accuracy: 0.9, latencyMs: 1, params: 1 }, 'out of memory', /evaluation failed: out of memory/],
    ];
    for (const [metrics, error, reason] of cases) {
      const r = computeReward(mnas, metrics, error);
      expect(r).toEqual({ reward: MIN_REWARD, feasible: false, reason: expect.stringMatching(reason) });
    }
    // Any feasible evaluation scores at least MIN_REWARD, even with accuracy 0.
    expect(computeReward(mnas, { accuracy: 0, latencyMs: 1, params: 1 })).toEqual({ reward: 0, feasible: true });
  });
});

describe('violatedConstraints', () => {
  it('checks only the metrics given (static precheck of params/MACs before training)', () => {
    const spec: RewardSpec = parseRewardSpec({ objectives: [{ metric: 'accuracy', goal: 'max' }], constraints: [{ metric: 'params', max: 10 }, { metric: 'latencyMs', min: 1, max: 2 }] });
    expect(violatedConstraints(spec, { params: 11 })).toEqual(['params = 11 > max 10']);
    expect(violatedConstraints(spec, { params: 10 })).toEqual([]);
    expect(violatedConstraints(spec, { latencyMs: 0.5 })).toEqual(['latencyMs = 0.5 < min 1']);
  });
});

describe('parseRewardSpec', () => {
  const fails = (value: unknown, message: RegExp) => {
    expect(() => parseRewardSpec(value, '--objective')).toThrow(RewardSpecError);
    expect(() => parseRewardSpec(value, '--objective')).toThrow(message);
  };
  it('names the field of every mistake', () => {
    fails({ objectives: [] }, /^--objective: objectives: expected a non-empty list/);
    fails([{ metric: 5, goal: 'max' }], /objectives\[0\]\.metric: expected a metric name such as "accuracy" .*, got 5$/);
    fails([{ metric: 'test accuracy', goal: 'max' }], /objectives\[0\]\.metric: expected a metric name/);
    fails([{ goal: 'max' }], /objectives\[0\]\.metric: missing \(expected the name of the metric/);
    fails([{ metric: 'accuracy' }], /objectives\[0\]: expected goal: 'max' \| 'min', or a soft target with target and weight$/);
    fails(['accuracy'], /objectives\[0\]: expected \{metric, goal\} or \{metric, target, weight\}, got "accuracy"$/);
    fails([{ metric: 'accuracy', goal: 'up' }], /objectives\[0\]\.goal: expected 'max' or 'min'/);
    fails([{ metric: 'accuracy', goal: 'max', target: 1 }], /objectives\[0\]\.target: unknown field/);
    fails([{ metric: 'latencyMs', target: 0, weight: -0.07 }], /objectives\[0\]\.target: expected a number > 0/);
    fails([{ metric: 'latencyMs', target: 1 }], /objectives\[0\]\.weight/);
    fails([{ metric: 'accuracy', goal: 'max' }, { metric: 'accuracy', goal: 'min' }], /objectives\[1\]\.metric: 'accuracy' is already an objective/);
    fails({ objectives: [{ metric: 'accuracy', goal: 'max' }], constraints: [{ metric: 'params' }] }, /constraints\[0\]: expected max, min or both/);
    fails({ objectives: [{ metric: 'accuracy', goal: 'max' }], constraints: [{ max: 3 }] }, /constraints\[0\]\.metric: missing/);
    fails({ objectives: [{ metric: 'accuracy', goal: 'max' }], constraints: [{ metric: 'params', min: 5, max: 1 }] }, /constraints\[0\]: min 5 exceeds max 1/);
    fails({ objectives: [{ metric: 'accuracy', goal: 'max' }], budget: 3 }, /budget: unknown field/);
    expect(new RewardSpecError('x').userError).toBe(true);
  });
  it('accepts any metric name: a table column, a profiler plug-in\'s', () => {
    const spec = parseRewardSpec({ objectives: [{ metric: 'testAccuracy12', goal: 'max' }, { metric: 'energyMj', target: 2, weight: -0.1 }], constraints: [{ metric: 'peakMemoryMb', max: 64 }] });
    expect(computeReward(spec, { testAccuracy12: 0.5, energyMj: 2, peakMemoryMb: 64 })).toEqual({ reward: 0.5, feasible: true });
    expect(computeReward(spec, { testAccuracy12: 0.5, energyMj: 2, peakMemoryMb: 65 }).reason).toMatch(/peakMemoryMb = 65 > max 64/);
  });
  it('defaults constraints to none and accepts a bare list of objectives', () => {
    expect(parseRewardSpec([{ metric: 'accuracy', goal: 'max' }])).toEqual({ objectives: [{ metric: 'accuracy', goal: 'max' }], constraints: [] });
  });
});

describe('checkMetricsProduced', () => {
  const spec = parseRewardSpec({ objectives: [{ metric: 'accuracy', goal: 'max' }, { metric: 'latencyMS', target: 1, weight: -0.1 }], constraints: [{ metric: 'energyMj', max: 3 }] });
  const produced = ['accuracy', 'loss', 'latencyMs', 'params'];
  it('names the first field whose metric nothing produces, suggests the closest name and lists what is produced', () => {
    expect(() => checkMetricsProduced(spec, produced, 'c.json')).toThrow(RewardSpecError);
    expect(() => checkMetricsProduced(spec, produced, 'c.json')).toThrow(
      "c.json: objectives[1].metric: 'latencyMS' is not produced (did you mean 'latencyMs'? metrics: accuracy, loss, latencyMs, params)",
    );
    expect(() => checkMetricsProduced(spec, [...produced, 'latencyMS'], undefined, 'by table t')).toThrow(
      "constraints[0].metric: 'energyMj' is not produced by table t (metrics: accuracy, loss, latencyMs, params, latencyMS)",
    );
    expect(() => checkMetricsProduced(parseRewardSpec([{ metric: 'acuracy', goal: 'max' }]), produced)).toThrow(/did you mean 'accuracy'\?/);
    expect(() => checkMetricsProduced(spec, [...produced, 'latencyMS', 'energyMj'])).not.toThrow();
  });
});
