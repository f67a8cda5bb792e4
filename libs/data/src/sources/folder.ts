/**
 * folder:<path> — one subfolder per class (`<path>/<class>/*.png|jpg|jpeg|webp`), or the same
 * under `<path>/train/` with optional `val/` and `test/`. Classes are the train subfolders, sorted.
 */
import path from 'node:path';
import { mapOrdered } from '../concurrency';
import { decodeImage, imageInfo } from '../decode';
import { BadFile, DataError } from '../errors';
import { badNameFiles, fileStamps, IMAGE_EXTENSIONS, isImageFile, listDir, readImageFile, refuseBadFolderNames, requireDir } from '../fsutil';
import { inferImageShape } from '../infer';
import type { ResolvedOptions } from '../options';
import type { Plan, PlanItem } from '../plan';
import type { SplitName } from '../types';

/** Images decoded at once; sharp and fs share libuv's 4 threads. */
const CONCURRENCY = 4;

export interface FileEntry {
  part: SplitName;
  rel: string;
  label: number;
}

/** Detects `train/` (+ `val/`, `test/`) subfolders; otherwise the root itself is the train part. */
export async function partFolders(abs: string): Promise<[SplitName, string][]> {
  const { dirs } = await listDir(abs);
  if (!dirs.includes('train')) return [['train', '']];
  return (['train', 'val', 'test'] as const).filter((p) => dirs.includes(p)).map((p) => [p, p]);
}

export async function folderPlan(root: string, o: ResolvedOptions): Promise<Plan> {
  if (o.classes) throw new DataError(`${o.field('classes')}: folder: datasets take class names from their subfolders`);
  if (o.palette) throw new DataError(`${o.field('palette')}: only seg: datasets have masks`);
  const abs = path.resolve(root);
  await requireDir(abs, root);
  const parts = await partFolders(abs);
  const trainDir = parts[0][1];
  const trainListing = await listDir(path.join(abs, trainDir));
  refuseBadFolderNames(trainListing, trainDir, root);
  const classes = trainListing.dirs;
  if (classes.length === 0) {
    throw new DataError(`${path.join(root, trainDir)}: no class folders (expected <class>/*${IMAGE_EXTENSIONS.join('|*')})`);
  }
  const scanBad: BadFile[] = [];
  const files: FileEntry[] = [];
  for (const [part, dir] of parts) {
    const partListing = await listDir(path.join(abs, dir));
    refuseBadFolderNames(partListing, dir, root);
    for (const c of partListing.dirs) {
      const relDir = path.join(dir, c);
      const label = classes.indexOf(c);
      if (label < 0) {
        scanBad.push(new BadFile(relDir, `class '${c}' is not in ${path.join(trainDir, '.')}/`));
        continue;
      }
      const listing = await listDir(path.join(abs, relDir));
      const images = listing.files.filter(isImageFile);
      const badNamed = badNameFiles(listing, relDir);
      scanBad.push(...badNamed);
      if (images.length === 0 && badNamed.length === 0) scanBad.push(new BadFile(relDir, `empty class: no ${IMAGE_EXTENSIONS.join(', ')} files`));
      for (const f of images) files.push({ part, rel: path.join(relDir, f), label });
    }
  }
  const stamps = await fileStamps(
    abs,
    files.map((f) => f.rel),
  );
  return {
    task: 'classification',
    shape: o.shape,
    inferShape: () => inferImageShape(abs, root, files.map((f) => f.rel), o.field('shape')),
    classes,
    total: scanBad.length + files.length,
    key: { kind: 'folder', abs, explicitShape: o.shape ?? null, files: files.map((f, i) => [f.part, f.label, ...stamps[i]]), scanBad: scanBad.map((b) => b.message) },
    label: `folder-${path.basename(abs)}`,
    root,
    async *items(shape): AsyncGenerator<PlanItem> {
      yield* scanBad;
      yield* mapOrdered(files, CONCURRENCY, async (f) => {
        try {
          const buf = await readImageFile(abs, f.rel);
          const info = await imageInfo(buf, f.rel);
          return { part: f.part, ...(await decodeImage(buf, f.rel, info, shape)), label: f.label };
        } catch (e) {
          if (e instanceof BadFile) return e;
          throw e;
        }
      });
    },
  };
}
