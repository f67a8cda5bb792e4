/** loadDataset: spec -> source plan -> cache (decoded once) -> seeded splits streaming from the cache. */
import { createHash } from 'node:crypto';
import path from 'node:path';
import { ensureCache } from './build';
import type { CacheMeta } from './cache';
import { DataError } from './errors';
import { resolveNormalize, resolveOptions } from './options';
import type { Plan } from './plan';
import { folderPlan } from './sources/folder';
import { idxPlan } from './sources/idx';
import { mnistPlan } from './sources/mnist';
import { segPlan } from './sources/seg';
import { shapesPlan } from './sources/shapes';
import { assignSplits, countClasses, labelsOf } from './splits';
import { CacheSplit } from './stream';
import type { DataOptions, Dataset, DatasetReport, SplitName } from './types';

const KINDS = 'folder:<dir>, seg:<dir>, idx:<dir>, builtin:mnist or builtin:shapes[?count=N&seed=S]';

function planFor(spec: string, opts: ReturnType<typeof resolveOptions>): Promise<Plan> | Plan {
  const colon = spec.indexOf(':');
  const kind = colon < 0 ? '' : spec.slice(0, colon);
  const rest = colon < 0 ? '' : spec.slice(colon + 1);
  if (kind === 'folder' || kind === 'seg' || kind === 'idx') {
    if (!rest) throw new DataError(`dataset '${spec}': missing path (expected ${kind}:<dir>)`);
    return kind === 'folder' ? folderPlan(rest, opts) : kind === 'seg' ? segPlan(rest, opts) : idxPlan(rest, opts);
  }
  if (kind === 'builtin') {
    const [name, query = ''] = rest.split('?', 2);
    const params = new URLSearchParams(query);
    if (name === 'mnist') {
      if (query) throw new DataError(`dataset '${spec}': builtin:mnist takes no parameters`);
      return mnistPlan(opts);
    }
    if (name === 'shapes') return shapesPlan(params, spec, opts);
    throw new DataError(`dataset '${spec}': unknown built-in '${name}' (builtin:mnist or builtin:shapes)`);
  }
  throw new DataError(`dataset '${spec}': unknown kind; expected ${KINDS}`);
}

function skippedWarning(spec: string, skipped: { file: string; reason: string }[]): string {
  const shown = skipped.slice(0, 20).map((s) => `\n  ${s.file}: ${s.reason}`);
  const more = skipped.length > 20 ? `\n  ... and ${skipped.length - 20} more` : '';
  return `${spec}: skipped ${skipped.length} bad file${skipped.length === 1 ? '' : 's'}:${shown.join('')}${more}`;
}

/**
 * Loads a dataset: `folder:<dir>`, `seg:<dir>`, `idx:<dir>`, `builtin:mnist`,
 * `builtin:shapes[?count=N&seed=S]`. The first load decodes into the on-disk cache;
 * later loads with the same files and options only read the cache's index. `field` names an
 * option in messages: "data option 'shape'" by default; the CLI names its flags, a search 'dataset.shape'.
 */
export async function loadDataset(spec: string, options: DataOptions = {}, field?: (key: string) => string): Promise<Dataset> {
  const opts = resolveOptions(options, field);
  const plan = await planFor(spec, opts);
  const { cache, hit } = await ensureCache(plan, opts);
  const { meta, stats } = cache;
  const skipped = meta.skipped.map((s) => ({ file: path.join(plan.root, s.file), reason: s.reason }));
  if (skipped.length > 0) {
    // A cache built with onBadFile 'skip' remembers what it skipped: 'error' must still fail.
    if (opts.onBadFile === 'error') throw new DataError(`${skipped[0].file}: ${skipped[0].reason}`);
    opts.warn(skippedWarning(spec, skipped));
  }
  const labels = labelsOf(meta, stats);
  refuseOneClass(spec, meta, stats, labels);
  if (!plan.shape && meta.conversions.resized > 0) {
    const [H, W] = meta.shape;
    const n = meta.conversions.resized;
    opts.warn(`${spec}: most images are ${W}x${H}, so that is the dataset's size; ${n} image${n === 1 ? '' : 's'} of other sizes ${n === 1 ? 'is' : 'are'} resized to it (set ${opts.field('shape')} to choose)`);
  }
  const normalize = resolveNormalize(opts, meta.shape[2]);
  const indices = assignSplits(meta, labels, opts);
  if (!indices.train?.length) throw new DataError(`${spec}: no training samples`);
  const split = (name: SplitName) => new CacheSplit(cache.file, meta, indices[name] ?? [], labels, normalize);
  const counts: Dataset['counts'] = {};
  for (const [name, list] of Object.entries(indices) as [SplitName, number[]][]) counts[name] = countClasses(meta, stats, labels, list);
  return {
    name: spec,
    task: meta.task,
    shape: meta.shape,
    classes: meta.classes,
    train: split('train'),
    val: split('val'),
    ...(indices.test ? { test: split('test') } : {}),
    counts,
    skipped,
    conversions: meta.conversions,
    normalize,
    cache: { file: cache.file, hit },
    fingerprint: createHash('sha256').update(JSON.stringify({ key: meta.key, normalize, indices })).digest('hex').slice(0, 24),
  };
}

/** A model for one class learns nothing (accuracy 1 from the first step): refuse the data. */
function refuseOneClass(spec: string, meta: CacheMeta, stats: Buffer, labels: Int32Array | undefined): void {
  const train = meta.parts.train;
  const counts = countClasses(meta, stats, labels, train ? Array.from({ length: train.count }, (_, i) => train.start + i) : []);
  const present = meta.classes.filter((c) => counts[c] > 0);
  if (present.length >= 2) return;
  const which = present.length === 1 ? `only class '${present[0]}'` : 'no class';
  const where = meta.task === 'classification' ? 'has training images' : 'appears in the training masks';
  throw new DataError(`${spec}: ${which} ${where}; ${meta.task} needs at least 2 classes`);
}

/** What `marl-hpo data inspect` shows. Bad files are listed rather than fatal unless onBadFile is 'error'. */
export async function inspectDataset(spec: string, options: DataOptions = {}, field?: (key: string) => string): Promise<DatasetReport> {
  const ds = await loadDataset(spec, { onBadFile: 'skip', warn: () => undefined, ...options }, field);
  const sizes: DatasetReport['sizes'] = { train: ds.train.size, val: ds.val.size, ...(ds.test ? { test: ds.test.size } : {}) };
  return { task: ds.task, sizes, classes: ds.classes, counts: ds.counts, shape: ds.shape, skipped: ds.skipped, conversions: ds.conversions };
}
