import type * as ort from 'onnxruntime-node';
import { ProfilerError } from '../errors';

type Ort = typeof ort;

/** mulberry32: a small seeded PRNG, so the same seed feeds the same data. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Concrete shape of an input: a symbolic (or -1) first dimension is the batch; any other
 * symbolic dimension cannot be guessed and is an error naming it.
 */
export function concreteShape(name: string, shape: readonly (number | string)[], batch: number, source: string): number[] {
  return shape.map((d, i) => {
    if (typeof d === 'number' && d >= 0) return d;
    if (i === 0) return batch;
    throw new ProfilerError(`${source}: input '${name}' has a dynamic dimension '${d}' at axis ${i}; only the batch axis (0) may be dynamic`);
  });
}

/** Random tensors for every model input, shaped by its metadata (first dimension -> batch). */
export function randomFeeds(ortLib: Ort, session: ort.InferenceSession, batch: number, seed: number, source: string): Record<string, ort.Tensor> {
  const next = rng(seed);
  const feeds: Record<string, ort.Tensor> = {};
  for (const m of session.inputMetadata) {
    if (!m.isTensor) throw new ProfilerError(`${source}: input '${m.name}' is not a tensor; only tensor inputs can be fed`);
    const shape = concreteShape(m.name, m.shape, batch, source);
    const size = shape.reduce((a, b) => a * b, 1);
    let data: ort.Tensor.DataType;
    switch (m.type) {
      case 'float32':
        data = Float32Array.from({ length: size }, next);
        break;
      case 'float64':
        data = Float64Array.from({ length: size }, next);
        break;
      case 'int32':
        data = Int32Array.from({ length: size }, () => Math.floor(next() * 2));
        break;
      case 'int64':
        data = BigInt64Array.from({ length: size }, () => BigInt(Math.floor(next() * 2)));
        break;
      case 'uint8':
        data = Uint8Array.from({ length: size }, () => Math.floor(next() * 256));
        break;
      case 'bool':
        data = Uint8Array.from({ length: size }, () => (next() < 0.5 ? 1 : 0));
        break;
      default:
        throw new ProfilerError(`${source}: input '${m.name}' has element type ${m.type}, which the profiler cannot feed yet`);
    }
    feeds[m.name] = new ortLib.Tensor(m.type, data, shape);
  }
  return feeds;
}
