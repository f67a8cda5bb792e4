import { timeLoop } from './harness';

/** A fake clock: run i (warm-up included) takes duration(i) ms. */
function fakeRuns(duration: (i: number) => number) {
  let now = 0;
  let i = 0;
  const spy = jest.spyOn(performance, 'now').mockImplementation(() => now);
  const run = () => {
    now += duration(i++);
  };
  return { run, calls: () => i, restore: () => spy.mockRestore() };
}

const base = { warmup: 2, minRuns: 10, maxRuns: 500, maxSeconds: 100, targetRelCI: 0.02 };

describe('timeLoop', () => {
  it('stops at minRuns when the median is already tight, after untimed warm-up', async () => {
    const f = fakeRuns((i) => (i < 2 ? 1000 : [5, 5.01, 4.99][i % 3]));
    const s = await timeLoop(f.run, base);
    f.restore();
    expect(s.runs).toBe(10);
    expect(f.calls()).toBe(12);
    expect(s.p50Ms).toBeCloseTo(5, 1);
    expect(s.relCI).toBeLessThanOrEqual(0.02);
  });

  it('keeps going while noisy and stops at maxRuns', async () => {
    const f = fakeRuns((i) => [1, 3, 2, 7, 1.5, 9][i % 6]);
    const s = await timeLoop(f.run, { ...base, maxRuns: 50 });
    f.restore();
    expect(s.runs).toBe(50);
    expect(s.relCI).toBeGreaterThan(0.02);
  });

  it('stops at maxSeconds even below minRuns, after 3 runs', async () => {
    const f = fakeRuns(() => 400);
    const s = await timeLoop(f.run, { ...base, warmup: 0, maxSeconds: 1 });
    f.restore();
    expect(s.runs).toBe(3);
    expect(s.relCI).toBe(Infinity);
  });
});
