import { formatNumber, linearScale, logScale, niceDomain, niceTicks, tickStep } from './scale';

// Expected ticks are d3-array's ticks(start, stop, count) for the same arguments.
test.each([
  [0, 1, 5, [0, 0.2, 0.4, 0.6, 0.8, 1]],
  [0, 10, 5, [0, 2, 4, 6, 8, 10]],
  [0.1, 0.95, 5, [0.2, 0.4, 0.6, 0.8]],
  [-0.33, 2.7, 5, [0, 0.5, 1, 1.5, 2, 2.5]],
  [0, 60, 5, [0, 10, 20, 30, 40, 50, 60]],
  [0.06, 0.2, 5, [0.06, 0.08, 0.1, 0.12, 0.14, 0.16, 0.18, 0.2]],
  [-1e6, 3e6, 4, [-1e6, 0, 1e6, 2e6, 3e6]],
])('niceTicks(%p, %p, %p) matches d3', (lo, hi, count, expected) => {
  expect(niceTicks(lo, hi, count)).toEqual(expected);
});

test('tick steps are 1, 2 or 5 times a power of ten', () => {
  expect(tickStep(0, 1, 5)).toBe(0.2);
  expect(tickStep(0, 7, 5)).toBe(1);
  expect(tickStep(0, 37, 5)).toBe(10);
  expect(tickStep(3, 3, 5)).toBe(1);
});

test('nice domains cover the data with whole steps; a single value gets a margin', () => {
  expect(niceDomain(0.07, 0.93)).toEqual([0, 1]);
  const [lo, hi] = niceDomain(5, 5);
  expect(lo).toBeLessThan(5);
  expect(hi).toBeGreaterThan(5);
});

test('linear and log scales map the domain onto the range', () => {
  const y = linearScale([0.1, 0.9], [300, 100]);
  expect(y.map(0)).toBe(300);
  expect(y.map(1)).toBe(100);
  expect(y.ticks[0]).toBe(0);
  const x = logScale([150, 8e6], [0, 700]);
  expect(x.ticks[0]).toBe(100);
  expect(x.ticks[x.ticks.length - 1]).toBe(1e7);
  expect(x.map(100)).toBe(0);
  expect(x.map(1e7)).toBe(700);
  expect(x.map(1e4)).toBeCloseTo(280, 9);
  expect(logScale([3, 40], [0, 1]).ticks).toEqual([1, 2, 5, 10, 20, 50, 100]);
});

test('labels are short', () => {
  expect(formatNumber(766242)).toBe('766K');
  expect(formatNumber(8164554)).toBe('8.16M');
  expect(formatNumber(0.94321)).toBe('0.943');
  expect(formatNumber(0)).toBe('0');
  expect(formatNumber(3.4e-10)).toBe('3.4e-10');
  expect(formatNumber(-2500)).toBe('-2.5K');
});
