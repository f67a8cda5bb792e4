/** Decodes a source once into the binary cache, or finds the cache from an earlier run. */
import path from 'node:path';
import { cacheFileName, CacheWriter, openCache, PRESENCE_BYTES, type OpenCache } from './cache';
import { CONVERSIONS } from './decode';
import { BadFile, DataError } from './errors';
import type { ResolvedOptions } from './options';
import type { Plan } from './plan';
import type { Conversions } from './types';

export function numberedClasses(n: number): string[] {
  return Array.from({ length: n }, (_, i) => String(i));
}

export async function ensureCache(plan: Plan, opts: ResolvedOptions): Promise<{ cache: OpenCache; hit: boolean }> {
  const { key, name } = cacheFileName(plan.label, { task: plan.task, shape: plan.shape, classes: plan.classes ?? null, source: plan.key });
  const file = path.join(opts.cacheDir, name);
  const existing = await openCache(file, key);
  if (existing) return { cache: existing, hit: true };

  const shape = plan.shape ?? (await plan.inferShape?.());
  if (!shape) throw new Error(`${plan.label}: a plan without a shape must infer one`);
  const [H, W, C] = shape;
  const seg = plan.task === 'segmentation';
  const writer = new CacheWriter(file, { imageBytes: H * W * C, maskBytes: seg ? H * W : 0, statsBytes: seg ? PRESENCE_BYTES : 4 }, { from: opts.cacheDirFrom, field: opts.field('cacheDir') });
  await writer.open();
  try {
    const skipped: { file: string; reason: string }[] = [];
    const conversions = Object.fromEntries(CONVERSIONS.map((c) => [c, 0])) as unknown as Conversions;
    let done = 0;
    let maxId = -1;
    const stats = new Uint8Array(seg ? PRESENCE_BYTES : 4);
    const statsView = new DataView(stats.buffer);
    for await (const item of plan.items(shape)) {
      done++;
      if (item instanceof BadFile) {
        if (opts.onBadFile === 'error') throw new DataError(`${path.join(plan.root, item.file)}: ${item.reason}`);
        skipped.push({ file: item.file, reason: item.reason });
      } else if (seg) {
        if (!item.mask) throw new Error(`${plan.label}: segmentation record without a mask`);
        stats.fill(0);
        for (const id of item.mask) stats[id >> 3] |= 1 << (id & 7);
        for (let id = 255; id > maxId; id--) {
          if (stats[id >> 3] & (1 << (id & 7))) {
            maxId = id;
            break;
          }
        }
        await writer.add(item.part, item.image, item.mask, stats);
      } else {
        if (item.label === undefined) throw new Error(`${plan.label}: classification record without a label`);
        statsView.setInt32(0, item.label, true);
        maxId = Math.max(maxId, item.label);
        await writer.add(item.part, item.image, undefined, stats);
      }
      if (!(item instanceof BadFile)) for (const c of item.converted ?? []) conversions[c]++;
      opts.onProgress?.({ phase: 'decode', done, total: Math.max(plan.total ?? done, done) });
    }
    if (writer.size === 0) {
      throw new DataError(`${plan.root}: no usable samples${skipped.length ? ` (${skipped.length} bad files skipped)` : ''}`);
    }
    const classes = plan.classes ?? numberedClasses(maxId + 1);
    await writer.finish({ key, task: plan.task, shape, classes, skipped, conversions });
  } catch (e) {
    await writer.abort();
    throw e;
  }
  const cache = await openCache(file, key);
  if (!cache) throw new Error(`cache ${file} unreadable right after writing it`);
  return { cache, hit: false };
}

