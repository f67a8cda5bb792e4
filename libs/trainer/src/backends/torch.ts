/**
 * PyTorch (python/marl_hpo_torch): one persistent Python process per session (per search worker)
 * serves every job over a line protocol on stdin/stdout, with the job folders of the command
 * protocol. torch is imported and the dataset's .npy arrays are mapped once; CUDA is used when
 * available. Aborts and timeouts end the process group; the next job starts a new worker.
 */
import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import { TrainerError, TrainerFailure, TrainingAborted } from '../errors';
import { datasetArrays, jobDocument, JobFolders, readOutputs, writeJob, type JobFolder } from '../job-folder';
import { TASK_METRICS } from '../metrics';
import { describeExit, ProcessGroup } from '../process-group';
import type { Trainer, TrainerConfig } from '../types';

const seconds = (since: number) => (performance.now() - since) / 1000;
/** Importing torch takes seconds, more on a loaded machine. */
const START_TIMEOUT_MS = 180_000;

type Reply = { type: 'ready'; torch: string; cuda: boolean; pid: number } | { type: 'done'; id: number; seconds: number } | { type: 'failed'; id: number; error: string; seconds: number };

/** The folder holding the marl_hpo_torch package (python/ at the repository or package root). */
export function torchPackageDir(): string {
  for (let dir = __dirname; ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, 'python');
    if (fs.existsSync(path.join(candidate, 'marl_hpo_torch', '__init__.py'))) return candidate;
    if (path.dirname(dir) === dir) throw new TrainerError(`trainer.backend 'torch': the marl_hpo_torch Python package was not found above ${__dirname}`);
  }
}

function interpreters(config: TrainerConfig): string[] {
  if (config.python) return [config.python];
  if (process.env.MARL_HPO_PYTHON) return [process.env.MARL_HPO_PYTHON];
  return ['python3', '/usr/bin/python3'];
}

/** One Python worker process and its replies. */
class Worker {
  private readonly replies = new Map<number, (r: Reply) => void>();
  private nextId = 1;
  readonly ready: Promise<Reply & { type: 'ready' }>;
  /** Receives the worker's stderr (the current job's log file). */
  output?: (d: Buffer) => void;
  readonly group: ProcessGroup;

