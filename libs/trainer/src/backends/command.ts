/**
 * A team's own training program: for each evaluation, `<command...> <job-folder>` in its own
 * process group; it reads job.json and writes metrics.json and model.onnx (docs/TRAINERS.md).
 */
import fs from 'node:fs';
import path from 'node:path';
import { TrainerError, TrainerFailure, TrainingAborted } from '../errors';
import { datasetArrays, jobDocument, JobFolders, qualityMetric, readOutputs, writeJob } from '../job-folder';
import { describeExit, ProcessGroup, runToEnd } from '../process-group';
import type { Trainer, TrainerConfig } from '../types';

const seconds = (since: number) => (performance.now() - since) / 1000;

/** An executable: a path (relative to cwd) or a name found on PATH. */
function findExecutable(name: string, cwd: string): string | undefined {
  const candidates = name.includes('/') ? [path.resolve(cwd, name)] : (process.env.PATH ?? '').split(path.delimiter).filter(Boolean).map((d) => path.join(d, name));
  return candidates.find((f) => {
    try {
      fs.accessSync(f, fs.constants.X_OK);
      return fs.statSync(f).isFile();
    } catch {
      return false;
    }
  });
}

/** Checks the options a command trainer needs; a problem is a user error naming the field. */
export function checkCommandConfig(config: TrainerConfig): { argv: string[]; cwd: string } {
  const argv = config.command;
  if (!Array.isArray(argv) || argv.length === 0 || !argv.every((a) => typeof a === 'string' && a !== '')) {
    throw new TrainerError('trainer.command: the command backend needs the program and its arguments, e.g. ["python3", "train.py"]');
  }
  const cwd = path.resolve(config.cwd ?? '.');
  if (!fs.existsSync(cwd) || !fs.statSync(cwd).isDirectory()) throw new TrainerError(`trainer.cwd: '${config.cwd}' is not a folder`);
  if (!findExecutable(argv[0], cwd)) throw new TrainerError(`trainer.command[0]: '${argv[0]}' is not an executable ${argv[0].includes('/') ? `(relative to ${cwd})` : 'on PATH'}`);
  if (config.timeoutSeconds !== undefined && !(config.timeoutSeconds > 0)) throw new TrainerError(`trainer.timeoutSeconds: expected a number > 0, got ${config.timeoutSeconds}`);
  return { argv, cwd };
}

export const commandTrainer: Trainer = {
  async open(config, ctx) {
    const { argv, cwd } = checkCommandConfig(config);
    const required = [...new Set([qualityMetric(ctx.dataset.task), ...(config.metrics ?? [])])];
    const arrays = await datasetArrays(config, ctx, false);
    const folders = new JobFolders(config);
    const running = new Set<ProcessGroup>();
    return {
      metrics: [...required, 'trainSeconds'],
      async train(job, signal) {
        if (signal.aborted) throw new TrainingAborted();
        const folder = await folders.next(job.proposal);
        await writeJob(folder, jobDocument(folder, job, config, ctx, arrays, required));
        const log = fs.createWriteStream(folder.log);
        const started = performance.now();
        const g = new ProcessGroup([...argv, folder.dir], { cwd, watchdog: true, output: (d) => log.write(d) });
        running.add(g);
        try {
          const { exit, ended } = await runToEnd(g, signal, config.timeoutSeconds);
          await new Promise((resolve) => log.end(resolve));
          const tail = g.stderr.get();
          if (ended === 'aborted') throw new TrainingAborted();
          if (ended === 'timeout') throw new TrainerFailure(`trainer command timed out after ${config.timeoutSeconds} s (its process group was ended)`, tail);
          if (exit.code !== 0) throw new TrainerFailure(`trainer command ${describeExit(exit)}`, tail);
          const wall = seconds(started);
          const checked = performance.now();
          try {
            const out = await readOutputs(folder, job, ctx, required, wall);
            return { ...out, timings: { train: wall, check: seconds(checked) } };
          } catch (e) {
            throw e instanceof TrainerFailure ? new TrainerFailure(e.message, tail) : e;
          }
        } finally {
          running.delete(g);
          log.end();
          await folders.done(folder);
        }
      },
      async close() {
        await Promise.all([...running].map((g) => g.end()));
        await folders.close();
      },
    };
  },
};
