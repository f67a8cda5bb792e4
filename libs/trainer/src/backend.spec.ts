// Backend switching in one process (a fresh tfjs per spec file): cpu first, then wasm, whose stock
// kernels that ours call must still have been set up; then back to cpu.
import fs from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import { initBackend, wasmDir } from './backend';
import { TrainerError } from './errors';

it('switches cpu -> wasm -> cpu and every backend runs our kernels and the stock ones they call', async () => {
  const run = () =>
    tf.tidy(() => {
      const x = tf.ones([1, 6, 6, 4]) as tf.Tensor4D;
      const w = tf.ones([3, 3, 4, 8]) as tf.Tensor4D; // co % 4 == 0: our SIMD conv on wasm
      const w3 = tf.ones([3, 3, 4, 3]) as tf.Tensor4D; // co % 4 != 0: the stock (XNNPACK) conv on wasm
      return [tf.conv2d(x, w, 1, 'same'), tf.conv2d(x, w3, 1, 'same')].map((t) => t.sum().dataSync()[0]);
    });
  expect(await initBackend({ backend: 'cpu' })).toEqual({ name: 'cpu', threads: 1 });
  const cpu = run();
  // Ones through a 3x3 'same' conv: each pixel sums 4 channels over its valid taps, (2+3+3+3+3+2)^2 in all.
  expect(cpu).toEqual([16 * 16 * 4 * 8, 16 * 16 * 4 * 3]);
  expect(await initBackend({ backend: 'wasm' })).toEqual({ name: 'wasm', threads: 1 });
  expect(tf.getBackend()).toBe('wasm');
  expect(run()).toEqual(cpu);
  expect((await initBackend({ backend: 'cpu' })).name).toBe('cpu');
  expect((await initBackend()).name).toBe('cpu'); // 'auto' keeps the backend in use
});

it('finds the wasm binaries through module resolution', () => {
  expect(fs.existsSync(`${wasmDir()}tfjs-backend-wasm-simd.wasm`)).toBe(true);
});

it('rejects bad options naming the field', async () => {
  await expect(initBackend({ threads: 0 })).rejects.toThrow(TrainerError);
  await expect(initBackend({ backend: 'gpu' as 'wasm' })).rejects.toThrow(/^backend: expected auto, tensorflow, wasm or cpu, got 'gpu'$/);
});
