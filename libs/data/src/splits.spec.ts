import type { CacheMeta } from './cache';
import { rng, shuffle } from './rng';
import { assignSplits, quotas } from './splits';

function meta(parts: CacheMeta['parts'], n: number): CacheMeta {
  return { version: 1, key: 'k', task: 'classification', shape: [1, 1, 1], classes: ['a', 'b', 'c'], n, parts, imageBytes: 1, maskBytes: 0, statsBytes: 4, skipped: [], conversions: { greyToRgb: 0, colourToGrey: 0, alphaDropped: 0, resized: 0 } };
}

describe('rng', () => {
  it('repeats for the same (seed, purpose) and differs otherwise', () => {
    const a = Array.from({ length: 5 }, rng(3, 'x'));
    expect(Array.from({ length: 5 }, rng(3, 'x'))).toEqual(a);
    expect(Array.from({ length: 5 }, rng(4, 'x'))).not.toEqual(a);
    expect(Array.from({ length: 5 }, rng(3, 'y'))).not.toEqual(a);
    for (const v of a) expect(v >= 0 && v < 1).toBe(true);
  });

  it('shuffles to a permutation', () => {
    const s = shuffle(
      Array.from({ length: 100 }, (_, i) => i),
      rng(1, 'p'),
    );
    expect([...s].sort((a, b) => a - b)).toEqual(Array.from({ length: 100 }, (_, i) => i));
    expect(s).not.toEqual(Array.from({ length: 100 }, (_, i) => i));
  });
});

describe('quotas', () => {
  it('hits round(fraction * total) exactly, each group within one of its share', () => {
    for (const [sizes, f] of [
      [[10, 10, 10], 0.15],
      [[1, 1, 1, 1], 0.5],
      [[7, 3, 0, 1], 0.1],
      [[100, 1], 0.2],
    ] as [number[], number][]) {
      const q = quotas(sizes, f);
      expect(q.reduce((a, b) => a + b, 0)).toBe(Math.round(f * sizes.reduce((a, b) => a + b, 0)));
      q.forEach((v, i) => {
        expect(v).toBeLessThanOrEqual(sizes[i]);
        expect(Math.abs(v - sizes[i] * f)).toBeLessThan(1);
      });
    }
  });
});

describe('assignSplits', () => {
  // 30 train records: labels 0 x 20, 1 x 8, 2 x 2; then 5 test records.
  const labels = new Int32Array([...Array(20).fill(0), ...Array(8).fill(1), 2, 2, 0, 1, 2, 0, 1]);
  const m = meta({ train: { start: 0, count: 30 }, test: { start: 30, count: 5 } }, 35);

  it('carves val from train, stratified, disjoint, covering train, deterministic per seed', () => {
    const s = assignSplits(m, labels, { valFraction: 0.25, seed: 7, limit: {} });
    expect(s.val!.length).toBe(8); // round(0.25 * 30)
    expect(s.train!.length + s.val!.length).toBe(30);
    expect(new Set([...s.train!, ...s.val!]).size).toBe(30);
    expect(s.val!.filter((i) => labels[i] === 0).length).toBe(5);
    expect(s.val!.filter((i) => labels[i] === 1).length).toBe(2);
    expect(s.test).toEqual([30, 31, 32, 33, 34]);
    expect(s.train).toEqual([...s.train!].sort((a, b) => a - b));
    expect(assignSplits(m, labels, { valFraction: 0.25, seed: 7, limit: {} })).toEqual(s);
    expect(assignSplits(m, labels, { valFraction: 0.25, seed: 8, limit: {} }).val).not.toEqual(s.val);
  });

  it('limits to a seeded subset whose smaller sizes are prefixes, without moving val', () => {
    const full = assignSplits(m, labels, { valFraction: 0.25, seed: 1, limit: {} });
    const l5 = assignSplits(m, labels, { valFraction: 0.25, seed: 1, limit: { train: 5 } });
    const l10 = assignSplits(m, labels, { valFraction: 0.25, seed: 1, limit: { train: 10, test: 2 } });
    expect(l5.val).toEqual(full.val);
    expect(l5.train!.length).toBe(5);
    expect(l10.train!.length).toBe(10);
    expect(l10.test!.length).toBe(2);
    for (const i of l5.train!) expect(l10.train).toContain(i);
    for (const i of l10.train!) expect(full.train).toContain(i);
  });

  it('uses a val part as is, and valFraction 0 gives an empty val', () => {
    const withVal = meta({ train: { start: 0, count: 3 }, val: { start: 3, count: 2 } }, 5);
    expect(assignSplits(withVal, new Int32Array(5), { valFraction: 0.5, seed: 0, limit: {} })).toEqual({ train: [0, 1, 2], val: [3, 4] });
    expect(assignSplits(m, labels, { valFraction: 0, seed: 0, limit: {} }).val).toEqual([]);
  });
});
