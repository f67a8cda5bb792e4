/**
 * Which cached records belong to which split. Decided at load time from (seed, valFraction,
 * limit), never baked into the cache, so changing them does not decode again.
 */
import type { CacheMeta } from './cache';
import { PRESENCE_BYTES } from './cache';
import { rng, shuffle } from './rng';
import type { SplitName } from './types';

export interface SplitOptions {
  valFraction: number;
  seed: number;
  limit: Partial<Record<SplitName, number>>;
}

function range(start: number, count: number): number[] {
  return Array.from({ length: count }, (_, i) => start + i);
}

/** Classification label of each record (undefined for segmentation). */
export function labelsOf(meta: CacheMeta, stats: Buffer): Int32Array | undefined {
  if (meta.task !== 'classification') return undefined;
  const out = new Int32Array(meta.n);
  for (let i = 0; i < meta.n; i++) out[i] = stats.readInt32LE(i * 4);
  return out;
}

/**
 * Per-group quotas that sum to round(fraction * total): floor of each share, then the
 * leftover to the largest fractional parts (ties to the lower group), as in Hamilton's method.
 */
export function quotas(sizes: number[], fraction: number): number[] {
  const total = sizes.reduce((a, b) => a + b, 0);
  const target = Math.round(fraction * total);
  const exact = sizes.map((s) => s * fraction);
  const q = exact.map(Math.floor);
  let left = target - q.reduce((a, b) => a + b, 0);
  const order = exact.map((e, i) => ({ i, r: e - Math.floor(e) })).sort((a, b) => b.r - a.r || a.i - b.i);
  for (const { i } of order) {
    if (left <= 0) break;
    if (q[i] < sizes[i]) {
      q[i]++;
      left--;
    }
  }
  return q;
}

/** Record indices (ascending) of each split. */
export function assignSplits(meta: CacheMeta, labels: Int32Array | undefined, o: SplitOptions): Partial<Record<SplitName, number[]>> {
  const out: Partial<Record<SplitName, number[]>> = {};
  const train = meta.parts.train ? range(meta.parts.train.start, meta.parts.train.count) : [];
  if (meta.parts.val) {
    out.train = train;
    out.val = range(meta.parts.val.start, meta.parts.val.count);
  } else {
    // Carve val out of train, stratified by class so small classes stay represented in both.
    const groups = new Map<number, number[]>();
    for (const i of train) {
      const g = labels ? labels[i] : 0;
      let group = groups.get(g);
      if (!group) groups.set(g, (group = []));
      group.push(i);
    }
    const members = [...groups.entries()].sort((a, b) => a[0] - b[0]).map(([, m]) => m);
    const q = quotas(
      members.map((m) => m.length),
      o.valFraction,
    );
    const random = rng(o.seed, 'val');
    const val: number[] = [];
    members.forEach((m, gi) => val.push(...shuffle(m, random).slice(0, q[gi])));
    const inVal = new Set(val);
    out.train = train.filter((i) => !inVal.has(i));
    out.val = val.sort((a, b) => a - b);
  }
  if (meta.parts.test) out.test = range(meta.parts.test.start, meta.parts.test.count);
  for (const [name, list] of Object.entries(out) as [SplitName, number[]][]) {
    const max = o.limit[name];
    if (max !== undefined && max < list.length) {
      // A fixed permutation per (seed, split): the subset for N is a prefix of the one for N + 1.
      out[name] = shuffle([...list], rng(o.seed, `limit:${name}`))
        .slice(0, max)
        .sort((a, b) => a - b);
    }
  }
  return out;
}

/** class -> count for one split; segmentation counts the images in which each class appears. */
export function countClasses(meta: CacheMeta, stats: Buffer, labels: Int32Array | undefined, indices: number[]): Record<string, number> {
  const counts = new Array<number>(meta.classes.length).fill(0);
  for (const i of indices) {
    if (labels) counts[labels[i]]++;
    else {
      const base = i * PRESENCE_BYTES;
      for (let id = 0; id < meta.classes.length; id++) if (stats[base + (id >> 3)] & (1 << (id & 7))) counts[id]++;
    }
  }
  return Object.fromEntries(meta.classes.map((c, id) => [c, counts[id]]));
}
