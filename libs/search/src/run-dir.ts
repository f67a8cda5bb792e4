import fs from 'node:fs';
import path from 'node:path';
import { canonicalJson, type Slot } from '@marl-hpo/arch';
import { removeStaleTempFiles, writeFileAtomic } from './atomic';
import { ConfigError, type SearchConfig } from './config';
import type { EvaluationRecord } from './journal';
import { FolderLock, pidAlive } from './lock';

/** The files of runs/<name>/ (see DESIGN.md "Runs on disk"). */
export class RunDir {
  readonly config: string;
  readonly journal: string;
  readonly agents: string;
  readonly bestOnnx: string;
  readonly bestJson: string;
  readonly results: string;
  readonly pareto: string;
  /** ONNX of every evaluation that improved the best, by episode: best.onnx is restored from here. */
  readonly models: string;
  private lock?: FolderLock;

  constructor(readonly dir: string) {
    this.config = path.join(dir, 'config.json');
    this.journal = path.join(dir, 'journal.jsonl');
    this.agents = path.join(dir, 'agents.json');
    this.bestOnnx = path.join(dir, 'best.onnx');
    this.bestJson = path.join(dir, 'best.json');
    this.results = path.join(dir, 'results.csv');
    this.pareto = path.join(dir, 'pareto.json');
    this.models = path.join(dir, 'models');
  }

  modelFile(episode: number): string {
    return path.join(this.models, `${episode}.onnx`);
  }

  /**
   * Locks the folder for this process (see FolderLock), removes the temporary files of writes
   * that a crash cut short, then checks the config: a new run writes config.json; a resumed run
   * must have the same config except the budget. A new run refuses a folder that already holds
   * a journal (use --resume or another --out). `close` releases the lock.
   */
  open(config: SearchConfig, resume: boolean, log?: (line: string) => void): void {
    config = withoutSecrets(config);
    try {
      fs.mkdirSync(this.models, { recursive: true });
      fs.accessSync(this.dir, fs.constants.W_OK);
    } catch (e) {
      throw new ConfigError(`${this.dir}: cannot write the run folder (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
    }
    this.lock = lockFolder(this.dir, 'search', log);
    try {
      this.checkConfig(config, resume);
    } catch (e) {
      this.close();
      throw e;
    }
  }

  close(): void {
    this.lock?.release();
    this.lock = undefined;
  }

  private checkConfig(config: SearchConfig, resume: boolean): void {
    const hasJournal = fs.existsSync(this.journal) && fs.statSync(this.journal).size > 0;
    const write = () => writeFileAtomic(this.config, JSON.stringify(config, null, 2) + '\n');
    if (!resume) {
      if (hasJournal) throw new ConfigError(`${this.dir}: already holds a run (journal.jsonl); pass --resume to continue it or choose another --out`);
      return write();
    }
    if (!fs.existsSync(this.config)) {
      if (hasJournal) throw new ConfigError(`${this.config}: missing, cannot check that --resume continues the same search`);
      return write();
    }
    const before = withoutSecrets(readRunConfig(this.config));
    const strip = (c: SearchConfig) => JSON.parse(canonicalJson({ ...c, budget: undefined, name: undefined })) as unknown;
    const diff = firstDifference(strip(before), strip(config));
    if (diff) throw new ConfigError(`${this.config}: --resume needs the run's config (only budget may change), but ${diff}`);
    write();
  }

  writeJson(file: string, value: unknown, opts?: { syncDir?: boolean }): void {
    writeFileAtomic(file, JSON.stringify(value, null, 2) + '\n', opts);
  }

  writeResults(records: EvaluationRecord[], slots: Slot[], opts?: { syncDir?: boolean }): void {
    const metricNames = [...new Set(records.flatMap((r) => Object.keys(r.metrics)))].sort();
    const esc = (v: unknown) => {
      const s = v === undefined ? '' : typeof v === 'string' ? v : canonicalJson(v);
      return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
    };
    const header = ['episode', 'status', 'reward', 'cachedFrom', 'baseline', ...metricNames, ...slots.map((s) => s.name), 'error'];
    const rows = records.map((r) => [r.episode, r.status, r.reward, r.cachedFrom, r.baseline ? 1 : '', ...metricNames.map((m) => r.metrics[m as keyof typeof r.metrics]), ...slots.map((s) => r.values[s.name]), r.error]);
    writeFileAtomic(this.results, [header, ...rows].map((row) => row.map(esc).join(',')).join('\n') + '\n', opts);
  }
}

/**
 * Locks `dir` for this process and removes what writes cut short by a crash left there (see
 * FolderLock and writeFileAtomic); `what` names the command in the message a second process gets.
 */
export function lockFolder(dir: string, what: string, log?: (line: string) => void): FolderLock {
  const lock = FolderLock.acquire(dir, what, log);
  const stale = [dir, path.join(dir, 'models')].flatMap((d) => removeStaleTempFiles(d, pidAlive).map((f) => path.join(d, f)));
  if (stale.length) log?.(`${dir}: removed ${stale.length} temporary file${stale.length > 1 ? 's' : ''} left by an interrupted write (${stale.map((f) => path.relative(dir, f)).join(', ')})`);
  return lock;
}

/** config.json of a run folder; an empty or damaged one is a user error naming it. */
function readRunConfig(file: string): SearchConfig {
  const text = fs.readFileSync(file, 'utf8');
  if (text.trim() === '') throw new ConfigError(`${file}: empty, cannot check that --resume continues the same search`);
  try {
    const value = JSON.parse(text) as unknown;
    if (!value || typeof value !== 'object' || Array.isArray(value)) throw new Error('not an object');
    return value as SearchConfig;
  } catch (e) {
    throw new ConfigError(`${file}: damaged (${(e as Error).message}), cannot check that --resume continues the same search`);
  }
}

/** The first field where two JSON values differ, as "<path> is <a> in the run and <b> now", or undefined. */
export function firstDifference(run: unknown, now: unknown, at = ''): string | undefined {
  if (canonicalJson(run) === canonicalJson(now)) return undefined;
  const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object';
  if (isObject(run) && isObject(now) && Array.isArray(run) === Array.isArray(now)) {
    const keys = [...new Set([...Object.keys(run), ...Object.keys(now)])];
    if (!Array.isArray(run)) keys.sort();
    for (const k of keys) {
      const d = firstDifference(run[k], now[k], Array.isArray(run) ? `${at}[${k}]` : at ? `${at}.${k}` : k);
      if (d) return d;
    }
  }
  const show = (v: unknown) => (v === undefined ? 'absent' : JSON.stringify(v));
  return `${at || 'the config'} is ${show(run)} in the run and ${show(now)} now`;
}

/** The config as written to the run folder: a remote profiler's API token stays out of it. */
function withoutSecrets(config: SearchConfig): SearchConfig {
  if (!('token' in config.profiler)) return config;
  const { token: _token, ...profiler } = config.profiler;
  return { ...config, profiler: profiler as SearchConfig['profiler'] };
}
