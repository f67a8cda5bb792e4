/** Layout arithmetic shared by the emitters: tfjs NHWC weights -> ONNX NCHW, TF padding rules. */

/** Permutes a row-major tensor of rank <= 4: out dim i is in dim perm[i]. */
export function transpose(data: Float32Array, shape: number[], perm: number[]): { data: Float32Array; shape: number[] } {
  const rank = shape.length;
  if (rank > 4 || perm.length !== rank) throw new Error(`transpose: rank ${rank} with perm [${perm}]`);
  const outShape = perm.map((p) => shape[p]);
  const inStrides = new Array<number>(rank);
  for (let i = rank - 1, s = 1; i >= 0; s *= shape[i], i--) inStrides[i] = s;
  // Pad to rank 4 with leading size-1 dims; four plain loops keep this fast on 10^7-weight models.
  const pad = 4 - rank;
  const [n0, n1, n2, n3] = [...new Array<number>(pad).fill(1), ...outShape];
  const [s0, s1, s2, s3] = [...new Array<number>(pad).fill(0), ...perm.map((p) => inStrides[p])];
  const out = new Float32Array(data.length);
  let o = 0;
  for (let a = 0; a < n0; a++)
    for (let b = 0; b < n1; b++)
      for (let c = 0; c < n2; c++) {
        const base = a * s0 + b * s1 + c * s2;
        for (let d = 0; d < n3; d++) out[o++] = data[base + d * s3];
      }
  return { data: out, shape: outShape };
}

/**
 * TF/Keras 'same' padding of one spatial axis: output ceil(n / s), the odd pixel of padding at
 * the end (bottom/right). Returns [begin, end].
 */
export function samePad(n: number, kernel: number, stride: number): [number, number] {
  const out = Math.ceil(n / stride);
  const total = Math.max((out - 1) * stride + kernel - n, 0);
  return [Math.floor(total / 2), total - Math.floor(total / 2)];
}

/** ONNX `pads` ([top, left, bottom, right]) of a k x k window with TF padding on an [H, W] input. */
export function windowPads(h: number, w: number, kernel: number, stride: number, padding: 'same' | 'valid'): number[] {
  if (padding === 'valid') return [0, 0, 0, 0];
  const [t, b] = samePad(h, kernel, stride);
  const [l, r] = samePad(w, kernel, stride);
  return [t, l, b, r];
}
