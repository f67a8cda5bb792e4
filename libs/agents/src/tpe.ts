/**
 * TPE, the Tree-structured Parzen Estimator (Bergstra et al. 2011), univariate, as Optuna 3.1's
 * TPESampler does it (optuna/samplers/_tpe/sampler.py and parzen_estimator.py), with its defaults:
 *
 * - The first `startupTrials` proposals are uniform random.
 * - Then the observations so far are split: the `min(ceil(gamma * n), gammaMax)` best (highest
 *   reward, earlier first on ties) are "below", the others "above", each kept in the order observed.
 * - Per slot, one Parzen estimator over the below values, l(x), and one over the above, g(x):
 *   a mixture with one kernel per observation plus a prior kernel (`priorWeight`), weighted by
 *   `weights` ('optuna': 1 each up to 25 observations, beyond that the oldest ramp down to 1/n).
 *   A categorical slot's kernel puts 1 + priorWeight / (n + 1) on the observed choice and
 *   priorWeight / (n + 1) on every choice, normalised; the prior kernel is uniform. An ordered
 *   slot's kernel is a normal at the observed index truncated to [-0.5, k - 0.5], integrated
 *   over each index's bin (Optuna's suggest_int over the index): its sigma is the larger gap to
 *   the neighbouring observations (sorted, the prior mean (k - 1) / 2 among them, the bounds at
 *   the ends; `considerEndpoints` false takes the inner gap at the ends), clipped to
 *   [range / min(100, n + 2), range] (`considerMagicClip`), the prior's sigma is the range.
 * - `candidates` values drawn from l; the one with the largest l(x) / g(x) is proposed.
 *
 * Slots are categorical or ordered by `ordered`: 'auto' orders slots whose choices are numbers
 * in increasing or decreasing order, 'never' treats every slot as categorical (Optuna's
 * suggest_categorical), 'always' orders every slot by its choice index. Drawing a value from
 * l's marginal is what Optuna's draw (a kernel, then a value from it, rounded to its bin) amounts
 * to, so only the random numbers differ. Like Optuna without constant_liar, pending proposals are
 * ignored: asynchronous results simply join the history when they arrive, in any order.
 */
import { BaseAgent } from './base';
import { boolean, numberIn, oneOf, resolveOptions, type OptionSpec } from './options';
import type { Rng } from './rng';
import { checkObservations, randomConfig } from './space';
import type { CommonOptions, Config, Observation, SearchSpace } from './types';

export type TpeOrdering = 'auto' | 'never' | 'always';

export interface TpeOptions {
  startupTrials: number;
  candidates: number;
  gamma: number;
  gammaMax: number;
  priorWeight: number;
  considerPrior: boolean;
  considerMagicClip: boolean;
  considerEndpoints: boolean;
  weights: 'optuna' | 'uniform';
  ordered: TpeOrdering;
}

/** Optuna 3.1's TPESampler defaults; `ordered` 'auto' is ours (Optuna has no choice lists). */
export const tpeDefaults: TpeOptions = {
  startupTrials: 10,
  candidates: 24,
  gamma: 0.1,
  gammaMax: 25,
  priorWeight: 1,
  considerPrior: true,
  considerMagicClip: true,
  considerEndpoints: false,
  weights: 'optuna',
  ordered: 'auto',
};

export const tpeOptionSpecs: Record<keyof TpeOptions, OptionSpec> = {
  startupTrials: { doc: 'uniform random proposals before the model (n_startup_trials)', default: tpeDefaults.startupTrials, check: numberIn(0, 1e6, { integer: true }) },
  candidates: { doc: 'values drawn from l(x) per slot, the best l/g proposed (n_ei_candidates)', default: tpeDefaults.candidates, check: numberIn(1, 1e6, { integer: true }) },
  gamma: { doc: "fraction of the observations in l(x), the 'below' set", default: tpeDefaults.gamma, check: numberIn(0, 1, { loOpen: true }) },
  gammaMax: { doc: 'at most this many observations in l(x)', default: tpeDefaults.gammaMax, check: numberIn(1, 1e6, { integer: true }) },
  priorWeight: { doc: 'weight of the prior kernel', default: tpeDefaults.priorWeight, check: numberIn(0, 1e6, { loOpen: true }) },
  considerPrior: { doc: 'add the prior kernel to each estimator', default: tpeDefaults.considerPrior, check: boolean },
  considerMagicClip: { doc: 'lower bound on ordered kernels\' widths: range / min(100, kernels + 1)', default: tpeDefaults.considerMagicClip, check: boolean },
  considerEndpoints: { doc: 'let the bounds widen the kernels at the ends of ordered slots', default: tpeDefaults.considerEndpoints, check: boolean },
  weights: { doc: "kernel weights: 'optuna' (older observations ramp down beyond 25) or 'uniform'", default: tpeDefaults.weights, check: oneOf(['optuna', 'uniform'] as const) },
  ordered: { doc: "ordered slots: 'auto' (monotonic numeric choices), 'never' (all categorical), 'always' (by choice index)", default: tpeDefaults.ordered, check: oneOf(['auto', 'never', 'always'] as const) },
};