  constructor(python: string, env: NodeJS.ProcessEnv) {
    this.group = new ProcessGroup([python, '-u', '-m', 'marl_hpo_torch', '--serve'], { env, watchdog: false, output: (d, stream) => stream === 'stderr' && this.output?.(d) });
    let onReady: (r: Reply & { type: 'ready' }) => void = () => undefined;
    this.ready = new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no ready message within ${START_TIMEOUT_MS / 1000} s`)), START_TIMEOUT_MS);
      onReady = (r) => {
        clearTimeout(timer);
        resolve(r);
      };
      void this.group.exited.then((e) => {
        clearTimeout(timer);
        reject(new Error(`${python} ${describeExit(e)}: ${this.group.stderr.get().slice(-1)[0] ?? 'no output'}`));
      });
    });
    this.ready.catch(() => undefined);
    readline.createInterface({ input: this.group.child.stdout as NodeJS.ReadableStream }).on('line', (line) => {
      let r: Reply;
      try {
        r = JSON.parse(line);
      } catch {
        return; // not a reply (the worker sends stray output to stderr; be lenient anyway)
      }
      if (r.type === 'ready') onReady(r);
      else this.replies.get(r.id)?.(r);
    });
  }

  /** Sends a job; resolves with the reply, or rejects when the worker exits first. */
  request(folder: JobFolder): { id: number; reply: Promise<Reply> } {
    const id = this.nextId++;
    const reply = new Promise<Reply>((resolve, reject) => {
      this.replies.set(id, resolve);
      void this.group.exited.then((e) => reject(new TrainerFailure(`the torch worker ${describeExit(e)} during the job`, this.group.stderr.get())));
    });
    reply.catch(() => undefined).finally(() => this.replies.delete(id));
    this.group.child.stdin?.write(JSON.stringify({ type: 'train', id, job: folder.dir }) + '\n');
    return { id, reply };
  }
}

export const torchTrainer: Trainer = {
  async open(config, ctx) {
    if (config.timeoutSeconds !== undefined && !(config.timeoutSeconds > 0)) throw new TrainerError(`trainer.timeoutSeconds: expected a number > 0, got ${config.timeoutSeconds}`);
    const pkg = torchPackageDir();
    const env = { ...process.env, PYTHONPATH: [pkg, process.env.PYTHONPATH].filter(Boolean).join(path.delimiter), PYTHONDONTWRITEBYTECODE: '1' };
    const arrays = await datasetArrays(config, ctx, true);
    const required = [...TASK_METRICS[ctx.dataset.task]];
    const folders = new JobFolders(config);

    // The first interpreter whose worker starts (imports torch) is kept for restarts.
    let python: string | undefined;
    const start = async (): Promise<Worker> => {
      const reasons: string[] = [];
      for (const candidate of python ? [python] : interpreters(config)) {
        const w = new Worker(candidate, env);
        try {
          await w.ready;
          python = candidate;
          return w;
        } catch (e) {
          await w.group.end();
          reasons.push(`[${candidate}] ${(e as Error).message}`);
        }
      }
      throw new TrainerError(`trainer.python: cannot start the torch worker (python -m marl_hpo_torch --serve): ${reasons.join('; ')}; set trainer.python or MARL_HPO_PYTHON to an interpreter with torch and numpy`);
    };
    let worker: Promise<Worker> | undefined = start();
    const ready = await (await worker).ready;
    if (config.device === 'cuda' && !ready.cuda) {
      await (await worker).group.end();
      throw new TrainerError(`trainer.device: 'cuda', but torch ${ready.torch} (${python}) sees no CUDA device on this machine; use 'auto' or 'cpu'`);
    }

    let queue: Promise<unknown> = Promise.resolve();
    const runJob = async (job: Parameters<typeof jobDocument>[1], signal: AbortSignal) => {
      if (signal.aborted) throw new TrainingAborted();
      const folder = await folders.next(job.proposal);
      await writeJob(folder, jobDocument(folder, job, config, ctx, arrays, required));
      const w = await (worker ??= start());
      const log = fs.createWriteStream(folder.log);
      w.output = (d) => log.write(d);
      w.group.stderr.clear();
      const started = performance.now();
      let ended: 'timeout' | 'aborted' | undefined;
      const stop = (why: 'timeout' | 'aborted') => {
        ended ??= why;
        worker = undefined; // the next job starts a fresh worker
        void w.group.end();
      };
      const onAbort = () => stop('aborted');
      signal.addEventListener('abort', onAbort);
      const timer = config.timeoutSeconds === undefined ? undefined : setTimeout(() => stop('timeout'), config.timeoutSeconds * 1000);
      try {
        let reply: Reply;
        try {
          reply = await w.request(folder).reply;
        } catch (e) {
          worker = undefined;
          if (ended === 'aborted') throw new TrainingAborted();
          if (ended === 'timeout') throw new TrainerFailure(`torch training timed out after ${config.timeoutSeconds} s (its worker was ended)`, w.group.stderr.get());
          throw e;
        }
        const tail = w.group.stderr.get();
        if (reply.type === 'failed') throw new TrainerFailure(`torch: ${reply.error}`, tail);
        const wall = seconds(started);
        const checked = performance.now();
        try {
          const out = await readOutputs(folder, job, ctx, required, wall);
          return { ...out, timings: { train: reply.type === 'done' ? reply.seconds : wall, roundTrip: wall, check: seconds(checked) } };
        } catch (e) {
          throw e instanceof TrainerFailure ? new TrainerFailure(e.message, tail) : e;
        }
      } finally {
        clearTimeout(timer);
        signal.removeEventListener('abort', onAbort);
        w.output = undefined;
        await new Promise((resolve) => log.end(resolve));
        await folders.done(folder);
      }
    };

    return {
      metrics: [...required, 'trainSeconds'],
      // One job at a time per worker process.
      train(job, signal) {
        const run = queue.then(() => runJob(job, signal));
        queue = run.catch(() => undefined);
        return run;
      },
      async close() {
        const w = await worker?.catch(() => undefined);
        worker = undefined;
        await w?.group.end();
        await folders.close();
      },
    };
  },
};
