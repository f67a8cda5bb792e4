/**
 * Memory bounds checked before a local runtime allocates anything: a batch of 100000, or a
 * model with a static 100000 x 100000 input, must be refused in one line instead of taking
 * all memory until the kernel kills the process.
 */
import os from 'node:os';
import type { ModelProto } from '@marl-hpo/onnx';
import { ProfilerError } from './errors';
import { graphCost } from './estimate/graph-cost';

/** Elements one JavaScript typed array (a fed tensor) can hold. */
export const MAX_TENSOR_ELEMENTS = 2 ** 32;

const gb = (bytes: number) => `${(bytes / 2 ** 30).toFixed(bytes < 2 ** 30 ? 2 : 1)} GB`;

/**
 * Copies of the outputs alive at once, besides onnxruntime's: each timed run hands its outputs
 * back as new JavaScript buffers, freed only by a later garbage collection. Measured (peak RSS of
 * `profile --batch`): a conv model whose output is its largest tensor used 3.3x graphCost's
 * peak, i.e. the peak plus about 3 output copies; a CNN with a small output used 0.9x the peak.
 */
const OUTPUT_COPIES = 3;

/**
 * Refuses a run whose inputs cannot be fed (more than MAX_TENSOR_ELEMENTS values) or whose
 * memory need (graphCost's liveness peak of inputs and activations, plus OUTPUT_COPIES of the
 * outputs) is above `available` bytes (default: the memory the OS reports available now).
 */
export function checkMemory(model: ModelProto, batch: number, source: string, available = os.freemem()): void {
  const cost = graphCost(model, batch);
  for (const input of cost.inputs) {
    if (!input.shape) continue;
    const elements = input.shape.reduce((a, b) => a * b, 1);
    if (elements > MAX_TENSOR_ELEMENTS || elements * input.elementBytes > available) {
      const limit = elements > MAX_TENSOR_ELEMENTS ? `more than the ${MAX_TENSOR_ELEMENTS} values one tensor can hold` : `more than the ${gb(available)} of memory available`;
      throw new ProfilerError(`${source}: input '${input.name}' [${input.shape.join(', ')}] at batch ${batch} is ${elements} values (${gb(elements * input.elementBytes)}), ${limit}; lower the batch or the model's input size`);
    }
  }
  const need = cost.peakActivationBytes + OUTPUT_COPIES * cost.outputBytes;
  if (need > available) {
    throw new ProfilerError(`${source}: at batch ${batch} the model needs about ${gb(need)} for its tensors, more than the ${gb(available)} of memory available; lower the batch`);
  }
}