/** How one slot is modelled, and its l(x) and g(x) over the choices (each sums to 1). */
export interface TpeSlotModel {
  kind: 'categorical' | 'ordered';
  below: number[];
  above: number[];
}

/** Whether each slot is ordered, from its choices and the `ordered` option. */
export function orderedSlots(space: SearchSpace, ordered: TpeOrdering): boolean[] {
  return space.slots.map(({ choices }) => {
    if (ordered !== 'auto') return ordered === 'always';
    if (choices.length < 2 || !choices.every((c) => typeof c === 'number' && Number.isFinite(c))) return false;
    const x = choices as number[];
    const rising = x.every((v, i) => i === 0 || v > x[i - 1]);
    const falling = x.every((v, i) => i === 0 || v < x[i - 1]);
    return rising || falling;
  });
}

/**
 * The estimators a proposal after `history` uses (history in the order observed), per slot;
 * undefined while fewer than `startupTrials` observations are in.
 */
export function tpeModel(space: SearchSpace, history: readonly Observation[], o: TpeOptions): TpeSlotModel[] | undefined {
  if (history.length < o.startupTrials) return undefined;
  const split = tpeSplit(history, o);
  const ordered = orderedSlots(space, o.ordered);
  return space.slots.map((slot, s) => {
    const k = slot.choices.length;
    const [below, above] = [split.below, split.above].map((idx) => idx.map((i) => history[i].config[s]));
    const density = ordered[s] ? orderedDensity : categoricalDensity;
    return { kind: ordered[s] ? 'ordered' : 'categorical', below: density(below, k, o), above: density(above, k, o) };
  });
}

/** Indexes of the 'below' (best) and 'above' observations, each in the order observed. */
export function tpeSplit(history: readonly Observation[], o: Pick<TpeOptions, 'gamma' | 'gammaMax'>): { below: number[]; above: number[] } {
  const n = history.length;
  const nBelow = Math.min(Math.ceil(o.gamma * n), o.gammaMax);
  // Highest reward first; a stable sort keeps earlier observations first on ties (Optuna: stable argsort of -value).
  const ranked = history.map((_, i) => i).sort((a, b) => history[b].reward - history[a].reward);
  const below = ranked.slice(0, nBelow).sort((a, b) => a - b);
  const above = ranked.slice(nBelow).sort((a, b) => a - b);
  return { below, above };
}

/** Mixture weights of the observations' kernels, then the prior's (Optuna's _calculate_weights). */
function kernelWeights(n: number, o: TpeOptions): { weights: number[]; prior: boolean } {
  const prior = o.considerPrior || n === 0;
  const w = o.weights === 'uniform' || n < 25 ? new Array<number>(n).fill(1) : rampWeights(n);
  if (prior) w.push(o.priorWeight);
  const sum = w.reduce((a, b) => a + b, 0);
  return { weights: w.map((x) => x / sum), prior };
}

/** Optuna's default_weights for n >= 25: linspace(1/n, 1, n - 25) for the oldest, then 25 ones. */
function rampWeights(n: number): number[] {
  const m = n - 25;
  const ramp = Array.from({ length: m }, (_, i) => (m === 1 ? 1 / n : 1 / n + ((1 - 1 / n) * i) / (m - 1)));
  return [...ramp, ...new Array<number>(25).fill(1)];
}

function categoricalDensity(values: readonly number[], k: number, o: TpeOptions): number[] {
  const n = values.length;
  const { weights, prior } = kernelWeights(n, o);
  // Every observation's kernel: base on each choice plus 1 on its own, over the same row sum.
  const base = o.priorWeight / (prior ? n + 1 : n);
  const rowSum = base * k + 1;
  let observed = 0;
  const p = new Array<number>(k).fill(0);
  values.forEach((v, j) => {
    observed += weights[j];
    p[v] += weights[j] / rowSum;
  });
  const everywhere = (observed * base) / rowSum + (prior ? weights[n] / k : 0);
  return p.map((x) => x + everywhere);
}

