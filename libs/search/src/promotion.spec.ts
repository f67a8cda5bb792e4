import { Promotion } from './promotion';

test('until minScreened screens only a new best is promoted; then the top `promote` fraction', () => {
  const p = new Promotion({ promote: 0.3, minScreened: 4 });
  // Warm-up: 0.5 (first: best), 0.4 (no), 0.6 (new best), 0.6 (ties the best: promoted).
  expect([0.5, 0.4, 0.6, 0.6].map((r) => p.screen(r))).toEqual([true, false, true, true]);
  // Fifth screen: ceil(0.3 * 5) = 2, so promoted when at most one screen is better.
  const q = () => {
    const x = new Promotion({ promote: 0.3, minScreened: 4 });
    for (const r of [0.5, 0.4, 0.6, 0.7]) x.screen(r);
    return x;
  };
  expect(q().screen(0.65)).toBe(true); // one better (0.7)
  expect(q().screen(0.55)).toBe(false); // two better
  // Tenth screen: fewer than ceil(0.3 * 10) = 3 better; eleventh: fewer than ceil(3.3) = 4.
  const r = new Promotion({ promote: 0.3, minScreened: 4 });
  for (const x of [1, 2, 3, 4, 5, 6, 7, 8, 9]) r.screen(x / 10);
  expect(r.screen(0.75)).toBe(true); // 0.8, 0.9 better
  expect(r.screen(0.65)).toBe(false); // 0.7, 0.75, 0.8, 0.9 better
});

test('minScreened 0 ranks from the first screen; promote 1 promotes every screen', () => {
  const first = new Promotion({ promote: 0.5, minScreened: 0 });
  expect([0.9, 0.1, 0.8, 0.2].map((x) => first.screen(x))).toEqual([true, false, true, false]);
  const all = new Promotion({ promote: 1, minScreened: 0 });
  expect([0.9, 0.1, 0.8, 0.2].map((x) => all.screen(x))).toEqual([true, true, true, true]);
});
