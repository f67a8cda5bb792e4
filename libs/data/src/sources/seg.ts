/**
 * seg:<path> — `images/` and `masks/` with the same file stems (masks are PNGs), or the same
 * under `train/`, `val/`, `test/`. Masks hold class indices, or colours mapped by `palette`.
 * Classes: option `classes`, else `<path>/classes.txt`, else numbered (palette size, or max id + 1).
 */
import path from 'node:path';
import { mapOrdered } from '../concurrency';
import { decodeImage, decodeMask, imageInfo } from '../decode';
import { BadFile, DataError } from '../errors';
import { badNameFiles, fileStamps, isImageFile, listDir, readClassesFile, readImageFile, requireDir } from '../fsutil';
import { numberedClasses } from '../build';
import { inferImageShape } from '../infer';
import type { ResolvedOptions } from '../options';
import type { Plan, PlanItem } from '../plan';
import type { SplitName } from '../types';
import { partFolders } from './folder';

const CONCURRENCY = 4;

interface Pair {
  part: SplitName;
  image: string;
  mask: string;
}

export async function segPlan(root: string, o: ResolvedOptions): Promise<Plan> {
  const abs = path.resolve(root);
  await requireDir(abs, root);
  const parts = await partFolders(abs);
  const scanBad: BadFile[] = [];
  const pairs: Pair[] = [];
  for (const [part, dir] of parts) {
    for (const sub of ['images', 'masks']) await requireDir(path.join(abs, dir, sub), path.join(root, dir, sub));
    const masks = new Set((await listDir(path.join(abs, dir, 'masks'))).files.filter((f) => path.extname(f).toLowerCase() === '.png'));
    const stems = new Map<string, string>();
    const images = await listDir(path.join(abs, dir, 'images'));
    scanBad.push(...badNameFiles(images, path.join(dir, 'images')));
    for (const f of images.files.filter(isImageFile)) {
      const image = path.join(dir, 'images', f);
      const stem = path.parse(f).name;
      const mask = `${stem}.png`;
      if (stems.has(stem)) scanBad.push(new BadFile(image, `same stem as ${stems.get(stem)}, so the mask is ambiguous`));
      else if (!masks.has(mask)) scanBad.push(new BadFile(image, `no mask ${path.join(dir, 'masks', mask)}`));
      else pairs.push({ part, image, mask: path.join(dir, 'masks', mask) });
      stems.set(stem, image);
    }
  }
  const fromFile = o.classes ? undefined : await readClassesFile(abs, root);
  const classes = o.classes ?? fromFile ?? (o.palette ? numberedClasses(o.palette.length) : undefined);
  if (o.palette && classes && classes.length !== o.palette.length) {
    throw new DataError(`${o.field('palette')}: ${o.palette.length} colours but ${path.join(root, 'classes.txt')} names ${classes.length} classes`);
  }
  const palette = o.palette ? new Map(o.palette.map(([r, g, b], id) => [(r << 16) | (g << 8) | b, id])) : undefined;
  const stamps = await fileStamps(
    abs,
    pairs.flatMap((p) => [p.image, p.mask]),
  );
  return {
    task: 'segmentation',
    shape: o.shape,
    inferShape: () => inferImageShape(abs, root, pairs.map((p) => p.image), o.field('shape')),
    classes,
    total: scanBad.length + pairs.length,
    key: { kind: 'seg', abs, explicitShape: o.shape ?? null, palette: o.palette ?? null, parts: pairs.map((p) => p.part), stamps, scanBad: scanBad.map((b) => b.message) },
    label: `seg-${path.basename(abs)}`,
    root,
    async *items(shape): AsyncGenerator<PlanItem> {
      yield* scanBad;
      yield* mapOrdered(pairs, CONCURRENCY, async (p) => {
        try {
          const [imageBuf, maskBuf] = await Promise.all([readImageFile(abs, p.image), readImageFile(abs, p.mask)]);
          const info = await imageInfo(imageBuf, p.image);
          const { image, converted } = await decodeImage(imageBuf, p.image, info, shape);
          const mask = await decodeMask(maskBuf, p.mask, info, shape, palette, classes?.length);
          return { part: p.part, image, mask, converted };
        } catch (e) {
          if (e instanceof BadFile) return e;
          throw e;
        }
      });
    },
  };
}
