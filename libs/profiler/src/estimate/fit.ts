import type { GraphCost } from './graph-cost';

/** Features of the linear latency model, in coefficient order. */
export const FEATURES = ['intercept', 'macs', 'groupedMacs', 'activationBytes', 'weightBytes', 'nodes'] as const;
export type Feature = (typeof FEATURES)[number];

export function featureVector(c: GraphCost): number[] {
  return [1, c.macs, c.groupedMacs, c.activationBytes, c.weightBytes, c.nodes];
}

/** Solves the square system A x = b by Gaussian elimination with partial pivoting; undefined if singular. */
function solve(A: number[][], b: number[]): number[] | undefined {
  const n = b.length;
  const M = A.map((row, i) => [...row, b[i]]);
  for (let col = 0; col < n; col++) {
    let piv = col;
    for (let r = col + 1; r < n; r++) if (Math.abs(M[r][col]) > Math.abs(M[piv][col])) piv = r;
    if (Math.abs(M[piv][col]) < 1e-12) return undefined;
    [M[col], M[piv]] = [M[piv], M[col]];
    for (let r = 0; r < n; r++) {
      if (r === col) continue;
      const f = M[r][col] / M[col][col];
      for (let c = col; c <= n; c++) M[r][c] -= f * M[col][c];
    }
  }
  return M.map((row, i) => row[n] / row[i]);
}

/**
 * Non-negative least squares on relative error: minimises sum(((x_i . c) - y_i) / y_i)^2 with
 * c >= 0 (a latency model with negative costs extrapolates badly). The NNLS optimum is the
 * unconstrained fit on some subset of the features, so with 6 features every subset is tried
 * (64 small solves) and the best non-negative one wins: exact, and no iteration to tune.
 */
export function fitNonNegative(X: readonly number[][], y: readonly number[]): number[] {
  const k = X[0]?.length ?? 0;
  // Rows divided by y (relative error); columns scaled to max 1 for a well-conditioned solve.
  const rows = X.map((x, i) => x.map((v) => v / y[i]));
  const scale = Array.from({ length: k }, (_, j) => Math.max(...rows.map((r) => Math.abs(r[j]))) || 1);
  const Z = rows.map((r) => r.map((v, j) => v / scale[j]));
  let best: { c: number[]; sse: number } | undefined;
  for (let mask = 1; mask < 1 << k; mask++) {
    const cols = [...Array(k).keys()].filter((j) => mask & (1 << j));
    const AtA = cols.map((a) => cols.map((b) => Z.reduce((s, r) => s + r[a] * r[b], 0)));
    const Atb = cols.map((a) => Z.reduce((s, r) => s + r[a], 0));
    const sol = solve(AtA, Atb);
    if (!sol || sol.some((v) => v < 0)) continue;
    const c = Array(k).fill(0);
    cols.forEach((j, i) => (c[j] = sol[i] / scale[j]));
    const sse = rows.reduce((s, r) => s + (r.reduce((a, v, j) => a + v * c[j], 0) - 1) ** 2, 0);
    if (!best || sse < best.sse) best = { c, sse };
  }
  if (!best) throw new Error('fitNonNegative: no feature subset could be fitted');
  return best.c;
}

export const predict = (c: readonly number[], x: readonly number[]) => x.reduce((s, v, j) => s + v * c[j], 0);

export function relativeErrors(c: readonly number[], X: readonly number[][], y: readonly number[]): { mean: number; max: number } {
  const e = X.map((x, i) => Math.abs(predict(c, x) - y[i]) / y[i]);
  return { mean: e.reduce((a, b) => a + b, 0) / (e.length || 1), max: Math.max(0, ...e) };
}
