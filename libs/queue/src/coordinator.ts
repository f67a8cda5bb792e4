import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { Queue, QueueEvents, type Job } from 'bullmq';
import type IORedis from 'ioredis';
import { type DatasetInfo, type EvalJob, type EvalOutcome, type Evaluator, readJournal, type SearchConfig, writeFileAtomic } from '@marl-hpo/search';
import { connectRedis, coordinatorRedis, parseQueueUrl, QueueConnectionError, type QueueConnectionOptions, type QueueLocation } from './connection';
import { evaluateJobId, KEEP_SECONDS, onnxKey, outstandingKey, prepareJobId, proposalOf, USER_ERROR_MARK, type EvaluateResult, type PrepareResult, type QueueJobData } from './protocol';

export interface QueueEvaluatorOptions {
  connection: QueueConnectionOptions;
  config: SearchConfig;
  /** The run folder: queue.json keeps the run's id, and the journal's length numbers the proposals of a resumed run. */
  out: string;
  /** Attempts per evaluation (a worker killed mid-job does not use one up: BullMQ re-queues stalled jobs). Default 2. */
  attempts?: number;
  /** Notes for a person on what the coordinator waits for: a worker to take the jobs, Redis to come back. */
  log?(line: string): void;
}

/** A job failure the user must fix on a worker (e.g. the dataset is missing there). */
export class QueueWorkerError extends Error {
  readonly userError = true;
  constructor(message: string) {
    super(message);
    this.name = 'QueueWorkerError';
  }
}

type Waiter = { resolve(job: Job): void; reject(e: Error): void };
type Connected = { redis: IORedis; queue: Queue<QueueJobData>; events: QueueEvents };

/** How often jobs are re-checked in case a completion event was missed (events are the fast path). */
const POLL_MS = 5000;
/** How long the coordinator waits for its BullMQ connections to be ready. */
const READY_MS = 30_000;
/** Jobs waiting this long with none taken get a note that no worker takes them, repeated every NOTE_AGAIN_MS. */
const IDLE_NOTE_MS = 3000;
const NOTE_AGAIN_MS = 60_000;

function withTimeout<T>(p: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const t = new Promise<never>((_r, reject) => (timer = setTimeout(() => reject(new Error(message)), ms)));
  return Promise.race([p, t]).finally(() => clearTimeout(timer));
}

/**
 * The coordinator's evaluator: `evaluate` puts the job on a BullMQ queue and waits for a
 * `marl-hpo worker` to finish it; `runSearch` keeps up to `workers` (= --in-flight) of them
 * pending and commits results in completion order, as with local workers (how the agents
 * learn from out-of-order results: libs/agents/src/marl.ts, docs/DISTRIBUTED.md).
 *
 * Exactly once: a job's id is (run id, global proposal number, evaluated content), so a
 * resumed coordinator that makes the same proposal again re-attaches to the job queued,
 * running or already finished instead of adding a second one. A result is removed from Redis
 * just before it is handed to the search, which appends it to the journal: a crash between
 * the two costs a re-evaluation, never a duplicate record.
 */
export class QueueEvaluator implements Evaluator {
  private readonly loc: QueueLocation;
  private conn?: Connected;
  private run = '';
  /**
   * Journal length at start. runSearch numbers its dispatches from 0 in each session and
   * journals each dispatch once, so dispatch k of this session is dispatch base + k of the run:
   * with one in flight, the dispatch a killed coordinator left running gets the same number.
   */
  private base = 0;
  private readonly waiters = new Map<string, Waiter>();
  /** Jobs this session added or re-attached to (the others in the run's set are leftovers). */
  private readonly attached = new Set<string>();
  private poll?: NodeJS.Timeout;
  private watch?: NodeJS.Timeout;
  /** Since when every pending job has waited with no worker on it, and when that was last said. */
  private idleSince?: number;
  private noted = 0;

  /** Parses the URL at once, so a bad one fails before the run folder is touched. */
  constructor(private readonly opts: QueueEvaluatorOptions) {
    this.loc = parseQueueUrl(opts.connection);
  }

  private get c(): Connected {
    if (!this.conn) throw new Error('QueueEvaluator: prepare() was not called');
    return this.conn;
  }

