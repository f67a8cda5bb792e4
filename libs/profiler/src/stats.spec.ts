import { execFileSync } from 'node:child_process';
import { medianCIRanks, percentile, relativeMedianCI, summarize } from './stats';

describe('stats', () => {
  it('matches numpy percentile, mean and std (ddof=1)', () => {
    const xs = [3.1, 0.5, 9.9, 2.2, 2.2, 7.5, 1.0, 4.4, 8.8, 0.1, 5.0];
    const py = 'import json,sys,numpy as np; x=np.array(json.loads(sys.argv[1])); print(json.dumps([np.percentile(x,50),np.percentile(x,90),x.mean(),x.std(ddof=1)]))';
    const ref = JSON.parse(execFileSync('/usr/bin/python3', ['-c', py, JSON.stringify(xs)], { encoding: 'utf8' })) as number[];
    const s = summarize(xs);
    expect(s.p50Ms).toBeCloseTo(ref[0], 12);
    expect(s.p90Ms).toBeCloseTo(ref[1], 12);
    expect(s.meanMs).toBeCloseTo(ref[2], 12);
    expect(s.stdMs).toBeCloseTo(ref[3], 12);
    expect(percentile([5], 90)).toBe(5);
  });

  it('gives median CI ranks with at least 95% binomial coverage', () => {
    // Coverage of [x_lo, x_hi] for the median is P(lo <= B < hi), B ~ Binomial(n, 1/2).
    for (const n of [10, 25, 100, 1000]) {
      const { lo, hi, exact } = medianCIRanks(n);
      expect(exact).toBe(true);
      let logC = 0; // log C(n, k)
      let cover = 0;
      for (let k = 0; k <= n; k++) {
        if (k > 0) logC += Math.log(n - k + 1) - Math.log(k);
        if (k >= lo && k < hi) cover += Math.exp(logC - n * Math.LN2);
      }
      expect(cover).toBeGreaterThanOrEqual(0.95);
      if (n >= 1000) expect(cover).toBeLessThan(0.96); // not needlessly wide once n is large
    }
    expect(medianCIRanks(4).exact).toBe(false);
  });

  it('is Infinity while too few runs bound the median, and 0 for identical runs', () => {
    expect(relativeMedianCI([1, 2, 3])).toBe(Infinity);
    expect(relativeMedianCI(Array(20).fill(2))).toBe(0);
  });
});
