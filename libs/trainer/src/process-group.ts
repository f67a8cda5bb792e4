/**
 * Trainer processes in their own process group, so that nothing outlives the search:
 * - each group is started detached (its own session: a Ctrl-C at the terminal reaches only the
 *   search, which then ends the group itself), and ended as a whole (SIGTERM, then SIGKILL);
 * - groups still alive when this process exits are killed from an 'exit' hook;
 * - when this process dies without running any hook (SIGKILL, a crash), the group notices that
 *   its end of the stdin pipe closed and kills itself: a program we wrap (a user's command) runs
 *   under a small node watchdog that does this; our own Python worker does it itself.
 */
import { spawn, type ChildProcess } from 'node:child_process';

/** Runs argv in the watchdog's process group; ends the whole group when stdin closes. */
const WATCHDOG = `
const { spawn } = require('node:child_process');
const [cmd, ...args] = process.argv.slice(1);
const child = spawn(cmd, args, { stdio: ['ignore', 'inherit', 'inherit'] });
const end = () => { try { process.kill(-process.pid, 'SIGKILL'); } catch {} process.exit(137); };
process.stdin.on('end', end).on('error', end).resume();
child.on('error', (e) => { process.stderr.write('cannot start ' + cmd + ': ' + e.message + '\\n'); process.exit(127); });
child.on('exit', (code, signal) => {
  if (signal) { process.removeAllListeners(signal); process.kill(process.pid, signal); }
  process.exit(code ?? 128);
});
`;

const live = new Set<ProcessGroup>();
let exitHook = false;

/** The last lines a process wrote (bounded: `max` lines of at most 500 characters). */
export class LineTail {
  private lines: string[] = [];
  private partial = '';
  constructor(private readonly max = 20) {}

  push(chunk: Buffer | string): void {
    const parts = (this.partial + chunk.toString()).split('\n');
    this.partial = parts.pop() ?? '';
    if (this.partial.length > 2000) this.partial = this.partial.slice(-2000);
    for (const line of parts) this.add(line);
  }

  private add(line: string): void {
    const l = line.replace(/\r$/, '').trimEnd();
    if (l === '') return;
    this.lines.push(l.length > 500 ? `${l.slice(0, 500)}...` : l);
    if (this.lines.length > this.max) this.lines.shift();
  }

  /** The lines so far (with an unterminated last line). */
  get(): string[] {
    const last = this.partial.trim();
    return last ? [...this.lines, last].slice(-this.max) : [...this.lines];
  }

  clear(): void {
    this.lines = [];
    this.partial = '';
  }
}

export interface GroupOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Run argv under the watchdog (for programs that do not watch their stdin themselves). */
  watchdog: boolean;
  /** Receives everything the group writes to stdout and stderr (e.g. for a log file). */
  output?: (chunk: Buffer, stream: 'stdout' | 'stderr') => void;
}

export type Exit = { code: number | null; signal: NodeJS.Signals | null };

export class ProcessGroup {
  readonly child: ChildProcess;
  readonly exited: Promise<Exit>;
  readonly stderr = new LineTail(20);
  private done = false;

  constructor(argv: string[], opts: GroupOptions) {
    const [file, ...args] = opts.watchdog ? [process.execPath, '-e', WATCHDOG, '--', ...argv] : argv;
    this.child = spawn(file, args, { cwd: opts.cwd, env: opts.env, detached: true, stdio: ['pipe', 'pipe', 'pipe'] });
    this.child.stdin?.on('error', () => undefined); // the group may be gone before we write
    this.child.stderr?.on('data', (d: Buffer) => {
      this.stderr.push(d);
      opts.output?.(d, 'stderr');
    });
    if (opts.output) this.child.stdout?.on('data', (d: Buffer) => opts.output?.(d, 'stdout'));
    const closed = new Promise<void>((resolve) => this.child.once('close', () => resolve()));
    this.exited = new Promise((resolve) => {
      const finish = (e: Exit) => {
        this.done = true;
        live.delete(this);
        resolve(e);
      };
      this.child.once('error', (e) => {
        this.stderr.push(`cannot start ${argv[0]}: ${e.message}\n`);
        finish({ code: 127, signal: null });
      });
      this.child.once('exit', (code, signal) => {
        // The leader is gone; members it left behind (holding our pipes open) are not.
        this.signal('SIGKILL');
        // Let the pipes drain (the last stderr lines), but not forever: an escaped grandchild may hold them.
        const drained = new Promise<void>((resolve) => setTimeout(resolve, 2000).unref());
        void Promise.race([closed, drained]).then(() => finish({ code, signal }));
      });
    });
    live.add(this);
    if (!exitHook) {
      exitHook = true;
      process.on('exit', () => {
        for (const g of live) g.signal('SIGKILL');
      });
    }
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** Sends `sig` to every process of the group (no-op once it is gone). */
  signal(sig: NodeJS.Signals): void {
    if (this.child.pid === undefined) return;
    try {
      process.kill(-this.child.pid, sig);
    } catch {
      // ESRCH: the group is gone
    }
  }

  /** Ends the group: SIGTERM, then SIGKILL after `graceMs`; resolves when the leader has exited. */
  async end(graceMs = 3000): Promise<Exit> {
    if (!this.done) {
      this.signal('SIGTERM');
      const timer = setTimeout(() => this.signal('SIGKILL'), graceMs);
      await this.exited;
      clearTimeout(timer);
    }
    return this.exited;
  }
}

/** "exited with code 3", "was killed by SIGSEGV". */
export function describeExit(e: Exit): string {
  return e.signal ? `was killed by ${e.signal}` : `exited with code ${e.code}`;
}

/** Waits for the group to exit, ending it on abort or after `timeoutSeconds`; says which ended it. */
export async function runToEnd(g: ProcessGroup, signal: AbortSignal, timeoutSeconds?: number): Promise<{ exit: Exit; ended?: 'timeout' | 'aborted' }> {
  let ended: 'timeout' | 'aborted' | undefined;
  const stop = (why: 'timeout' | 'aborted') => {
    ended ??= why;
    void g.end();
  };
  const onAbort = () => stop('aborted');
  signal.addEventListener('abort', onAbort);
  if (signal.aborted) onAbort();
  const timer = timeoutSeconds === undefined ? undefined : setTimeout(() => stop('timeout'), timeoutSeconds * 1000);
  try {
    return { exit: await g.exited, ended };
  } finally {
    clearTimeout(timer);
    signal.removeEventListener('abort', onAbort);
  }
}
