import { execFileSync } from 'node:child_process';
import { fitNonNegative, predict, relativeErrors } from './fit';

describe('fitNonNegative', () => {
  it('recovers exact non-negative coefficients', () => {
    const truth = [0.05, 2e-8, 0, 1e-9, 0, 0.002];
    const X = Array.from({ length: 12 }, (_, i) => [1, 1e6 * (i + 1) ** 1.3, 0, 5e5 * ((i * 7) % 5 + 1), 1e4 * i, 3 + ((i * 5) % 7)]);
    const y = X.map((x) => predict(truth, x));
    const c = fitNonNegative(X, y);
    c.forEach((v, j) => expect(v).toBeCloseTo(truth[j], 12));
    expect(relativeErrors(c, X, y).max).toBeLessThan(1e-9);
  });

  it('matches numpy lstsq over every column subset on noisy data, and clamps a negative slope to 0', () => {
    // y falls with the second feature in the data, but a cost cannot be negative.
    const X = [[1, 1, 5], [1, 2, 4], [1, 3, 9], [1, 4, 1], [1, 5, 6], [1, 6, 2]];
    const y = [3.1, 2.9, 4.6, 1.2, 3.3, 1.4];
    const c = fitNonNegative(X, y);
    expect(Math.min(...c)).toBeGreaterThanOrEqual(0);
    // Independent check: numpy lstsq on every column subset of the relative-error system.
    const py = `
import itertools, json, sys
import numpy as np
X = np.array(json.loads(sys.argv[1]), float); y = np.array(json.loads(sys.argv[2]), float)
A = X / y[:, None]; b = np.ones(len(y)); best = None
for k in range(1, A.shape[1] + 1):
    for cols in itertools.combinations(range(A.shape[1]), k):
        sol = np.linalg.lstsq(A[:, cols], b, rcond=None)[0]
        if (sol < 0).any(): continue
        c = np.zeros(A.shape[1]); c[list(cols)] = sol
        sse = float(((A @ c - b) ** 2).sum())
        if best is None or sse < best[0]: best = (sse, c.tolist())
print(json.dumps(best[1]))`;
    const ref = JSON.parse(execFileSync('/usr/bin/python3', ['-c', py, JSON.stringify(X), JSON.stringify(y)], { encoding: 'utf8' })) as number[];
    c.forEach((v, j) => expect(v).toBeCloseTo(ref[j], 9));
    expect(c[1]).toBe(0);
  });
});
