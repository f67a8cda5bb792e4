/**
 * folder:<path> — one subfolder per class (`<path>/<class>/*.png|jpg|jpeg|webp`), or the same
 * under `<path>/train/` with optional `val/` and `test/`. Classes are the train subfolders, sorted.
 */
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { mapOrdered } from '../concurrency';
import { decodeImage, imageInfo, shapeOf, type Shape } from '../decode';
import { BadFile, DataError } from '../errors';
import { fileStamps, IMAGE_EXTENSIONS, isImageFile, listDir, requireDir } from '../fsutil';
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
  if (o.classes) throw new DataError(`data option 'classes': folder: datasets take class names from their subfolders`);
  if (o.palette) throw new DataError(`data option 'palette': only seg: datasets have masks`);
  const abs = path.resolve(root);
  await requireDir(abs, root);
  const parts = await partFolders(abs);
  const trainDir = parts[0][1];
  const classes = (await listDir(path.join(abs, trainDir))).dirs;
  if (classes.length === 0) {
    throw new DataError(`${path.join(root, trainDir)}: no class folders (expected <class>/*${IMAGE_EXTENSIONS.join('|*')})`);
  }
  const scanBad: BadFile[] = [];
  const files: FileEntry[] = [];
  for (const [part, dir] of parts) {
    for (const c of (await listDir(path.join(abs, dir))).dirs) {
      const relDir = path.join(dir, c);
      const label = classes.indexOf(c);
      if (label < 0) {
        scanBad.push(new BadFile(relDir, `class '${c}' is not in ${path.join(trainDir, '.')}/`));
        continue;
      }
      const images = (await listDir(path.join(abs, relDir))).files.filter(isImageFile);
      if (images.length === 0) scanBad.push(new BadFile(relDir, `empty class: no ${IMAGE_EXTENSIONS.join(', ')} files`));
      for (const f of images) files.push({ part, rel: path.join(relDir, f), label });
    }
  }
  const shape = o.shape ?? (await firstShape(abs, root, files.map((f) => f.rel)));
  const stamps = await fileStamps(
    abs,
    files.map((f) => f.rel),
  );
  return {
    task: 'classification',
    shape,
    classes,
    total: scanBad.length + files.length,
    key: { kind: 'folder', abs, explicitShape: o.shape ?? null, files: files.map((f, i) => [f.part, f.label, ...stamps[i]]), scanBad: scanBad.map((b) => b.message) },
    label: `folder-${path.basename(abs)}`,
    root,
    async *items(): AsyncGenerator<PlanItem> {
      yield* scanBad;
      yield* mapOrdered(files, CONCURRENCY, async (f) => {
        try {
          const buf = await readImageFile(abs, f.rel);
          const info = await imageInfo(buf, f.rel);
          return { part: f.part, image: await decodeImage(buf, f.rel, info, shape, o.shape !== undefined), label: f.label };
        } catch (e) {
          if (e instanceof BadFile) return e;
          throw e;
        }
      });
    },
  };
}

/** Reads a file; an unreadable one (vanished, no permission) is a BadFile, not a crash. */
export async function readImageFile(abs: string, rel: string): Promise<Buffer> {
  try {
    return await fsp.readFile(path.join(abs, rel));
  } catch (e) {
    throw new BadFile(rel, `cannot read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
}

/** The shape of the first readable image, in file order. */
export async function firstShape(abs: string, root: string, rels: string[]): Promise<Shape> {
  let first: BadFile | undefined;
  for (const rel of rels) {
    try {
      return shapeOf(await imageInfo(await readImageFile(abs, rel), rel));
    } catch (e) {
      if (!(e instanceof BadFile)) throw e;
      first ??= e;
    }
  }
  throw new DataError(first ? `${path.join(root, first.file)}: ${first.reason} (and no other image is readable)` : `${root}: no images`);
}
