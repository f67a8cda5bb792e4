import * as ort from 'onnxruntime-node';
import { CNN, makeModels } from '../testing/make-models';
import { concreteShape, randomFeeds } from './ort-feeds';

describe('random feeds', () => {
  const models = makeModels([CNN, { name: 'fixed', input: [1, 4, 4], batch: 2, layers: [{ op: 'relu' }] }]);

  it('puts the batch into the dynamic first dimension and keeps fixed ones', async () => {
    const s = await ort.InferenceSession.create(models.file('cnn'));
    const feeds = randomFeeds(ort, s, 16, 0, 'cnn.onnx');
    expect(feeds.input.dims).toEqual([16, 3, 32, 32]);
    const out = await s.run(feeds);
    expect(out.output.dims).toEqual([16, 10]);
    const fixed = await ort.InferenceSession.create(models.file('fixed'));
    expect(randomFeeds(ort, fixed, 16, 0, 'fixed.onnx').input.dims).toEqual([2, 1, 4, 4]);
  });

  it('is deterministic per seed', async () => {
    const s = await ort.InferenceSession.create(models.file('cnn'));
    const a = randomFeeds(ort, s, 1, 7, 'm').input.data as Float32Array;
    const b = randomFeeds(ort, s, 1, 7, 'm').input.data as Float32Array;
    const c = randomFeeds(ort, s, 1, 8, 'm').input.data as Float32Array;
    expect(Array.from(a)).toEqual(Array.from(b));
    expect(Array.from(a)).not.toEqual(Array.from(c));
    expect(Math.min(...a)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...a)).toBeLessThan(1);
  });

  it('refuses a dynamic non-batch dimension, naming it', () => {
    expect(() => concreteShape('x', ['N', 3, 'H', 'W'], 1, 'm.onnx')).toThrow("m.onnx: input 'x' has a dynamic dimension 'H' at axis 2");
    expect(concreteShape('x', ['N', 3, 8, 8], 4, 'm.onnx')).toEqual([4, 3, 8, 8]);
  });
});
