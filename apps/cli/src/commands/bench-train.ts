import { loadDataset } from '@marl-hpo/data';
import { benchAccuracy, benchArchs, benchTrain as runBenchTrain, profileTrain, type TrainProfile } from '@marl-hpo/trainer';
import { intFlag, UsageError, type Command } from '../cli';

export const benchTrain: Command = {
  path: ['bench', 'train'],
  usage:
    'bench train [--arch small|vgg|vgg-bn] [--samples 2048] [--batch 64] [--epochs 2] [--threads 1] [--backend auto|wasm|tensorflow|cpu] [--data <spec> [--train-limit N] [--val-fraction 0.1] [--lr 0.001] [--normalize MEAN,STD] [--seed 0]] [--profile [--steps 10]] [--json]',
  summary:
    'Training throughput (samples/s) of the benchmark CNNs of ../shared/bench/torch_reference.py on random data; with --data (e.g. idx:/usr/share/datasets/fashion-mnist), trains on it and reports test accuracy; with --profile, where the time of one training step goes (per kernel and phase)',
  options: {
    arch: { type: 'string' },
    samples: { type: 'string' },
    batch: { type: 'string' },
    epochs: { type: 'string' },
    threads: { type: 'string' },
    backend: { type: 'string' },
    data: { type: 'string' },
    'train-limit': { type: 'string' },
    'val-fraction': { type: 'string' },
    lr: { type: 'string' },
    normalize: { type: 'string' },
    seed: { type: 'string' },
    profile: { type: 'boolean' },
    steps: { type: 'string' },
    json: { type: 'boolean' },
  },
  async run({ values }, io) {
    const arch = String(values['arch'] ?? 'small');
    if (!Object.keys(benchArchs).includes(arch)) throw new UsageError(`--arch: expected ${Object.keys(benchArchs).join(', ')}, got '${arch}'`);
    const backend = String(values['backend'] ?? 'auto');
    if (!['auto', 'wasm', 'tensorflow', 'cpu'].includes(backend)) throw new UsageError(`--backend: expected auto, wasm, tensorflow or cpu, got '${backend}'`);
    const common = {
      arch,
      batch: intFlag(values, 'batch', 64, 1),
      epochs: intFlag(values, 'epochs', 2, 1),
      threads: intFlag(values, 'threads', 1, 1),
      backend: backend as 'auto',
    };
    const json = Boolean(values['json']);
    if (values['profile']) {
      const p = await profileTrain({ arch, batch: common.batch, threads: common.threads, backend: common.backend, steps: intFlag(values, 'steps', 10, 1) });
      if (json) io.out(JSON.stringify(p));
      else for (const line of formatProfile(p)) io.out(line);
      return;
    }
    if (values['data'] !== undefined) {
      const trainLimit = values['train-limit'] === undefined ? undefined : intFlag(values, 'train-limit', 0, 1);
      const seed = intFlag(values, 'seed', 0, 0);
      const learningRate = values['lr'] === undefined ? undefined : Number(values['lr']);
      if (learningRate !== undefined && !(learningRate > 0)) throw new UsageError(`--lr: expected a positive number, got '${String(values['lr'])}'`);
      let normalize: { mean: number[]; std: number[] } | undefined;
      if (values['normalize'] !== undefined) {
        const [mean, std] = String(values['normalize']).split(',').map(Number);
        if (!Number.isFinite(mean) || !(std > 0)) throw new UsageError(`--normalize: expected MEAN,STD in [0, 1] units, e.g. 0.286,0.353, got '${String(values['normalize'])}'`);
        normalize = { mean: [mean], std: [std] };
      }
      const valFraction = values['val-fraction'] === undefined ? undefined : Number(values['val-fraction']);
      if (valFraction !== undefined && !(valFraction >= 0 && valFraction < 1)) throw new UsageError(`--val-fraction: expected a number in [0, 1), got '${String(values['val-fraction'])}'`);
      // --val-fraction 0: train on every training image; the epoch lines then show the test split.
      const data = await loadDataset(String(values['data']), { seed, normalize, valFraction, limit: trainLimit ? { train: trainLimit } : undefined });
      const r = await benchAccuracy({ ...common, data, seed, learningRate, progress: io.isTTY && !json ? { write: (t: string) => io.err(t.trimEnd()) } : undefined });
      if (json) {
        io.out(JSON.stringify(r));
        return;
      }
      const quality = (m: object | undefined) => (m ? Object.entries(m).map(([k, v]) => `${k} ${(v as number).toFixed(4)}`).join(', ') : 'n/a');
      io.out(`${r.framework}, ${r.arch} on ${data.name}: ${r.samples} training samples x ${r.epochs} epochs in ${r.trainSeconds.toFixed(1)} s (${r.trainSamplesPerSec.toFixed(1)} samples/s)`);
      io.out(`val: ${quality(r.val)}`);
      io.out(`test: ${quality(r.test)}`);
      return;
    }
    const result = await runBenchTrain({ ...common, samples: intFlag(values, 'samples', 2048, 1) });
    if (json) {
      io.out(JSON.stringify(result));
      return;
    }
    io.out(`${result.framework}, ${result.arch}: ${result.trainSamplesPerSec.toFixed(1)} training samples/s (batch ${result.batch}, ${result.samples} samples x ${result.epochs} epochs, ${result.threads} thread(s))`);
  },
};

function formatProfile(p: TrainProfile): string[] {
  const pct = (ms: number) => `${((100 * ms) / p.stepMs).toFixed(1)}%`.padStart(6);
  const lines = [
    `${p.arch}, batch ${p.batch}, tfjs-${p.backend} on ${p.cpu.model} (${p.cpu.simd}; wasm relaxed SIMD ${p.cpu.wasm.relaxedSimd ? 'on' : 'off'}): ${p.stepMs.toFixed(1)} ms per step, ${p.gmacPerSec} GMAC/s, peak RSS ${p.peakRssMb} MB`,
  ];
  for (const [name, ph] of Object.entries(p.phases)) {
    lines.push(`  ${name.padEnd(9)} ${ph.ms.toFixed(2).padStart(8)} ms ${pct(ph.ms)}  kernels ${ph.kernelMs.toFixed(2)} ms (${ph.kernelCalls} calls), dispatch ${ph.dispatchMs.toFixed(2)} ms, malloc/free ${ph.allocMs.toFixed(2)} ms (${ph.allocs}, ${(ph.allocBytes / 1e6).toFixed(1)} MB)`);
  }
  lines.push('  by kind: ' + Object.entries(p.kinds).map(([k, ms]) => `${k} ${(ms as number).toFixed(2)} ms`).join(', '));
  for (const o of p.ops) lines.push(`  ${o.phase.padEnd(9)} ${o.kernel.padEnd(22)} ${o.shapes.padEnd(30)} ${String(o.calls).padStart(4)} calls ${o.ms.toFixed(2).padStart(8)} ms ${pct(o.ms)}`);
  return lines;
}