function orderedDensity(values: readonly number[], k: number, o: TpeOptions): number[] {
  const n = values.length;
  const { weights, prior } = kernelWeights(n, o);
  const [low, high] = [-0.5, k - 0.5];
  const range = high - low;
  const mus = prior ? [...values, (low + high) / 2] : [...values];
  const m = mus.length;
  // Kernel widths (Optuna's univariate _calculate_numerical_params). Sorted stably: among equal
  // means the prior comes last, so an observation equal to the prior mean never takes the width
  // the prior's slot in the order would get (numpy's unstable argsort decides that at random).
  const order = mus.map((_, i) => i).sort((a, b) => mus[a] - mus[b]);
  const ext = [low, ...order.map((i) => mus[i]), high];
  const sorted = order.map((_, r) => Math.max(ext[r + 1] - ext[r], ext[r + 2] - ext[r + 1]));
  if (!o.considerEndpoints && ext.length >= 4) {
    sorted[0] = ext[2] - ext[1];
    sorted[m - 1] = ext[m] - ext[m - 1];
  }
  const minSigma = o.considerMagicClip ? range / Math.min(100, 1 + m) : 1e-12;
  const sigmas = new Array<number>(m);
  order.forEach((i, r) => (sigmas[i] = Math.min(range, Math.max(minSigma, sorted[r]))));
  if (prior) sigmas[m - 1] = range;

  // Kernels with the same mean and width (tied observations) share one computation.
  const kernels = new Map<string, { mu: number; sigma: number; weight: number }>();
  for (let j = 0; j < m; j++) {
    const key = `${mus[j]} ${sigmas[j]}`;
    const kernel = kernels.get(key);
    if (kernel) kernel.weight += weights[j];
    else kernels.set(key, { mu: mus[j], sigma: sigmas[j], weight: weights[j] });
  }
  const p = new Array<number>(k).fill(0);
  const z = new Array<number>(k + 1);
  const tail = new Array<number>(k + 1);
  for (const { mu, sigma, weight } of kernels.values()) {
    // Per bin edge: the lower tail Phi(z) where z <= 0, the upper tail 1 - Phi(z) where z > 0 (accurate far out).
    for (let e = 0; e <= k; e++) {
      z[e] = (low + e - mu) / sigma;
      tail[e] = 0.5 * erfc(Math.abs(z[e]) / Math.SQRT2);
    }
    const total = gaussMass(z[0], z[k], tail[0], tail[k]);
    for (let v = 0; v < k; v++) p[v] += (weight * gaussMass(z[v], z[v + 1], tail[v], tail[v + 1])) / total;
  }
  return p;
}

/** Normal mass in [a, b] from the tails at a and b (Phi below 0, 1 - Phi above): Optuna's three cases. */
function gaussMass(a: number, b: number, tailA: number, tailB: number): number {
  if (b <= 0) return tailB - tailA;
  if (a > 0) return tailA - tailB;
  return 1 - tailA - tailB;
}

export class TpeAgent extends BaseAgent {
  private history: Observation[] = [];

  constructor(
    private readonly space: SearchSpace,
    shape: readonly number[],
    options: CommonOptions & Record<string, unknown>,
  ) {
    super('tpe', shape, options.seed, options.budget, resolveOptions('tpe', tpeOptionSpecs, options));
  }

  private get o(): TpeOptions {
    return this.options as unknown as TpeOptions;
  }

  protected proposeAt(_episode: number, rng: Rng): Config {
    const model = tpeModel(this.space, this.history, this.o);
    if (!model) return randomConfig(this.shape, rng);
    return model.map(({ below, above }) => {
      if (below.length === 1) return 0;
      let best = 0;
      let bestScore = -Infinity;
      for (let c = 0; c < this.o.candidates; c++) {
        const v = drawFrom(below, rng);
        const score = Math.log(below[v]) - Math.log(above[v]);
        if (score > bestScore) [best, bestScore] = [v, score];
      }
      return best;
    });
  }

  protected learn(config: Config, reward: number): void {
    this.history.push({ config, reward });
  }

  protected saveData(): Record<string, unknown> {
    return { history: this.history };
  }

