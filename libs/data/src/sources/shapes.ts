/**
 * builtin:shapes[?count=N&seed=S] — a generated, deterministic segmentation set: circles,
 * squares and triangles (rotated, possibly overlapping, later ones on top) over textured
 * backgrounds (stripes, checkers, smooth blobs, pixel noise), with masks of class ids
 * (0 = background). Image i depends only on (seed, i), so a larger count extends a smaller one.
 */
import { toChannels } from '../decode';
import { DataError } from '../errors';
import type { ResolvedOptions } from '../options';
import type { Plan, PlanItem } from '../plan';
import { rng } from '../rng';

export const SHAPE_CLASSES = ['background', 'circle', 'square', 'triangle'];
/** Bump when the pictures change, so old caches are not reused. */
const GENERATOR_VERSION = 1;
const DEFAULT_COUNT = 200;

type RGB = [number, number, number];
const EDGE_COS = [0, 1, 2].map((k) => Math.cos((k * 2 * Math.PI) / 3));
const EDGE_SIN = [0, 1, 2].map((k) => Math.sin((k * 2 * Math.PI) / 3));

export function parseShapesParams(params: URLSearchParams, spec: string): { count: number; seed: number } {
  const out = { count: DEFAULT_COUNT, seed: 0 };
  for (const [k, v] of params) {
    if (k !== 'count' && k !== 'seed') throw new DataError(`${spec}: unknown parameter '${k}' (builtin:shapes takes count and seed)`);
    const n = Number(v);
    const min = k === 'count' ? 1 : 0;
    if (!/^\d+$/.test(v) || !Number.isSafeInteger(n) || n < min) throw new DataError(`${spec}: '${k}' must be an integer >= ${min}, got '${v}'`);
    out[k] = n;
  }
  return out;
}

const luma = ([r, g, b]: RGB) => 0.299 * r + 0.587 * g + 0.114 * b;

/** One picture and its mask, H*W*3 RGB and H*W class ids. */
export function renderShapes(index: number, seed: number, H: number, W: number): { rgb: Uint8Array; mask: Uint8Array } {
  const r = rng(seed, `shapes:${index}`);
  const colour = (): RGB => [Math.floor(r() * 256), Math.floor(r() * 256), Math.floor(r() * 256)];
  const rgb = new Uint8Array(H * W * 3);
  const mask = new Uint8Array(H * W);
  const side = Math.min(H, W);

  // Background texture between two colours.
  const c1 = colour();
  const c2 = colour();
  const kind = Math.floor(r() * 3);
  const angle = r() * Math.PI;
  const period = Math.max(2, side * (0.08 + r() * 0.15));
  const grid = Array.from({ length: 25 }, () => r());
  const ca = Math.cos(angle);
  const sa = Math.sin(angle);
  const { floor, min } = Math;
  const blend = (x: number, y: number): number => {
    if (kind === 0) return ((x * ca + y * sa) / period) % 1 < 0.5 ? 0 : 1;
    if (kind === 1) return (floor(x / period) + floor(y / period)) % 2;
    // Smooth blobs: bilinear value noise on a 5x5 grid.
    const gx = (x / W) * 4;
    const gy = (y / H) * 4;
    const ix = min(3, floor(gx));
    const iy = min(3, floor(gy));
    const fx = gx - ix;
    const fy = gy - iy;
    const g = (a: number, b: number) => grid[b * 5 + a];
    return (g(ix, iy) * (1 - fx) + g(ix + 1, iy) * fx) * (1 - fy) + (g(ix, iy + 1) * (1 - fx) + g(ix + 1, iy + 1) * fx) * fy;
  };
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      const t = blend(x + 0.5, y + 0.5);
      for (let c = 0; c < 3; c++) rgb[(y * W + x) * 3 + c] = c1[c] * (1 - t) + c2[c] * t;
    }
  }
  const bgLuma = (luma(c1) + luma(c2)) / 2;

  const shapes = 1 + Math.floor(r() * 3);
  for (let s = 0; s < shapes; s++) {
    const cls = 1 + Math.floor(r() * 3);
    const radius = side * (0.12 + r() * 0.18);
    const cx = radius * 0.5 + r() * (W - radius);
    const cy = radius * 0.5 + r() * (H - radius);
    const rot = r() * 2 * Math.PI;
    // A fill that stands out from the background, so the task is learnable.
    let fill = colour();
    for (let tries = 0; tries < 8 && Math.abs(luma(fill) - bgLuma) < 60; tries++) fill = colour();
    const cos = Math.cos(rot);
    const sin = Math.sin(rot);
    const half = radius * 0.8;
    const inside = (px: number, py: number): boolean => {
      const dx = px - cx;
      const dy = py - cy;
      if (cls === 1) return dx * dx + dy * dy <= radius * radius;
      const u = dx * cos + dy * sin;
      const v = -dx * sin + dy * cos;
      if (cls === 2) return u <= half && -u <= half && v <= half && -v <= half;
      // Equilateral triangle with circumradius `radius`: inside all three edge half-planes.
      for (let k = 0; k < 3; k++) if (u * EDGE_COS[k] + v * EDGE_SIN[k] > radius / 2) return false;
      return true;
    };
    for (let y = 0; y < H; y++) {
      for (let x = 0; x < W; x++) {
        if (!inside(x + 0.5, y + 0.5)) continue;
        mask[y * W + x] = cls;
        for (let c = 0; c < 3; c++) rgb[(y * W + x) * 3 + c] = fill[c];
      }
    }
  }
  // Sensor-like noise over everything.
  const noisy = new Uint8ClampedArray(rgb.buffer);
  for (let i = 0; i < rgb.length; i++) noisy[i] = rgb[i] + (r() - 0.5) * 24;
  return { rgb, mask };
}

export function shapesPlan(params: URLSearchParams, spec: string, o: ResolvedOptions): Plan {
  if (o.classes || o.palette) throw new DataError(`${o.field(o.classes ? 'classes' : 'palette')}: not used by builtin:shapes`);
  const { count, seed } = parseShapesParams(params, spec);
  const shape = o.shape ?? [64, 64, 3];
  const [H, W, C] = shape;
  return {
    task: 'segmentation',
    shape,
    classes: SHAPE_CLASSES,
    total: count,
    key: { kind: 'shapes', version: GENERATOR_VERSION, count, seed },
    label: `builtin-shapes-${count}-${seed}`,
    root: spec,
    async *items(): AsyncGenerator<PlanItem> {
      for (let i = 0; i < count; i++) {
        const { rgb, mask } = renderShapes(i, seed, H, W);
        yield { part: 'train', image: toChannels(rgb, 3, C), mask, converted: C === 1 ? ['colourToGrey'] : [] };
      }
    },
  };
}
