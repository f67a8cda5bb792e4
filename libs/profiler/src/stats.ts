/** Summary statistics of timed runs. */

/** Percentile with linear interpolation between order statistics (numpy's default). */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const pos = (sorted.length - 1) * (p / 100);
  const lo = Math.floor(pos);
  const hi = Math.min(lo + 1, sorted.length - 1);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

export function mean(xs: readonly number[]): number {
  return xs.reduce((a, b) => a + b, 0) / xs.length;
}

/** Sample standard deviation (n - 1). */
export function std(xs: readonly number[]): number {
  if (xs.length < 2) return 0;
  const m = mean(xs);
  return Math.sqrt(xs.reduce((a, x) => a + (x - m) ** 2, 0) / (xs.length - 1));
}

/**
 * Distribution-free 95% confidence interval of the median from order statistics
 * (normal approximation of the binomial ranks, Conover 1999): latencies are skewed,
 * so a mean +- t*s interval would be wrong. Returns 1-based ranks clamped to [1, n].
 */
export function medianCIRanks(n: number): { lo: number; hi: number; exact: boolean } {
  const half = 1.959964 * Math.sqrt(n) / 2;
  const lo = Math.floor(n / 2 - half);
  const hi = Math.ceil(1 + n / 2 + half);
  return { lo: Math.max(lo, 1), hi: Math.min(hi, n), exact: lo >= 1 && hi <= n };
}

/** Half-width of the 95% CI of the median over the median; Infinity while n is too small to bound it. */
export function relativeMedianCI(sorted: readonly number[]): number {
  const n = sorted.length;
  const { lo, hi, exact } = medianCIRanks(n);
  const med = percentile(sorted, 50);
  if (!exact || !(med > 0)) return Infinity;
  return (sorted[hi - 1] - sorted[lo - 1]) / 2 / med;
}

export function summarize(times: readonly number[]) {
  const sorted = [...times].sort((a, b) => a - b);
  return {
    p50Ms: percentile(sorted, 50),
    p90Ms: percentile(sorted, 90),
    meanMs: mean(times),
    stdMs: std(times),
    runs: times.length,
    relCI: relativeMedianCI(sorted),
  };
}
