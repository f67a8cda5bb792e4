import { execFileSync } from 'node:child_process';
import { featureNames, featureVector, fitNonNegative, predict, relativeErrors } from './fit';
import type { GraphCost } from './graph-cost';

/** Reference: numpy lstsq on every column subset of the relative-error system, best non-negative one. */
function numpyNnls(X: number[][], y: number[]): number[] {
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
        if best is None or sse < best[0] - 1e-12: best = (sse, c.tolist())
print(json.dumps(best[1]))`;
  return JSON.parse(execFileSync('/usr/bin/python3', ['-c', py, JSON.stringify(X), JSON.stringify(y)], { encoding: 'utf8' })) as number[];
}

describe('fitNonNegative (Lawson-Hanson)', () => {
  it('recovers exact non-negative coefficients', () => {
    const truth = [0.05, 2e-8, 0, 1e-9, 0, 0.002];
    const X = Array.from({ length: 12 }, (_, i) => [1, 1e6 * (i + 1) ** 1.3, 0, 5e5 * (((i * 7) % 5) + 1), 1e4 * i, 3 + ((i * 5) % 7)]);
    const y = X.map((x) => predict(truth, x));
    const c = fitNonNegative(X, y);
    c.forEach((v, j) => expect(v).toBeCloseTo(truth[j], 12));
    expect(relativeErrors(c, X, y).max).toBeLessThan(1e-9);
  });

  it('equals the best non-negative subset fit of numpy on noisy data, clamping a negative slope to 0', () => {
    // y falls with the second feature in the data, but a cost cannot be negative.
    const X = [[1, 1, 5, 2], [1, 2, 4, 0], [1, 3, 9, 1], [1, 4, 1, 3], [1, 5, 6, 0], [1, 6, 2, 2], [1, 7, 3, 1]];
    const y = [3.1, 2.9, 4.6, 1.9, 3.3, 1.4, 1.6];
    const c = fitNonNegative(X, y);
    const ref = numpyNnls(X, y);
    c.forEach((v, j) => expect(v).toBeCloseTo(ref[j], 8));
    expect(c[1]).toBe(0);
  });

  it('ignores a column collinear with others and a column of zeros', () => {
    const X = Array.from({ length: 8 }, (_, i) => [1, i + 1, 2 * (i + 1), 0]);
    const y = X.map((x) => 0.5 + 0.25 * x[1]);
    const c = fitNonNegative(X, y);
    expect(predict(c, [1, 10, 20, 0])).toBeCloseTo(3, 9);
    expect(c[3]).toBe(0);
  });

  it('names a count feature per op type seen', () => {
    const cost = (ops: Record<string, number>): GraphCost => ({ macs: 10, groupedMacs: 0, activationBytes: 4, weightBytes: 8, peakActivationBytes: 4, outputBytes: 4, inputs: [], nodes: 3, opCounts: ops, unknownOps: [] });
    const names = featureNames([cost({ Conv: 2, Relu: 1 }), cost({ Concat: 1 })]);
    expect(names.slice(6)).toEqual(['count:Concat', 'count:Conv', 'count:Relu']);
    expect(featureVector(cost({ Conv: 2, Relu: 1 }), names)).toEqual([1, 10, 0, 4, 8, 3, 0, 2, 1]);
  });
});
