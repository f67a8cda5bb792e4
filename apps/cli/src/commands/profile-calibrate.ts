import { calibrate, generateCalibrationModels, readModelFile, type CalibrationModel } from '@marl-hpo/profiler';
import { writeFileAtomic } from '@marl-hpo/search';
import { intFlag, table, UsageError, type Command } from '../cli';
import { measureFlags, optionsFromFlags } from './profile';

const pct = (x: number) => `${(x * 100).toFixed(1)}%`;

export const profileCalibrate: Command = {
  path: ['profile', 'calibrate'],
  usage: 'profile calibrate [model.onnx...] [--models 48] [--seed 0] [--holdout 0.25] [--out profiler-calibration.json] [--backend ort-cpu] [--threads 1] [--json]',
  summary:
    "Fits the 'estimate' backend: measures models (the given files, or --models generated from the vgg/inception/unet templates) on a backend, " +
    'fits latency on MACs and memory traffic, reports the relative error on held-out models and saves the fit (use it with --backend estimate --calibration <file>)',
  options: { ...measureFlags, models: { type: 'string' }, holdout: { type: 'string' }, out: { type: 'string' }, json: { type: 'boolean' } },
  async run({ positionals, values }, io) {
    const measure = optionsFromFlags(values);
    const seed = intFlag(values, 'seed', 0);
    const holdout = values.holdout === undefined ? 0.25 : Number(values.holdout);
    if (!(holdout > 0 && holdout < 1)) throw new UsageError(`--holdout: expected a fraction between 0 and 1, got '${String(values.holdout)}'`);
    const out = typeof values.out === 'string' ? values.out : 'profiler-calibration.json';
    let models: CalibrationModel[];
    if (positionals.length > 0) {
      if (values.models !== undefined) throw new UsageError('--models: give either model files or --models, not both');
      models = await Promise.all(positionals.map(async (f) => ({ name: f, bytes: await readModelFile(f) })));
    } else {
      const n = intFlag(values, 'models', 48, 8);
      if (io.isTTY && !values.json) io.err(`generating ${n} models from the vgg, inception and unet templates...`);
      models = generateCalibrationModels(n, { seed });
    }
    const progress = io.isTTY && !values.json ? (done: number, total: number, name: string) => io.err(`measuring ${done + 1 > total ? total : done + 1}/${total} ${name}`) : undefined;
    const { calibration, points } = await calibrate(models, { measure, holdout, seed, onProgress: progress });
    try {
      writeFileAtomic(out, JSON.stringify(calibration, null, 2) + '\n');
    } catch (e) {
      throw new UsageError(`--out ${out}: cannot write (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
    }
    if (values.json) {
      io.out(JSON.stringify({ out, calibration, points }));
      return;
    }
    const rows = points.map((p) => [p.name, p.set, p.cost.macs.toLocaleString('en-US'), p.measuredMs.toFixed(3), p.estimatedMs.toFixed(3), pct(Math.abs(p.estimatedMs - p.measuredMs) / p.measuredMs)]);
    io.out(table(['model', 'set', 'MACs', 'measured ms', 'estimated ms', 'error'], rows));
    io.out(
      `\n${calibration.backend} on ${calibration.device}, ${calibration.threads} thread(s), batch ${calibration.batch}\n` +
        `fit on ${calibration.fitModels} models: mean error ${pct(calibration.fitError.mean)}, max ${pct(calibration.fitError.max)}\n` +
        `held out ${calibration.heldOutModels} models: mean error ${pct(calibration.heldOutError.mean)}, max ${pct(calibration.heldOutError.max)}\n` +
        `saved ${out}; use it with: marl-hpo profile <model.onnx> --backend estimate --calibration ${out}`,
    );
  },
};
