import { BATCH_NORM_EPSILON } from '@marl-hpo/arch';
import type { EmitContext } from './context';

/**
 * Adds a conv-family layer's weight and bias initializers, with its batch norm (if any) folded in:
 * y = gamma (conv(x) - mean) / sqrt(var + eps) + beta = conv'(x) + b' with W' = W * scale per output
 * channel, scale = gamma / sqrt(var + eps), b' = beta - mean * scale. Folding keeps the exported graph
 * to what inference runs (no BatchNormalization node for a runtime to fuse, or not).
 *
 * `kernel` is already in ONNX layout; `outAxis` is its output-channel axis (0 for Conv, 1 for ConvTranspose).
 * Returns [weight, bias] initializer names.
 */
export function convParams(
  ctx: EmitContext,
  prefix: string,
  kernel: { data: Float32Array; shape: number[] },
  outAxis: 0 | 1,
  batchNorm: boolean,
): [string, string] {
  const channels = kernel.shape[outAxis];
  if (!batchNorm) {
    return [ctx.initializer(`${prefix}/weight`, kernel.shape, kernel.data), ctx.initializer(`${prefix}/bias`, [channels], ctx.weight(`${prefix}/bias`).data)];
  }
  const gamma = ctx.weight(`${prefix}/bn/gamma`).data;
  const beta = ctx.weight(`${prefix}/bn/beta`).data;
  const mean = ctx.weight(`${prefix}/bn/mean`).data;
  const variance = ctx.weight(`${prefix}/bn/variance`).data;
  const scale = Array.from(gamma, (g, c) => g / Math.sqrt(variance[c] + BATCH_NORM_EPSILON));
  // Output channel c owns contiguous runs of `run` values: one run (axis 0), or one per input channel (axis 1).
  const run = kernel.shape.slice(outAxis + 1).reduce((a, b) => a * b, 1);
  const w = new Float32Array(kernel.data.length);
  for (let start = 0, c = 0; start < w.length; start += run, c = (c + 1) % channels) {
    for (let i = start; i < start + run; i++) w[i] = kernel.data[i] * scale[c];
  }
  const b = Float32Array.from(scale, (s, c) => beta[c] - mean[c] * s);
  return [ctx.initializer(`${prefix}/weight`, kernel.shape, w), ctx.initializer(`${prefix}/bias`, [channels], b)];
}