  protected loadData(data: Record<string, unknown>): void {
    this.history = checkObservations(this.shape, data.history, 'agent state.data.history');
  }

  protected checkOptions(options: Record<string, unknown>): Record<string, unknown> {
    return resolveOptions('tpe', tpeOptionSpecs, options);
  }
}

/** A choice drawn from probabilities p (summing to 1 up to rounding; never one of probability 0). */
function drawFrom(p: readonly number[], rng: Rng): number {
  let u = rng.next();
  let last = 0;
  for (let v = 0; v < p.length; v++) {
    if (p[v] <= 0) continue;
    u -= p[v];
    if (u < 0) return v;
    last = v;
  }
  return last;
}

// erfc(x) for x >= 0: FreeBSD msun s_erf.c (the routine Optuna's _erf.py ports), with its notice:
// Copyright (C) 1993 by Sun Microsystems, Inc. All rights reserved. Developed at SunPro, a Sun
// Microsystems, Inc. business. Permission to use, copy, modify, and distribute this software is
// freely granted, provided that this notice is preserved.
const ERX = 8.45062911510467529297e-1;
const PP = [1.28379167095512558561e-1, -3.25042107247001499370e-1, -2.84817495755985104766e-2, -5.77027029648944159157e-3, -2.37630166566501626084e-5];
const QQ = [3.97917223959155352819e-1, 6.50222499887672944485e-2, 5.08130628187576562776e-3, 1.32494738004321644526e-4, -3.96022827877536812320e-6];
const PA = [-2.36211856075265944077e-3, 4.14856118683748331666e-1, -3.72207876035701323847e-1, 3.18346619901161753674e-1, -1.10894694282396677476e-1, 3.54783043256182359371e-2, -2.16637559486879084300e-3];
const QA = [1.06420880400844228286e-1, 5.40397917702171048937e-1, 7.18286544141962662868e-2, 1.26171219808761642112e-1, 1.36370839120290507362e-2, 1.19844998467991074170e-2];
const RA = [-9.86494403484714822705e-3, -6.93858572707181764372e-1, -1.05586262253232909814e1, -6.23753324503260060396e1, -1.62396669462573470355e2, -1.84605092906711035994e2, -8.12874355063065934246e1, -9.81432934416914548592];
const SA = [1.96512716674392571292e1, 1.37657754143519042600e2, 4.34565877475229228821e2, 6.45387271733267880336e2, 4.29008140027567833386e2, 1.08635005541779435134e2, 6.57024977031928170135, -6.04244152148580987438e-2];
const RB = [-9.86494292470009928597e-3, -7.99283237680523006574e-1, -1.77579549177547519889e1, -1.60636384855821916062e2, -6.37566443368389627722e2, -1.02509513161107724954e3, -4.83519191608651397019e2];
const SB = [3.03380607434824582924e1, 3.25792512996573918826e2, 1.53672958608443695994e3, 3.19985821950859553908e3, 2.55305040643316442583e3, 4.74528541206955367215e2, -2.24409524465858183362e1];

/** c[0] + x c[1] + x^2 c[2] + ...; with `one`, 1 + x (c[0] + x c[1] + ...). */
function poly(c: readonly number[], x: number, one = false): number {
  let r = 0;
  for (let i = c.length - 1; i >= 0; i--) r = r * x + c[i];
  return one ? 1 + x * r : r;
}

const float = new Float64Array(1);
const words = new Uint32Array(float.buffer);
const LOW = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1 ? 0 : 1; // the low word's index (little-endian: 0)

export function erfc(x: number): number {
  if (x < 0.84375) {
    if (x < 2 ** -56) return 1 - x;
    const z = x * x;
    const y = poly(PP, z) / poly(QQ, z, true);
    return x < 0.25 ? 1 - (x + x * y) : 0.5 - (x * y + (x - 0.5));
  }
  if (x < 1.25) {
    const s = x - 1;
    return 1 - ERX - poly(PA, s) / poly(QA, s, true);
  }
  if (x >= 28) return 0;
  const s = 1 / (x * x);
  const rs = x < 1 / 0.35 ? poly(RA, s) / poly(SA, s, true) : poly(RB, s) / poly(SB, s, true);
  // z: x with the low 32 bits of its mantissa cleared, so z * z is exact (fdlibm's SET_LOW_WORD).
  float[0] = x;
  words[LOW] = 0;
  const z = float[0];
  return (Math.exp(-z * z - 0.5625) * Math.exp((z - x) * (z + x) + rs)) / x;
}
