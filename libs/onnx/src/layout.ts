/** Layout arithmetic shared by the emitters: tfjs NHWC weights -> ONNX NCHW, TF padding rules. */

/** Permutes a row-major tensor: out dim i is in dim perm[i]. */
export function transpose(data: Float32Array, shape: number[], perm: number[]): { data: Float32Array; shape: number[] } {
  const rank = shape.length;
  const outShape = perm.map((p) => shape[p]);
  const inStrides = new Array<number>(rank);
  for (let i = rank - 1, s = 1; i >= 0; s *= shape[i], i--) inStrides[i] = s;
  const stride = perm.map((p) => inStrides[p]);
  const out = new Float32Array(data.length);
  const idx = new Array<number>(rank).fill(0);
  for (let o = 0, src = 0; o < out.length; o++) {
    out[o] = data[src];
    // Odometer over the output index, keeping the source offset in step.
    for (let d = rank - 1; d >= 0; d--) {
      if (++idx[d] < outShape[d]) {
        src += stride[d];
        break;
      }
      src -= stride[d] * (outShape[d] - 1);
      idx[d] = 0;
    }
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