  async prepare(): Promise<DatasetInfo> {
    const connection = coordinatorRedis(this.loc);
    const redis = await connectRedis(this.loc, connection);
    let lost = false;
    redis.on('reconnecting', () => {
      if (!lost) this.opts.log?.(`lost the connection to Redis at ${this.loc.display}: waiting for it to come back (the search stops after about a minute without it; --resume continues it)`);
      lost = true;
    });
    redis.on('ready', () => {
      if (lost) this.opts.log?.(`Redis at ${this.loc.display} is back`);
      lost = false;
    });
    this.run = runId(this.opts.out);
    this.base = readJournal(path.join(this.opts.out, 'journal.jsonl')).records.length;
    const { prefix, queue: name } = this.loc;
    const queue = new Queue<QueueJobData>(name, { connection, prefix });
    queue.on('error', () => undefined); // connection errors surface as rejected commands
    // Listen from the stream's current end, so no completion between now and the first read is missed.
    const last = await this.redisCall(() => redis.xrevrange(`${prefix}:${name}:events`, '+', '-', 'COUNT', 1)).catch(async (e) => {
      redis.disconnect();
      await queue.close();
      throw e;
    });
    // A blocking connection: BullMQ sets maxRetriesPerRequest to null itself (and warns if given one).
    const { maxRetriesPerRequest: _m, ...blocking } = connection;
    const events = new QueueEvents(name, { connection: blocking, prefix, lastEventId: last[0]?.[0] ?? '0-0' });
    events.on('error', () => undefined);
    this.conn = { redis, queue, events };
    const poke = ({ jobId }: { jobId: string }) => void this.check(jobId);
    events.on('completed', poke);
    events.on('failed', poke);
    events.on('removed', poke);
    // waitUntilReady waits through reconnections without end: bound it, like every other command.
    await this.redisCall(() => withTimeout(Promise.all([queue.waitUntilReady(), events.waitUntilReady()]), READY_MS, `no answer from Redis for ${READY_MS / 1000} s`));
    this.poll = setInterval(() => this.waiters.forEach((_w, id) => void this.check(id)), POLL_MS);
    this.poll.unref();
    this.watch = setInterval(() => void this.noteIdle(), 1000);
    this.watch.unref();

    // Proposals before `base` will not be made again: their leftover jobs can only waste workers.
    await this.removeLeftovers((id) => (proposalOf(id) ?? Infinity) < this.base);

    const id = prepareJobId(this.run, this.opts.config);
    const job = await this.submit(id, { kind: 'prepare', run: this.run, config: this.opts.config });
    const { info } = (await this.collect(job)) as PrepareResult;
    if (!Array.isArray(info?.metrics)) throw new QueueWorkerError(`queue job ${id}: the worker did not say which metrics it produces (an older marl-hpo worker? update the workers)`);
    return info;
  }

  /** Says so when every pending job waits and no worker takes any (none started, or all gone). */
  private async noteIdle(): Promise<void> {
    const ids = [...this.waiters.keys()];
    const states = await Promise.all(ids.map((id) => this.conn?.queue.getJobState(id).catch(() => 'unknown')));
    const waiting = ids.length > 0 && states.every((s) => s === 'waiting' || s === 'prioritized');
    if (!waiting) {
      this.idleSince = undefined;
      return;
    }
    const now = Date.now();
    this.idleSince ??= now;
    if (now - this.idleSince < IDLE_NOTE_MS || now - this.noted < NOTE_AGAIN_MS) return;
    this.noted = now;
    const jobs = ids.length === 1 ? '1 job waits' : `${ids.length} jobs wait`;
    this.opts.log?.(`waiting for a worker: ${jobs} on ${this.loc.display} and none was taken for ${Math.round((now - this.idleSince) / 1000)} s (start one with: marl-hpo worker --queue <url>)`);
  }

  async evaluate(job: EvalJob, signal: AbortSignal): Promise<EvalOutcome> {
    const proposal = this.base + job.proposal;
    const id = evaluateJobId(this.run, proposal, this.opts.config, job.values, job.fidelity);
    const done = await this.submit(id, { kind: 'evaluate', run: this.run, config: this.opts.config, job: { ...job, proposal } }, signal);
    const onnx = await this.redisCall(() => this.c.redis.getBuffer(onnxKey(this.loc, id)));
    const result = (await this.collect(done)) as EvaluateResult;
    if (result.onnxBytes !== undefined && onnx?.length !== result.onnxBytes) throw new Error(`queue job ${id}: its ONNX model is missing from Redis (expired?)`);
    const waited = done.processedOn && done.timestamp ? (done.processedOn - done.timestamp) / 1000 : 0;
    return { metrics: result.metrics, timings: { ...result.timings, queue: waited }, ...(onnx ? { onnx: new Uint8Array(onnx) } : {}) };
  }

  async close(): Promise<void> {
    clearInterval(this.poll);
    clearInterval(this.watch);
    for (const w of this.waiters.values()) w.reject(new Error('the queue evaluator was closed'));
    const conn = this.conn;
    if (!conn) return;
    const tidy = async () => {
      // Leftovers of an earlier coordinator that this one did not re-attach to; the jobs this
      // one leaves unfinished (interrupted) stay for the next --resume.
      await this.removeLeftovers((id) => !this.attached.has(id)).catch(() => undefined); // else they expire
      await Promise.allSettled([conn.events.close(), conn.queue.close()]);
    };
    // Redis may be the reason we stop: do not wait for it for long.
    const tidied = await withTimeout(tidy(), 5000, 'close').then(() => true, () => false);
    if (!tidied) {
      // Without Redis, BullMQ's close() and disconnect() wait for ever: drop the connections.
      // (disconnect() drops the connection at once; what it awaits after that may never come.)
      void conn.queue.disconnect().catch(() => undefined);
      void conn.events.disconnect().catch(() => undefined);
    }
    conn.redis.disconnect();
  }

