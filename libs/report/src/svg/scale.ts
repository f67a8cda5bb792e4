/** Axis scales and tick placement for the hand-written SVG charts (d3-scale's rules, reduced). */

export interface Scale {
  readonly log: boolean;
  /** Data value -> pixel. */
  map(v: number): number;
  ticks: number[];
  format(v: number): string;
}

/** Round step (1, 2 or 5 times a power of ten) giving about `count` ticks over [lo, hi]; d3-array's thresholds. */
export function tickStep(lo: number, hi: number, count: number): number {
  const raw = Math.abs(hi - lo) / Math.max(1, count);
  if (!Number.isFinite(raw) || raw === 0) return 1;
  const power = 10 ** Math.floor(Math.log10(raw));
  const err = raw / power;
  return power * (err >= Math.sqrt(50) ? 10 : err >= Math.sqrt(10) ? 5 : err >= Math.SQRT2 ? 2 : 1);
}

/** Multiples of the step inside [lo, hi], without float noise (0.30000000000000004). */
export function niceTicks(lo: number, hi: number, count = 5): number[] {
  const step = tickStep(lo, hi, count);
  const digits = Math.max(0, -Math.floor(Math.log10(step)) + 1);
  const out: number[] = [];
  for (let k = Math.ceil(lo / step - 1e-9); k * step <= hi + step * 1e-9; k++) out.push(Number((k * step).toFixed(digits)));
  return out;
}

/** Domain widened to whole steps, so the outermost ticks sit on the frame; a single value gets a margin. */
export function niceDomain(lo: number, hi: number, count = 5): [number, number] {
  if (lo === hi) {
    const pad = lo === 0 ? 1 : Math.abs(lo) * 0.1;
    return niceDomain(lo - pad, hi + pad, count);
  }
  const step = tickStep(lo, hi, count);
  return [Math.floor(lo / step) * step, Math.ceil(hi / step) * step];
}

const compact = new Intl.NumberFormat('en-US', { notation: 'compact', maximumSignificantDigits: 3 });

/** Short number for labels: 766k, 1.2M, 0.943, 3e-5. */
export function formatNumber(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  const a = Math.abs(v);
  if (a === 0) return '0';
  if (a >= 1000) return compact.format(v);
  if (a < 1e-3) return v.toExponential(1);
  return String(Number(v.toPrecision(3)));
}

export function linearScale(values: number[], range: [number, number], opts: { zero?: boolean; count?: number } = {}): Scale {
  const finite = values.filter(Number.isFinite);
  let lo = finite.length ? Math.min(...finite) : 0;
  let hi = finite.length ? Math.max(...finite) : 1;
  if (opts.zero) {
    lo = Math.min(lo, 0);
    hi = Math.max(hi, 0);
  }
  const [d0, d1] = niceDomain(lo, hi, opts.count);
  const ticks = niceTicks(d0, d1, opts.count);
  return {
    log: false,
    map: (v) => range[0] + ((v - d0) / (d1 - d0)) * (range[1] - range[0]),
    ticks,
    format: formatNumber,
  };
}

/** Log10 scale over whole decades; ticks at powers of ten (and 2, 5 when few decades). Needs positive values. */
export function logScale(values: number[], range: [number, number]): Scale {
  const pos = values.filter((v) => Number.isFinite(v) && v > 0);
  let e0 = pos.length ? Math.floor(Math.log10(Math.min(...pos))) : 0;
  let e1 = pos.length ? Math.ceil(Math.log10(Math.max(...pos))) : 1;
  if (e1 === e0) e1++;
  if (e1 - e0 > 12) e0 = e1 - 12;
  const ticks: number[] = [];
  for (let e = e0; e <= e1; e++) {
    ticks.push(10 ** e);
    if (e1 - e0 <= 2 && e < e1) ticks.push(2 * 10 ** e, 5 * 10 ** e);
  }
  ticks.sort((a, b) => a - b);
  return {
    log: true,
    map: (v) => range[0] + ((Math.log10(Math.max(v, 10 ** e0)) - e0) / (e1 - e0)) * (range[1] - range[0]),
    ticks,
    format: formatNumber,
  };
}

/** Band scale: n equal cells over the range (heatmap rows and columns, bars). */
export function band(n: number, range: [number, number]): { at(i: number): number; size: number } {
  const size = (range[1] - range[0]) / Math.max(1, n);
  return { at: (i) => range[0] + i * size, size };
}
