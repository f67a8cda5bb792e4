import { readFileSync } from 'node:fs';
import { decodeModel } from '@marl-hpo/onnx';
import { graphCost } from './estimate/graph-cost';
import { measure } from './measure';
import { checkMemory, MAX_TENSOR_ELEMENTS } from './memory';
import { makeModels } from './testing/make-models';

describe('memory bounds before onnxruntime allocates', () => {
  const models = makeModels([
    { name: 'conv', input: [3, 16, 16], layers: [{ op: 'conv', out: 8, k: 3, pad: 1 }, { op: 'relu' }] },
    { name: 'huge', input: [1, 100000, 100000], batch: 1, layers: [{ op: 'relu' }] },
  ]);
  const conv = decodeModel(readFileSync(models.file('conv')));

  it('refuses a batch whose tensors need more than the memory available, naming the batch and the limit', () => {
    const c = graphCost(conv, 1000);
    // Input and conv output alive together (python's liveness reference agrees, graph-cost.spec), plus 3 output copies.
    const need = c.peakActivationBytes + 3 * c.outputBytes;
    expect(c.peakActivationBytes).toBe(models.ref.conv.peakActivationBytes * 1000);
    expect(() => checkMemory(conv, 1000, 'conv.onnx', need)).not.toThrow();
    expect(() => checkMemory(conv, 1000, 'conv.onnx', need - 1)).toThrow(
      `conv.onnx: at batch 1000 the model needs about ${(need / 2 ** 30).toFixed(2)} GB for its tensors, more than the ${((need - 1) / 2 ** 30).toFixed(2)} GB of memory available; lower the batch`,
    );
  });

  it('refuses an input no typed array can hold, whatever the memory', () => {
    const huge = decodeModel(readFileSync(models.file('huge')));
    expect(() => checkMemory(huge, 1, 'huge.onnx', Number.MAX_SAFE_INTEGER)).toThrow(
      `huge.onnx: input 'input' [1, 1, 100000, 100000] at batch 1 is 10000000000 values (37.3 GB), more than the ${MAX_TENSOR_ELEMENTS} values one tensor can hold; lower the batch or the model's input size`,
    );
  });

  it('measure() refuses them with a user error before any allocation', async () => {
    await expect(measure(models.file('huge'))).rejects.toMatchObject({ userError: true, message: expect.stringContaining("input 'input' [1, 1, 100000, 100000]") });
    // 2^31 images of 3x16x16 floats: the input alone is beyond any typed array.
    await expect(measure(models.file('conv'), { batch: 2 ** 31 })).rejects.toMatchObject({ userError: true, message: expect.stringContaining('at batch 2147483648 is') });
  });
});
