/**
 * The shape of a folder of images when the `shape` option is not given: the most common size,
 * and grey unless some image has colour pixels. Runs on a cache miss only (the file list and
 * stamps in the cache key decide it).
 */
import path from 'node:path';
import { mapOrdered } from './concurrency';
import { checkImageSize, hasGreyPixels, imageInfo, type ImageInfo, type Shape } from './decode';
import { BadFile, DataError } from './errors';
import { readImageFile } from './fsutil';

/** Headers read at once, and images decoded at once for their pixels (fs and sharp share libuv's 4 threads). */
const CONCURRENCY = 8;
const DECODES = 4;

/** Header of a file, or why it is unreadable (decoding reports it as a bad file later). */
async function headerOf(abs: string, rel: string): Promise<ImageInfo | BadFile> {
  try {
    return await imageInfo(await readImageFile(abs, rel), rel);
  } catch (e) {
    if (e instanceof BadFile) return e;
    throw e;
  }
}

/**
 * [H, W, C] for the images `rels` under `abs` (shown as `root`; `shapeField` names the option in messages):
 * - H x W: the size of more than half of the readable images (the others are resized to it);
 *   without such a majority the sizes are too mixed to pick one, and `shape` must be given;
 * - C: 1 when every image is grey, by its header or, for colour files, by its pixels (a grey
 *   WebP decodes as RGB), else 3.
 */
export async function inferImageShape(abs: string, root: string, rels: string[], shapeField: string): Promise<Shape> {
  const sizes = new Map<string, { h: number; w: number; count: number }>();
  const colourFiles: string[] = [];
  let readable = 0;
  let firstBad: BadFile | undefined;
  for await (const [rel, info] of mapOrdered(rels, CONCURRENCY, async (rel) => [rel, await headerOf(abs, rel)] as const)) {
    if (info instanceof BadFile) {
      firstBad ??= info;
      continue;
    }
    readable++;
    const key = `${info.height}x${info.width}`;
    const s = sizes.get(key) ?? { h: info.height, w: info.width, count: 0 };
    s.count++;
    sizes.set(key, s);
    if (info.colour) colourFiles.push(rel);
  }
  if (readable === 0) {
    throw new DataError(firstBad ? `${path.join(root, firstBad.file)}: ${firstBad.reason} (and no other image is readable)` : `${root}: no images`);
  }
  const ranked = [...sizes.values()].sort((a, b) => b.count - a.count);
  const top = ranked[0];
  if (top.count * 2 <= readable) {
    const shown = ranked.slice(0, 3).map((s) => `${s.w}x${s.h} (${s.count})`);
    throw new DataError(
      `${root}: image sizes differ and none is the size of most images (${readable} images in ${ranked.length} sizes: ${shown.join(', ')}${ranked.length > 3 ? ', ...' : ''}); set ${shapeField} [H, W, C] to resize them all`,
    );
  }
  let channels = 1;
  const greyPixels = async (rel: string) => {
    try {
      return await hasGreyPixels(await readImageFile(abs, rel), rel);
    } catch (e) {
      if (e instanceof BadFile) return true; // undecodable: it does not decide the mode
      throw e;
    }
  };
  // Decoded in parallel, stopping at the first colour image: a colour dataset costs a few extra decodes.
  for await (const grey of mapOrdered(colourFiles, DECODES, greyPixels)) {
    if (!grey) {
      channels = 3;
      break;
    }
  }
  const shape: Shape = [top.h, top.w, channels];
  checkImageSize(shape, `${root}: the most common image size gives shape `, `; set ${shapeField} to resize them`);
  return shape;
}
