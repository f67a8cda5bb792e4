/** Source coordinates of tfjs's resize kernels (forward), shared by our gradients. */
export interface Axis {
  /** Source index pairs and interpolation weight per output index. */
  lo: Int32Array;
  hi: Int32Array;
  frac: Float32Array;
}

function ratio(inSize: number, outSize: number, alignCorners: boolean): number {
  return alignCorners && outSize > 1 ? (inSize - 1) / (outSize - 1) : inSize / outSize;
}

/** As tfjs's ResizeBilinear: src = ratio * (i + 0.5) - 0.5 (half-pixel) or ratio * i, floor clamped at 0, ceil at n - 1. */
export function bilinearAxis(inSize: number, outSize: number, alignCorners: boolean, halfPixelCenters: boolean): Axis {
  const k = ratio(inSize, outSize, alignCorners);
  const lo = new Int32Array(outSize);
  const hi = new Int32Array(outSize);
  const frac = new Float32Array(outSize);
  for (let i = 0; i < outSize; i++) {
    const src = halfPixelCenters ? k * (i + 0.5) - 0.5 : k * i;
    lo[i] = Math.max(0, Math.floor(src));
    hi[i] = Math.min(inSize - 1, Math.ceil(src));
    frac[i] = src - lo[i];
  }
  return { lo, hi, frac };
}

/** As tfjs's ResizeNearestNeighbor. */
export function nearestAxis(inSize: number, outSize: number, alignCorners: boolean, halfPixelCenters: boolean): Int32Array {
  const k = ratio(inSize, outSize, alignCorners);
  const idx = new Int32Array(outSize);
  for (let i = 0; i < outSize; i++) {
    const src = halfPixelCenters ? k * (i + 0.5) : k * i;
    let j = Math.min(inSize - 1, alignCorners ? Math.round(src) : Math.floor(src));
    if (halfPixelCenters) j = Math.max(0, j);
    idx[i] = j;
  }
  return idx;
}

/** The exact adjoint of bilinear resizing: scatter each dy pixel to its four sources. */
export function bilinearGrad(dy: Float32Array, dx: Float32Array, [n, h, w, c]: number[], [oh, ow]: number[], alignCorners: boolean, halfPixelCenters: boolean): void {
  const rows = bilinearAxis(h, oh, alignCorners, halfPixelCenters);
  const cols = bilinearAxis(w, ow, alignCorners, halfPixelCenters);
  dx.fill(0);
  let o = 0;
  for (let b = 0; b < n; b++) {
    for (let r = 0; r < oh; r++) {
      const rf = rows.frac[r];
      const top = (b * h + rows.lo[r]) * w;
      const bot = (b * h + rows.hi[r]) * w;
      for (let q = 0; q < ow; q++) {
        const cf = cols.frac[q];
        const tl = (top + cols.lo[q]) * c;
        const tr = (top + cols.hi[q]) * c;
        const bl = (bot + cols.lo[q]) * c;
        const br = (bot + cols.hi[q]) * c;
        const wtl = (1 - rf) * (1 - cf);
        const wtr = (1 - rf) * cf;
        const wbl = rf * (1 - cf);
        const wbr = rf * cf;
        for (let d = 0; d < c; d++, o++) {
          const g = dy[o];
          dx[tl + d] += g * wtl;
          dx[tr + d] += g * wtr;
          dx[bl + d] += g * wbl;
          dx[br + d] += g * wbr;
        }
      }
    }
  }
}

/** The exact adjoint of nearest-neighbour resizing: add each dy pixel to its source. */
export function nearestGrad(dy: Float32Array, dx: Float32Array, [n, h, w, c]: number[], [oh, ow]: number[], alignCorners: boolean, halfPixelCenters: boolean): void {
  const rows = nearestAxis(h, oh, alignCorners, halfPixelCenters);
  const cols = nearestAxis(w, ow, alignCorners, halfPixelCenters);
  dx.fill(0);
  let o = 0;
  for (let b = 0; b < n; b++) {
    for (let r = 0; r < oh; r++) {
      const base = (b * h + rows[r]) * w;
      for (let q = 0; q < ow; q++) {
        const s = (base + cols[q]) * c;
        for (let d = 0; d < c; d++, o++) dx[s + d] += dy[o];
      }
    }
  }
}
