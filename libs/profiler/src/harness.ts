import { summarize } from './stats';
import type { ResolvedMeasureOptions, TimingStats } from './types';

type Loop = Pick<ResolvedMeasureOptions, 'warmup' | 'minRuns' | 'maxRuns' | 'maxSeconds' | 'targetRelCI'>;

/**
 * Times `runOnce` until the 95% CI of the median is within `targetRelCI`, or `maxRuns`,
 * or `maxSeconds` (after at least 3 runs). Warm-up runs are not timed. The CI is checked
 * at geometrically spaced run counts so the loop itself stays a timer and a push.
 */
export async function timeLoop(runOnce: () => Promise<unknown> | unknown, opts: Loop): Promise<TimingStats> {
  for (let i = 0; i < opts.warmup; i++) await runOnce();
  const times: number[] = [];
  const deadline = performance.now() + opts.maxSeconds * 1000;
  let nextCheck = opts.minRuns;
  for (;;) {
    const t0 = performance.now();
    await runOnce();
    const t1 = performance.now();
    times.push(t1 - t0);
    const n = times.length;
    if (n >= opts.maxRuns) break;
    if (t1 >= deadline && n >= Math.min(3, opts.minRuns)) break;
    if (n >= nextCheck) {
      nextCheck = Math.max(n + 1, Math.ceil(n * 1.2));
      if (summarize(times).relCI <= opts.targetRelCI) break;
    }
  }
  return summarize(times);
}
