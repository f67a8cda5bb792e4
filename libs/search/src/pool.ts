import { fork, type ChildProcess } from 'node:child_process';
import type { SearchConfig } from './config';
import type { DatasetInfo, EvalJob, EvalOutcome, Evaluator } from './evaluator';

/** Messages between the search and a worker process (child_process IPC, 'advanced' serialization). */
export type ToWorker = { type: 'init'; config: SearchConfig } | { type: 'prepare'; id: number } | { type: 'evaluate'; id: number; job: EvalJob } | { type: 'abort'; id: number };
export type FromWorker =
  | { type: 'result'; id: number; info?: DatasetInfo; outcome?: EvalOutcome }
  | { type: 'error'; id: number; message: string; userError: boolean; log?: string[] };

export interface PoolOptions {
  /** The worker entry (a script that calls `serveWorker`), e.g. dist/apps/cli/eval.worker.js. */
  script: string;
  /** V8 heap limit per worker; a worker that exceeds it dies and its evaluation is recorded as failed. */
  maxOldSpaceMb?: number;
}

interface Pending {
  resolve(value: FromWorker & { type: 'result' }): void;
  reject(e: Error): void;
}

class Worker {
  readonly child: ChildProcess;
  readonly pending = new Map<number, Pending>();
  constructor(config: SearchConfig, opts: PoolOptions, onExit: (w: Worker) => void) {
    const execArgv = opts.maxOldSpaceMb ? [`--max-old-space-size=${opts.maxOldSpaceMb}`] : [];
    this.child = fork(opts.script, [], { serialization: 'advanced', execArgv, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    this.child.on('message', (m: FromWorker) => {
      const p = this.pending.get(m.id);
      if (!p) return;
      this.pending.delete(m.id);
      if (m.type === 'result') p.resolve(m);
      else p.reject(Object.assign(new Error(m.message), m.userError ? { userError: true } : {}, m.log ? { log: m.log } : {}));
    });
    this.child.on('exit', (code, signal) => {
      const why = new Error(`worker process died (${signal ?? `exit code ${code}`}), e.g. out of memory`);
      for (const p of this.pending.values()) p.reject(why);
      this.pending.clear();
      onExit(this);
    });
    this.send({ type: 'init', config });
  }
  send(m: ToWorker): void {
    if (this.child.connected) this.child.send(m);
  }
  request(m: ToWorker & { id: number }): Promise<FromWorker & { type: 'result' }> {
    return new Promise((resolve, reject) => {
      this.pending.set(m.id, { resolve, reject });
      this.send(m);
    });
  }
}

/**
 * Runs evaluations in separate worker processes, one at a time per worker: a crash or an
 * out-of-memory kill takes down only its worker, whose evaluation fails; a new worker
 * replaces it for the next one.
 */
export class ProcessPoolEvaluator implements Evaluator {
  private idle: Worker[] = [];
  private all = new Set<Worker>();
  private waiting: ((w: Worker) => void)[] = [];
  private nextId = 1;
  private closed = false;

  constructor(
    private readonly config: SearchConfig,
    private readonly size: number,
    private readonly opts: PoolOptions,
  ) {}

  private spawn(): Worker {
    const w = new Worker(this.config, this.opts, (dead) => {
      this.all.delete(dead);
      this.idle = this.idle.filter((x) => x !== dead);
    });
    this.all.add(w);
    return w;
  }

  private acquire(): Promise<Worker> {
    const w = this.idle.pop();
    if (w) return Promise.resolve(w);
    if (this.all.size < this.size) return Promise.resolve(this.spawn());
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  private release(w: Worker): void {
    if (this.closed) return;
    const live = this.all.has(w) ? w : this.all.size < this.size ? this.spawn() : undefined;
    if (!live) return;
    const next = this.waiting.shift();
    if (next) next(live);
    else this.idle.push(live);
  }

  async prepare(): Promise<DatasetInfo> {
    const w = await this.acquire();
    try {
      const r = await w.request({ type: 'prepare', id: this.nextId++ });
      return r.info as DatasetInfo;
    } finally {
      this.release(w);
    }
  }

  async evaluate(job: EvalJob, signal: AbortSignal): Promise<EvalOutcome> {
    const w = await this.acquire();
    const id = this.nextId++;
    const onAbort = () => w.send({ type: 'abort', id });
    signal.addEventListener('abort', onAbort);
    try {
      return (await w.request({ type: 'evaluate', id, job })).outcome as EvalOutcome;
    } finally {
      signal.removeEventListener('abort', onAbort);
      this.release(w);
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    const exits = [...this.all].map((w) => new Promise((r) => (w.child.exitCode !== null ? r(null) : w.child.once('exit', r))));
    for (const w of this.all) w.child.kill();
    await Promise.all(exits);
  }
}

/**
 * The worker side: answers the pool's requests with a local evaluator (in a process started
 * by ProcessPoolEvaluator). `makeEvaluator` builds it from the search config.
 */
export function serveWorker(makeEvaluator: (config: SearchConfig) => Evaluator): void {
  let evaluator: Evaluator | undefined;
  const aborts = new Map<number, AbortController>();
  const reply = (m: FromWorker) => process.send?.(m);
  process.on('message', async (m: ToWorker) => {
    if (m.type === 'init') {
      evaluator = makeEvaluator(m.config);
      return;
    }
    if (m.type === 'abort') {
      aborts.get(m.id)?.abort();
      return;
    }
    const ac = new AbortController();
    aborts.set(m.id, ac);
    try {
      if (!evaluator) throw new Error('worker received a request before init');
      if (m.type === 'prepare') reply({ type: 'result', id: m.id, info: await evaluator.prepare() });
      else reply({ type: 'result', id: m.id, outcome: await evaluator.evaluate(m.job, ac.signal) });
    } catch (e) {
      const log = (e as { log?: unknown })?.log;
      reply({ type: 'error', id: m.id, message: e instanceof Error ? e.message : String(e), userError: (e as { userError?: unknown })?.userError === true, ...(Array.isArray(log) ? { log: log.map(String) } : {}) });
    } finally {
      aborts.delete(m.id);
    }
  });
  process.on('disconnect', () => process.exit(0));
}
