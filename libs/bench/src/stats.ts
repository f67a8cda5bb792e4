/** Summary statistics of the benchmark (mirrored in tools/bench/tpe_table.py; a spec checks they agree). */

/**
 * P(|T| <= t) for Student's t with integer `df` degrees of freedom: the finite series of
 * Abramowitz & Stegun 26.7.3-4, with theta = atan(t / sqrt(df)).
 */
export function tTwoSidedCdf(t: number, df: number): number {
  const theta = Math.atan(t / Math.sqrt(df));
  const c2 = Math.cos(theta) ** 2;
  const s = Math.sin(theta);
  if (df % 2 === 1) {
    let term = 1;
    let sum = df > 1 ? 1 : 0;
    for (let k = 3; k <= df - 2; k += 2) {
      term *= ((k - 1) / k) * c2;
      sum += term;
    }
    return (2 / Math.PI) * (theta + s * Math.cos(theta) * sum);
  }
  let term = 1;
  let sum = 1;
  for (let k = 2; k <= df - 2; k += 2) {
    term *= ((k - 1) / k) * c2;
    sum += term;
  }
  return s * sum;
}

/** The two-sided 95% quantile of Student's t (bisection on the exact CDF). */
export function t975(df: number): number {
  let lo = 0;
  let hi = 1000;
  for (let i = 0; i < 100; i++) {
    const mid = (lo + hi) / 2;
    if (tTwoSidedCdf(mid, df) < 0.95) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

export interface MeanCi {
  mean: number;
  /** Student-t 95% confidence interval of the mean; null with fewer than two samples. */
  ci95: [number, number] | null;
}

export function meanCi(xs: readonly number[]): MeanCi {
  const n = xs.length;
  const mean = xs.reduce((a, b) => a + b, 0) / n;
  if (n < 2) return { mean, ci95: null };
  const variance = xs.reduce((a, x) => a + (x - mean) ** 2, 0) / (n - 1);
  const half = t975(n - 1) * Math.sqrt(variance / n);
  return { mean, ci95: [mean - half, mean + half] };
}

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** The p-quantile, linear between order statistics (numpy's default). */
export function quantile(xs: readonly number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  const h = (s.length - 1) * p;
  const lo = Math.floor(h);
  return lo + 1 < s.length ? s[lo] + (h - lo) * (s[lo + 1] - s[lo]) : s[lo];
}

/**
 * Distribution-free 95% confidence interval of the median: the order statistics
 * n/2 -+ 1.96 sqrt(n) / 2 (normal approximation to the binomial), 1-based, clipped to the sample.
 */
export function medianCi95(xs: readonly number[]): [number, number] {
  const s = [...xs].sort((a, b) => a - b);
  const n = s.length;
  const half = 0.98 * Math.sqrt(n);
  const j = Math.min(n, Math.max(1, Math.floor(n / 2 - half)));
  const k = Math.min(n, Math.max(1, Math.ceil(n / 2 + half)));
  return [s[j - 1], s[k - 1]];
}
