import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { CLI, ROOT } from './cli-helpers';

/** A free loopback TCP port (the OS picks it; a tiny race with other processes is retried by the caller). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

export interface RedisServer {
  port: number;
  url: string;
  dir: string;
  stop(): Promise<void>;
}

/** Starts Debian's redis-server on a free loopback port, without persistence, in a temp dir. */
export async function startRedis(opts: { password?: string; args?: (dir: string) => string[]; scheme?: string } = {}): Promise<RedisServer> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'redis-'));
  for (let attempt = 0; ; attempt++) {
    const port = await freePort();
    const extra = opts.args?.(dir) ?? ['--port', String(port)];
    const args = ['--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir, ...(opts.password ? ['--requirepass', opts.password] : []), ...extra.map((a) => a.replace('{port}', String(port)))];
    const child = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const ok = await new Promise<boolean>((resolve) => {
      let out = '';
      child.stdout?.on('data', (d: Buffer) => {
        out += d.toString();
        if (out.includes('Ready to accept connections')) resolve(true);
      });
      child.on('exit', () => resolve(false));
    });
    if (ok) {
      const auth = opts.password ? `:${opts.password}@` : '';
      return {
        port,
        dir,
        url: `${opts.scheme ?? 'redis'}://${auth}127.0.0.1:${port}/0`,
        stop: () => stopProcess(child),
      };
    }
    if (attempt >= 3) throw new Error(`redis-server did not start (args ${args.join(' ')})`);
  }
}

export function stopProcess(child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill(signal);
  });
}

/** A running `marl-hpo <args>` whose stdout JSON lines are collected (and can be awaited). */
export class CliProcess {
  readonly child: ChildProcess;
  readonly lines: Record<string, unknown>[] = [];
  stderr = '';
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private listeners: (() => void)[] = [];

  constructor(args: string[], env: NodeJS.ProcessEnv = {}) {
    this.child = spawn(process.execPath, [CLI, ...args], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let buf = '';
    this.child.stdout?.on('data', (d: Buffer) => {
      buf += d.toString();
      let i: number;
      while ((i = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 1);
        if (line.trim()) this.lines.push(JSON.parse(line));
        this.listeners.forEach((l) => l());
      }
    });
    this.child.stderr?.on('data', (d: Buffer) => (this.stderr += d.toString()));
    this.exited = new Promise((resolve) => this.child.on('exit', (code, signal) => resolve({ code, signal })));
  }

  /** Resolves with the first line (seen so far or later) that `pred` accepts; rejects if the process exits first. */
  waitFor(pred: (line: Record<string, unknown>) => boolean): Promise<Record<string, unknown>> {
    return new Promise((resolve, reject) => {
      const look = () => {
        const hit = this.lines.find(pred);
        if (hit) {
          this.listeners = this.listeners.filter((l) => l !== look);
          resolve(hit);
        }
      };
      this.listeners.push(look);
      look();
      void this.exited.then(() => {
        look();
        reject(new Error(`process exited before the expected line; stderr: ${this.stderr}`));
      });
    });
  }

  stop(signal: NodeJS.Signals = 'SIGTERM') {
    return stopProcess(this.child, signal);
  }
}