  /** Adds the job (or re-attaches to the one with this id) and resolves once it completed or failed for good. */
  private async submit(id: string, data: QueueJobData, signal?: AbortSignal): Promise<Job> {
    this.attached.add(id);
    const key = outstandingKey(this.loc, this.run);
    await this.redisCall(() => this.c.redis.multi().sadd(key, id).expire(key, KEEP_SECONDS).exec());
    await this.redisCall(() =>
      this.c.queue.add(data.kind, data, { jobId: id, attempts: this.opts.attempts ?? 2, removeOnComplete: { age: KEEP_SECONDS }, removeOnFail: { age: KEEP_SECONDS } }),
    );
    let onAbort = () => undefined as void;
    return new Promise<Job>((resolve, reject) => {
      if (signal?.aborted) return reject(new Error('aborted'));
      onAbort = () => reject(new Error('aborted'));
      signal?.addEventListener('abort', onAbort);
      // Registered once the job exists, then checked at once: it may have finished already.
      this.waiters.set(id, { resolve, reject });
      void this.check(id);
    }).finally(() => {
      signal?.removeEventListener('abort', onAbort);
      this.waiters.delete(id);
    });
  }

  /** Settles the waiter of `id` if its job has finished (called on events and by the poll). */
  private async check(id: string): Promise<void> {
    const w = this.waiters.get(id);
    if (!w || !this.conn) return;
    try {
      // State first, then the job: a job read before it finished keeps a null return value
      // even when getState() then says 'completed'.
      const state = await this.conn.queue.getJobState(id);
      if (state !== 'completed' && state !== 'failed' && state !== 'unknown') return;
      const job = await this.conn.queue.getJob(id);
      if (!job) return w.reject(new Error(`queue job ${id} was removed from Redis before it finished`));
      w.resolve(job);
    } catch (e) {
      w.reject(this.connectionError(e));
    }
  }

  /** Removes a finished job from Redis and returns its result, or throws its failure. */
  private async collect(job: Job): Promise<unknown> {
    const id = job.id as string;
    const failed = (await this.redisCall(() => job.getState())) === 'failed';
    await this.redisCall(async () => {
      await this.c.queue.remove(id);
      await this.c.redis.multi().del(onnxKey(this.loc, id)).srem(outstandingKey(this.loc, this.run), id).exec();
    });
    if (!failed) return job.returnvalue;
    const reason = job.failedReason ?? 'unknown failure';
    if (reason.startsWith(USER_ERROR_MARK)) throw new QueueWorkerError(`worker ${job.processedBy ?? '?'}: ${reason.slice(USER_ERROR_MARK.length)}`);
    const [first, ...log] = reason.split('\n');
    const error = new Error(`${first} (queue job ${id}, ${job.attemptsMade} attempt${job.attemptsMade === 1 ? '' : 's'})`);
    // A worker's trainer failure carries its last stderr lines after the first line.
    throw log.length && !/^\s+at /.test(log[0]) ? Object.assign(error, { log }) : error;
  }

  /** Removes the run's outstanding jobs that `stale` selects and no worker holds. */
  private async removeLeftovers(stale: (id: string) => boolean): Promise<void> {
    const key = outstandingKey(this.loc, this.run);
    const ids = await this.redisCall(() => this.c.redis.smembers(key));
    for (const id of ids.filter(stale)) {
      // remove() refuses a job a worker holds the lock of: it stays listed, for a later try.
      const removed = await this.redisCall(() => this.c.queue.remove(id));
      if (removed) await this.redisCall(() => this.c.redis.multi().del(onnxKey(this.loc, id)).srem(key, id).exec());
    }
  }

  /** Redis failing under the coordinator stops the search (a user error) rather than recording failed evaluations. */
  private async redisCall<T>(f: () => Promise<T>): Promise<T> {
    try {
      return await f();
    } catch (e) {
      throw this.connectionError(e);
    }
  }

  private connectionError(e: unknown): Error {
    if (e instanceof QueueConnectionError) return e;
    return new QueueConnectionError(`--queue ${this.loc.display}: Redis failed (${(e as Error)?.message?.split('\n')[0] ?? String(e)}); continue later with --resume`);
  }
}

/** The run's id, kept in <run>/queue.json: job ids of a resumed run match those of the first session. */
function runId(out: string): string {
  const file = path.join(out, 'queue.json');
  try {
    const id = (JSON.parse(fs.readFileSync(file, 'utf8')) as { run?: unknown }).run;
    if (typeof id === 'string' && /^[0-9a-f]{16}$/.test(id)) return id;
  } catch {
    // absent or unreadable: a new id
  }
  const id = randomBytes(8).toString('hex');
  writeFileAtomic(file, JSON.stringify({ run: id }, null, 2) + '\n');
  return id;
}
