/**
 * A dataset's splits as NumPy .npy files, for trainers outside this process (PyTorch, a team's
 * own script) that must train on exactly the tensors the embedded trainer sees: x float32 NCHW
 * [N, C, H, W], normalised as the splits are; y int32 [N] (class ids) or [N, H, W] (masks).
 * Written once per dataset fingerprint into a folder beside the decoded cache, streamed batch by
 * batch (never the whole split in memory), into a temporary folder renamed when complete: a
 * reader never sees a half-written array, and concurrent writers (worker processes) agree.
 */
import { randomBytes } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import type { Dataset, Split, SplitName } from './types';

export interface ArrayFiles {
  /** float32 [N, C, H, W]. */
  x: string;
  /** int32 [N] or [N, H, W]. */
  y: string;
  size: number;
}

export type DatasetArrays = { dir: string; splits: Partial<Record<SplitName, ArrayFiles>> };

const INDEX = 'arrays.json';

/** The .npy v1.0 header of a C-order array: magic, version, header length, dict padded to 64 bytes. */
export function npyHeader(descr: '<f4' | '<i4', shape: number[]): Buffer {
  const dims = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  let dict = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${dims}, }`;
  const unpadded = 10 + dict.length + 1;
  dict += ' '.repeat((64 - (unpadded % 64)) % 64) + '\n';
  const head = Buffer.alloc(10);
  head.write('\x93NUMPY', 0, 'latin1');
  head[6] = 1;
  head[7] = 0;
  head.writeUInt16LE(dict.length, 8);
  return Buffer.concat([head, Buffer.from(dict, 'latin1')]);
}

async function writeSplit(split: Split, shape: [number, number, number], segmentation: boolean, dir: string, name: SplitName): Promise<ArrayFiles> {
  const [H, W, C] = shape;
  const files = { x: path.join(dir, `${name}-x.npy`), y: path.join(dir, `${name}-y.npy`), size: split.size };
  const xf = await fsp.open(files.x, 'w');
  const yf = await fsp.open(files.y, 'w');
  try {
    await xf.write(npyHeader('<f4', [split.size, C, H, W]));
    await yf.write(npyHeader('<i4', segmentation ? [split.size, H, W] : [split.size]));
    for await (const batch of split.batches(256)) {
      // NHWC -> NCHW, the layout of the ONNX contract and of PyTorch.
      const x = new Float32Array(batch.x.length);
      const plane = H * W;
      for (let i = 0; i < batch.n; i++) {
        const o = i * plane * C;
        for (let p = 0; p < plane; p++) for (let c = 0; c < C; c++) x[o + c * plane + p] = batch.x[o + p * C + c];
      }
      await xf.write(new Uint8Array(x.buffer));
      await yf.write(new Uint8Array(batch.y.buffer, batch.y.byteOffset, batch.y.byteLength));
    }
    await xf.sync();
    await yf.sync();
  } finally {
    await xf.close();
    await yf.close();
  }
  return files;
}

async function readIndex(dir: string): Promise<DatasetArrays | undefined> {
  try {
    const splits = JSON.parse(await fsp.readFile(path.join(dir, INDEX), 'utf8')) as DatasetArrays['splits'];
    return { dir, splits };
  } catch {
    return undefined;
  }
}

/**
 * Writes (once) the dataset's train, val and test splits as .npy files under
 * `<root>/<fingerprint>/` (root: `arrays/` beside the dataset's cache) and returns their paths.
 */
export async function exportArrays(ds: Dataset, root = path.join(path.dirname(ds.cache.file), 'arrays')): Promise<DatasetArrays> {
  const dir = path.join(root, ds.fingerprint);
  const done = await readIndex(dir);
  if (done) return done;
  await fsp.mkdir(root, { recursive: true });
  const tmp = path.join(root, `.${ds.fingerprint}.${process.pid}.${randomBytes(4).toString('hex')}`);
  await fsp.mkdir(tmp);
  try {
    const splits: Record<string, ArrayFiles> = {};
    for (const name of ['train', 'val', 'test'] as const) {
      const split = ds[name];
      if (split) splits[name] = await writeSplit(split, ds.shape, ds.task === 'segmentation', tmp, name);
    }
    const final = Object.fromEntries(Object.entries(splits).map(([k, f]) => [k, { x: path.join(dir, path.basename(f.x)), y: path.join(dir, path.basename(f.y)), size: f.size }]));
    await fsp.writeFile(path.join(tmp, INDEX), JSON.stringify(final, null, 1) + '\n');
    try {
      await fsp.rename(tmp, dir);
    } catch (e) {
      // Another process finished first (the folder exists and is not empty): use its arrays.
      if (!['ENOTEMPTY', 'EEXIST'].includes((e as NodeJS.ErrnoException).code ?? '')) throw e;
    }
  } finally {
    await fsp.rm(tmp, { recursive: true, force: true });
  }
  const written = await readIndex(dir);
  if (!written) throw new Error(`${dir}: arrays written but ${INDEX} is unreadable`);
  return written;
}
