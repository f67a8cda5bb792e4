import * as tf from '@tensorflow/tfjs';
import { initBackend } from './backend';
import { profileTrain } from './profile';

const registry = () => new Map(tf.getKernelsForBackend('wasm').map((k) => [k.kernelName, k.kernelFunc]));

it('profiles a training step: every phase, the kernels of each, and restores the kernel registry', async () => {
  await initBackend({ backend: 'wasm' });
  const before = registry();
  const p = await profileTrain({ arch: 'small', batch: 8, steps: 2, backend: 'wasm' });
  expect(p.backend).toBe('wasm');
  expect(p.cpu.model.length).toBeGreaterThan(0);
  expect(p.stepMs).toBeCloseTo(p.phases.forward.ms + p.phases.backward.ms + p.phases.optimizer.ms, 2);
  for (const ph of Object.values(p.phases)) expect(ph.kernelMs).toBeLessThanOrEqual(ph.ms + 1e-6);
  const kernels = (phase: string) => new Set(p.ops.filter((o) => o.phase === phase).map((o) => o.kernel));
  expect(kernels('forward')).toEqual(expect.objectContaining(new Set(['FusedConv2D', 'MaxPool'])));
  expect([...kernels('backward')]).toEqual(expect.arrayContaining(['Conv2DBackpropFilter', 'Conv2DBackpropInput', 'MaxPoolGrad']));
  // Two conv layers, one training step each: 2 forward and 2 weight-gradient calls per step, 1 input gradient (conv1 reads the model's input).
  const calls = (phase: string, kernel: string) => p.ops.filter((o) => o.phase === phase && o.kernel === kernel).reduce((s, o) => s + o.calls, 0);
  expect(calls('forward', 'FusedConv2D')).toBe(2);
  expect(calls('backward', 'Conv2DBackpropFilter')).toBe(2);
  expect(calls('backward', 'Conv2DBackpropInput')).toBe(1);
  expect(p.ops.find((o) => o.kernel === 'FusedConv2D')?.shapes).toMatch(/^8x28x28x1 3x3x1x16 16$|^8x14x14x16 3x3x16x32 32$/);
  // 8 x (3 x (28*28*16*9 + 14*14*32*16*9 + 1568*10) - 28*28*16*9) multiply-adds.
  expect(p.macs).toBe(8 * (3 * (28 * 28 * 16 * 9 + 14 * 14 * 32 * 16 * 9 + 1568 * 10) - 28 * 28 * 16 * 9));
  expect(registry()).toEqual(before);
});
