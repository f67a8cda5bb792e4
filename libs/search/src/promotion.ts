/**
 * Which multi-fidelity screens are trained fully: the one rule of `runSearch` and `bench search`.
 *
 * Until `minScreened` screens are in, only a screen better than every earlier one is promoted
 * (the first always is): a full evaluation costs as much as many screens, and ranks among a few
 * screens say little. From then on a screen is promoted when its reward ranks in the top
 * `promote` fraction of the screens so far (itself included). Measured on nb201-cifar10
 * (tools/bench/search.md, "Screening rules"): promoting every one of the first screens spent most of
 * the cost on configurations the screens already ranked low.
 */
export interface PromotionRule {
  /** Screens whose reward ranks in this top fraction are trained fully. */
  promote: number;
  /** Until this many were screened, only a new best screen is promoted. */
  minScreened: number;
}

/** The defaults of a search's `multiFidelity` and of `bench search --screen`. */
export const PROMOTION_DEFAULTS: PromotionRule = { promote: 0.3, minScreened: 20 };

export class Promotion {
  /** Screening rewards so far, ascending (a rank is a binary search, however many screens). */
  private readonly sorted: number[] = [];

  constructor(private readonly rule: PromotionRule) {}

  /** Adds a successful screen's reward; whether that screen is promoted. */
  screen(reward: number): boolean {
    let lo = 0;
    let hi = this.sorted.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.sorted[mid] <= reward) lo = mid + 1;
      else hi = mid;
    }
    this.sorted.splice(lo, 0, reward);
    const n = this.sorted.length;
    const better = n - lo - 1; // screens with a strictly higher reward (ties rank together)
    if (n <= this.rule.minScreened) return better === 0;
    return better < Math.ceil(this.rule.promote * n);
  }
}
