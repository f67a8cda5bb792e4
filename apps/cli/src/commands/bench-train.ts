import { benchTrain as runBenchTrain } from '@marl-hpo/trainer';
import { intFlag, UsageError, type Command } from '../cli';

export const benchTrain: Command = {
  path: ['bench', 'train'],
  usage: 'bench train [--arch small|vgg] [--samples 2048] [--batch 64] [--epochs 2] [--threads 1] [--backend auto|wasm|tensorflow|cpu] [--json]',
  summary: 'Training throughput (samples/s) on the benchmark CNNs of ../shared/bench/torch_reference.py',
  options: {
    arch: { type: 'string' },
    samples: { type: 'string' },
    batch: { type: 'string' },
    epochs: { type: 'string' },
    threads: { type: 'string' },
    backend: { type: 'string' },
    json: { type: 'boolean' },
  },
  async run({ values }, io) {
    const arch = String(values['arch'] ?? 'small');
    if (arch !== 'small' && arch !== 'vgg') throw new UsageError(`--arch: expected small or vgg, got '${arch}'`);
    const backend = String(values['backend'] ?? 'auto');
    if (!['auto', 'wasm', 'tensorflow', 'cpu'].includes(backend)) throw new UsageError(`--backend: expected auto, wasm, tensorflow or cpu, got '${backend}'`);
    const result = await runBenchTrain({
      arch,
      samples: intFlag(values, 'samples', 2048, 1),
      batch: intFlag(values, 'batch', 64, 1),
      epochs: intFlag(values, 'epochs', 2, 1),
      threads: intFlag(values, 'threads', 1, 1),
      backend: backend as 'auto',
    });
    if (values['json']) {
      io.out(JSON.stringify(result));
      return;
    }
    io.out(`${result.framework}, ${result.arch}: ${result.trainSamplesPerSec.toFixed(1)} training samples/s (batch ${result.batch}, ${result.samples} samples x ${result.epochs} epochs, ${result.threads} thread(s))`);
  },
};
