import fs from 'node:fs';
import path from 'node:path';
import { canonicalJson, type Slot } from '@marl-hpo/arch';
import { writeFileAtomic } from './atomic';
import { ConfigError, type SearchConfig } from './config';
import type { EvaluationRecord } from './journal';

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
   * A new run writes config.json; a resumed run must have the same config except the budget.
   * A new run refuses a folder that already holds a journal (use --resume or another --out).
   */
  open(config: SearchConfig, resume: boolean): void {
    config = withoutSecrets(config);
    try {
      fs.mkdirSync(this.models, { recursive: true });
      fs.accessSync(this.dir, fs.constants.W_OK);
    } catch (e) {
      throw new ConfigError(`${this.dir}: cannot write the run folder (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
    }
    const hasJournal = fs.existsSync(this.journal) && fs.statSync(this.journal).size > 0;
    if (!resume) {
      if (hasJournal) throw new ConfigError(`${this.dir}: already holds a run (journal.jsonl); pass --resume to continue it or choose another --out`);
      writeFileAtomic(this.config, JSON.stringify(config, null, 2) + '\n');
      return;
    }
    if (!fs.existsSync(this.config)) {
      if (hasJournal) throw new ConfigError(`${this.config}: missing, cannot check that --resume continues the same search`);
      writeFileAtomic(this.config, JSON.stringify(config, null, 2) + '\n');
      return;
    }
    const before = withoutSecrets(JSON.parse(fs.readFileSync(this.config, 'utf8')) as SearchConfig);
    const strip = (c: SearchConfig) => canonicalJson({ ...c, budget: undefined, name: undefined });
    if (strip(before) !== strip(config)) throw new ConfigError(`${this.config}: --resume needs the same config as the run's (only budget may change)`);
    writeFileAtomic(this.config, JSON.stringify(config, null, 2) + '\n');
  }

  writeJson(file: string, value: unknown): void {
    writeFileAtomic(file, JSON.stringify(value, null, 2) + '\n');
  }

  writeResults(records: EvaluationRecord[], slots: Slot[]): void {
    const metricNames = [...new Set(records.flatMap((r) => Object.keys(r.metrics)))].sort();
    const esc = (v: unknown) => {
      const s = v === undefined ? '' : typeof v === 'string' ? v : canonicalJson(v);
      return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
    };
    const header = ['episode', 'status', 'reward', 'cachedFrom', 'baseline', ...metricNames, ...slots.map((s) => s.name), 'error'];
    const rows = records.map((r) => [r.episode, r.status, r.reward, r.cachedFrom, r.baseline ? 1 : '', ...metricNames.map((m) => r.metrics[m as keyof typeof r.metrics]), ...slots.map((s) => r.values[s.name]), r.error]);
    writeFileAtomic(this.results, [header, ...rows].map((row) => row.map(esc).join(',')).join('\n') + '\n');
  }
}

/** The config as written to the run folder: a remote profiler's API token stays out of it. */
function withoutSecrets(config: SearchConfig): SearchConfig {
  if (!('token' in config.profiler)) return config;
  const { token: _token, ...profiler } = config.profiler;
  return { ...config, profiler: profiler as SearchConfig['profiler'] };
}
