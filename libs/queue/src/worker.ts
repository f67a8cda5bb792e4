import os from 'node:os';
import { UnrecoverableError, Worker, type Job } from 'bullmq';
import { createLocalEvaluator, type Evaluator, ProcessPoolEvaluator, type SearchConfig } from '@marl-hpo/search';
import { connectRedis, parseQueueUrl, type QueueConnectionOptions } from './connection';
import { configKey, KEEP_SECONDS, onnxKey, USER_ERROR_MARK, type EvaluateResult, type PrepareResult, type QueueJobData } from './protocol';

export interface QueueWorkerOptions {
  connection: QueueConnectionOptions;
  /** Jobs at once (default 1). */
  concurrency?: number;
  /**
   * The evaluation process entry (dist/apps/cli/eval.worker.js). With it, each evaluation runs
   * in a child process, so a crash or an out-of-memory kill fails only that attempt and a long
   * CPU-bound evaluation cannot block this process's lock renewals. Without it, in-process.
   */
  script?: string;
  /** In-process evaluator factory when no script is given (default: createLocalEvaluator). */
  makeEvaluator?: (config: SearchConfig) => Evaluator;
  /**
   * BullMQ lock duration and stall-check interval (default 30): a job whose worker died goes
   * back to the queue after one to three times this.
   */
  lockSeconds?: number;
  /** Times a job may lose its worker before it is failed (default 2). */
  maxStalls?: number;
  /** Stored on each job as `processedBy` (default host:pid). */
  name?: string;
  onEvent?(event: QueueWorkerEvent): void;
}

export interface QueueWorkerEvent {
  type: 'started' | 'completed' | 'failed' | 'error';
  /** BullMQ job id; absent for connection errors. */
  job?: string;
  kind?: QueueJobData['kind'];
  /** Global proposal number (evaluate jobs). */
  proposal?: number;
  /** How many times a worker has started this job, this time included (stalls count). */
  attempt?: number;
  seconds?: number;
  error?: string;
}

export interface QueueWorker {
  readonly name: string;
  /** Stops taking jobs, lets the running ones finish, closes the connections. */
  close(): Promise<void>;
}

/** One evaluator per search config, kept while its jobs keep coming (the dataset stays loaded). */
class Evaluators {
  private readonly entries = new Map<string, { evaluator: Evaluator; users: number }>();
  constructor(private readonly make: (config: SearchConfig) => Evaluator) {}

  async use<T>(config: SearchConfig, f: (e: Evaluator) => Promise<T>): Promise<T> {
    const key = configKey(config);
    let entry = this.entries.get(key);
    if (!entry) {
      for (const [k, old] of this.entries) {
        if (old.users > 0) continue;
        this.entries.delete(k);
        void old.evaluator.close();
      }
      entry = { evaluator: this.make(config), users: 0 };
      this.entries.set(key, entry);
    }
    entry.users++;
    try {
      return await f(entry.evaluator);
    } finally {
      entry.users--;
    }
  }

  async close(): Promise<void> {
    await Promise.allSettled([...this.entries.values()].map((e) => e.evaluator.close()));
    this.entries.clear();
  }
}

const messageOf = (e: unknown) => (e instanceof Error ? e.message : String(e));
const isUserError = (e: unknown) => e instanceof Error && (e as { userError?: unknown }).userError === true;

/**
 * `marl-hpo worker`: takes jobs from the queue, runs the local train/export/profile pipeline
 * (or the synthetic stand-in) with the job's config, and returns the metrics; the ONNX bytes go
 * to their own key. An error the user must fix fails the job at once (no retry) and stops the
 * coordinator's search; any other error uses one of the job's attempts.
 */
export async function startQueueWorker(opts: QueueWorkerOptions): Promise<QueueWorker> {
  const loc = parseQueueUrl(opts.connection);
  // Like BullMQ's worker connections: keep reconnecting, commands wait for Redis to come back.
  const redis = await connectRedis(loc, { retryStrategy: (times: number) => Math.min(1000 * times, 20_000), maxRetriesPerRequest: null });
  const concurrency = opts.concurrency ?? 1;
  const name = opts.name ?? `${os.hostname()}:${process.pid}`;
  const make = opts.script ? (config: SearchConfig) => new ProcessPoolEvaluator(config, concurrency, { script: opts.script as string }) : (opts.makeEvaluator ?? createLocalEvaluator);
  const evaluators = new Evaluators(make);
  const emit = (e: QueueWorkerEvent) => opts.onEvent?.(e);
  const describe = (job: Job<QueueJobData>) => ({
    job: job.id,
    kind: job.data.kind,
    ...(job.data.kind === 'evaluate' ? { proposal: job.data.job.proposal } : {}),
    attempt: job.attemptsStarted,
  });

  const processJob = async (job: Job<QueueJobData>, _token?: string, signal?: AbortSignal): Promise<PrepareResult | EvaluateResult> => {
    const data = job.data;
    const started = Date.now();
    emit({ type: 'started', ...describe(job) });
    try {
      if (data.kind === 'prepare') return { info: await evaluators.use(data.config, (e) => e.prepare()) };
      if (data.kind !== 'evaluate') throw new UnrecoverableError(`unknown job kind '${String((data as { kind?: unknown }).kind)}'`);
      const outcome = await evaluators.use(data.config, (e) => e.evaluate(data.job, signal ?? new AbortController().signal));
      if (outcome.onnx) await redis.set(onnxKey(loc, job.id as string), Buffer.from(outcome.onnx), 'EX', KEEP_SECONDS);
      return { metrics: outcome.metrics, timings: { ...outcome.timings, worker: (Date.now() - started) / 1000 }, ...(outcome.onnx ? { onnxBytes: outcome.onnx.length } : {}) };
    } catch (e) {
      if (isUserError(e)) throw new UnrecoverableError(USER_ERROR_MARK + messageOf(e).split('\n')[0]);
      // BullMQ keeps only the message: the trainer's last stderr lines travel as its next lines.
      const log = (e as { log?: unknown })?.log;
      if (Array.isArray(log) && log.length) throw new Error([messageOf(e).split('\n')[0], ...log.map(String)].join('\n'));
      throw e;
    }
  };

  const lockMs = (opts.lockSeconds ?? 30) * 1000;
  const worker = new Worker<QueueJobData>(loc.queue, processJob, {
    connection: loc.redis,
    prefix: loc.prefix,
    concurrency,
    name,
    lockDuration: lockMs,
    stalledInterval: lockMs,
    maxStalledCount: opts.maxStalls ?? 2,
  });
  worker.on('completed', (job) => emit({ type: 'completed', ...describe(job), seconds: ((job.finishedOn ?? Date.now()) - (job.processedOn ?? Date.now())) / 1000 }));
  worker.on('failed', (job, err) => job && emit({ type: 'failed', ...describe(job), error: messageOf(err).split('\n')[0] }));
  // While Redis is away every reconnection attempt errs: report a new message, or the same one every 30 s.
  let lastError = { text: '', at: 0 };
  worker.on('error', (err) => {
    const text = messageOf(err).split('\n')[0];
    if (text === lastError.text && Date.now() - lastError.at < 30_000) return;
    lastError = { text, at: Date.now() };
    emit({ type: 'error', error: text });
  });
  await worker.waitUntilReady();

  let closing: Promise<void> | undefined;
  return {
    name,
    close: () =>
      (closing ??= (async () => {
        await worker.close();
        await evaluators.close();
        redis.disconnect();
      })()),
  };
}
