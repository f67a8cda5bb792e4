import { learningRateAt, warmupSteps } from './schedule';

describe('learning-rate schedule', () => {
  it('ramps up linearly over the warm-up, then follows a half cosine down towards 0', () => {
    // 10 steps, 20% warm-up: 2 steps at lr/2 and lr, then 8 steps of (1 + cos(pi k / 8)) / 2.
    const s = { learningRate: 0.4, total: 10, warmup: 0.2, kind: 'cosine' as const };
    const rates = Array.from({ length: 10 }, (_, i) => learningRateAt(i + 1, s));
    const want = [0.2, 0.4, 0.4, 0.4 * 0.9619397662556434, 0.4 * 0.8535533905932737, 0.4 * 0.6913417161825449, 0.2, 0.4 * 0.3086582838174551, 0.4 * 0.1464466094067262, 0.4 * 0.0380602337443566];
    rates.forEach((r, i) => expect(r).toBeCloseTo(want[i], 12));
  });

  it("'constant' keeps the rate after the warm-up; no warm-up starts at the full rate", () => {
    const s = { learningRate: 1, total: 8, warmup: 0.25, kind: 'constant' as const };
    expect(Array.from({ length: 8 }, (_, i) => learningRateAt(i + 1, s))).toEqual([0.5, 1, 1, 1, 1, 1, 1, 1]);
    expect(learningRateAt(1, { ...s, warmup: 0, kind: 'cosine' })).toBe(1);
  });

  it('never spends the whole run warming up', () => {
    expect(warmupSteps({ total: 1, warmup: 0.9 })).toBe(0);
    expect(warmupSteps({ total: 4, warmup: 0.9 })).toBe(3);
    expect(warmupSteps({ total: 100, warmup: 0.05 })).toBe(5);
  });
});
