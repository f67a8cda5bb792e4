import fs from 'node:fs';
import path from 'node:path';
import { exportArrays, npyHeader } from './arrays';
import { loadDataset } from './load';
import { collect, python, tempDir } from './spec-helpers';

let dir: string;
let cleanup: () => void;
beforeAll(() => ({ dir, cleanup } = tempDir('arrays')));
afterAll(() => cleanup());

// NumPy reads our files: shape, dtype and every value against the splits' own batches (NHWC -> NCHW).
const readNpy = (x: string, y: string) =>
  python(
    'import json, sys, numpy as np\nx, y = np.load(sys.argv[1], mmap_mode="r"), np.load(sys.argv[2])\n' +
      'print(json.dumps({"xs": list(x.shape), "xd": str(x.dtype), "ys": list(y.shape), "yd": str(y.dtype), "x": np.transpose(x, (0, 2, 3, 1)).reshape(len(x), -1).tolist(), "y": y.reshape(len(y), -1).tolist()}))',
    [x, y],
  ) as { xs: number[]; xd: string; ys: number[]; yd: string; x: number[][]; y: number[][] };

test('the header is what numpy.lib.format writes (64-byte aligned, C order)', () => {
  const ours = npyHeader('<f4', [3, 1, 28, 28]);
  const theirs = python(
    'import io, json, numpy as np\nb = io.BytesIO()\nnp.lib.format.write_array_header_1_0(b, {"descr": "<f4", "fortran_order": False, "shape": (3, 1, 28, 28)})\nprint(json.dumps(list(b.getvalue())))',
  ) as number[];
  expect([...ours]).toEqual(theirs);
  expect(npyHeader('<i4', [7]).toString('latin1')).toContain("'shape': (7,)");
});

test.each([
  ['classification (builtin:mnist)', 'builtin:mnist', { limit: { train: 40, val: 12 } }],
  ['segmentation (builtin:shapes, RGB)', 'builtin:shapes?count=12', { shape: [16, 16, 3] as [number, number, number], normalize: { mean: [0.5], std: [0.25] } }],
])('%s: every split as .npy, equal to the batches the trainer reads', async (_name, spec, options) => {
  const ds = await loadDataset(spec, { cacheDir: dir, ...options });
  const arrays = await exportArrays(ds);
  expect(path.dirname(arrays.dir)).toBe(path.join(dir, 'arrays'));
  expect(Object.keys(arrays.splits).sort()).toEqual(['train', 'val', ...(ds.test ? ['test'] : [])].sort());
  const [h, w, c] = ds.shape;
  for (const [name, files] of Object.entries(arrays.splits)) {
    const split = ds[name as 'train' | 'val'];
    const want = await collect(split, 7);
    const got = readNpy(files.x, files.y);
    expect(got.xs).toEqual([split.size, c, h, w]);
    expect(got.xd).toBe('float32');
    expect(got.ys).toEqual(ds.task === 'segmentation' ? [split.size, h, w] : [split.size]);
    expect(got.yd).toBe('int32');
    expect(got.y).toEqual(want.y);
    got.x.forEach((row, i) => row.forEach((v, j) => expect(v).toBeCloseTo(want.x[i][j], 6)));
  }
});

test('written once per fingerprint: a second call and concurrent callers reuse the same files; other splits get another folder', async () => {
  const ds = await loadDataset('builtin:mnist', { cacheDir: dir, limit: { train: 30, val: 10 }, seed: 3 });
  const [a, b] = await Promise.all([exportArrays(ds), exportArrays(ds)]);
  expect(b).toEqual(a);
  const mtime = fs.statSync(a.splits.train!.x).mtimeMs;
  expect(await exportArrays(ds)).toEqual(a);
  expect(fs.statSync(a.splits.train!.x).mtimeMs).toBe(mtime);
  // No temporary folder left behind.
  expect(fs.readdirSync(path.dirname(a.dir)).filter((f) => f.startsWith('.'))).toEqual([]);
  const other = await loadDataset('builtin:mnist', { cacheDir: dir, limit: { train: 30, val: 10 }, seed: 4 });
  expect(other.fingerprint).not.toBe(ds.fingerprint);
  expect((await exportArrays(other)).dir).not.toBe(a.dir);
});
