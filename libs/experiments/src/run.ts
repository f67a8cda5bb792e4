import fs from 'node:fs';
import path from 'node:path';
import { canonicalJson, getTemplate, summarize } from '@marl-hpo/arch';
import { ConfigError, createEvaluator, type EpisodeEvent, type Evaluator, lockFolder, NoFeasibleError, parseConfig, qualityOf, readJournal, runSearch, type SearchConfig, type Metrics, type SearchConfigInput, templateOptionsFor, writeFileAtomic } from '@marl-hpo/search';
import { presets, type BaselineMetrics, type ExperimentPreset } from './presets';
import type { BaselineResult, FinalScores } from './types';
import { bestOf, summarizeExperiment, type ExperimentSummary, type RunSummary } from './summary';

export interface ExperimentOptions {
  out: string;
  /** Evaluations per search (default: the preset's). */
  budget?: number;
  seeds?: number;
  algorithms?: string[];
  /** Also run marl with multi-fidelity screening, to report the cost it saves. */
  multiFidelity?: boolean;
  /** A minute-long version for CI: little data, one epoch, tiny budget. */
  tiny?: boolean;
  /** Retrain the baseline and each best model with the preset's final settings (default true; the longest step for big baselines). */
  final?: boolean;
  workers?: number;
  workerScript?: string;
  /** Replace training by the synthetic evaluator (tests of the experiment machinery). */
  synthetic?: boolean;
  /** Trainer backend of every search and retraining (default: the preset's, tfjs): torch, or a plug-in package. */
  trainer?: string;
  signal?: AbortSignal;
  onEpisode?(run: string, e: EpisodeEvent): void;
  /** Progress: the baseline, the final training. */
  log?(line: string): void;
  /** Notes about the experiment's folders: a stale lock taken over, leftovers removed. */
  note?(line: string): void;
}

export function getPreset(name: string): ExperimentPreset {
  const p = presets.find((x) => x.name === name);
  if (!p) throw new ConfigError(`unknown experiment '${name}' (experiments: ${presets.map((x) => x.name).join(', ')})`);
  return p;
}

const PLACEHOLDER: BaselineMetrics = { params: 1, latencyMs: 1 };

/** A JSON file the experiment wrote earlier; a damaged one is a user error naming it. */
function readSaved<T>(file: string): T | undefined {
  if (!fs.existsSync(file)) return undefined;
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as T;
  } catch (e) {
    throw new ConfigError(`${file}: damaged (${(e as Error).message}); delete it to compute it again`);
  }
}

/**
 * Trains the template's baseline once (reused by every search of the experiment and by
 * reruns), then runs every algorithm with every seed at the same budget, then writes
 * results.json and results.md. Every search is an ordinary run folder: killing the
 * experiment and starting it again resumes where it stopped. The experiment's folder is
 * locked for the duration, like a search's.
 */
export async function runExperiment(name: string, opts: ExperimentOptions): Promise<ExperimentSummary> {
  const preset = getPreset(name);
  fs.mkdirSync(opts.out, { recursive: true });
  const lock = lockFolder(opts.out, 'experiment', opts.note);
  try {
    return await experiment(preset, opts);
  } finally {
    lock.release();
  }
}

async function experiment(preset: ExperimentPreset, opts: ExperimentOptions): Promise<ExperimentSummary> {
  const tiny = opts.tiny ?? false;
  const budget = opts.budget ?? (tiny ? 3 : preset.defaults.budget);
  const seeds = opts.seeds ?? (tiny ? 1 : preset.defaults.seeds);
  const algorithms = opts.algorithms ?? (tiny ? ['marl', 'random'] : ['marl', 'random', 'qlearning', 'evolution']);
  const withSynthetic = (preset: Omit<SearchConfigInput, 'budget'>) => {
    const c = opts.trainer ? { ...preset, trainer: { ...preset.trainer, backend: opts.trainer } } : preset;
    return opts.synthetic ? { ...c, synthetic: { sleepSeconds: 0 } } : c;
  };
  fs.mkdirSync(opts.out, { recursive: true });

  const baseline = await trainBaseline(preset, parseConfig({ ...withSynthetic(preset.config(PLACEHOLDER, tiny)), budget: { episodes: 1 } }), opts);
  const b = baseline.metrics as BaselineMetrics;
  opts.log?.(`baseline: ${JSON.stringify(b)}`);

  const variants = [...algorithms.map((a) => ({ label: a, algorithm: a, mf: false })), ...(opts.multiFidelity ? [{ label: 'marl+mf', algorithm: 'marl', mf: true }] : [])];
  const runs: RunSummary[] = [];
  for (const v of variants) {
    for (let seed = 0; seed < seeds; seed++) {
      const label = `${v.label}-s${seed}`;
      const config = parseConfig({
        ...withSynthetic(preset.config(b, tiny)),
        algorithm: v.algorithm,
        seed,
        budget: { episodes: budget },
        ...(v.mf ? { multiFidelity: { screen: { epochs: 1, trainFraction: 0.3 }, promote: 0.3, minScreened: 3 } } : {}),
      });
      const out = path.join(opts.out, 'runs', label);
      const resume = fs.existsSync(path.join(out, 'journal.jsonl'));
      // Wall time over every session of the run: saved after each episode, so a killed session counts too.
      const timing = path.join(out, 'experiment.json');
      const previous = readSaved<{ wallSeconds: number }>(timing)?.wallSeconds ?? 0;
      const started = Date.now();
      const elapsed = () => previous + (Date.now() - started) / 1000;
      const saveWall = () => writeFileAtomic(timing, JSON.stringify({ wallSeconds: elapsed() }) + '\n');
      const evaluator = makeEvaluator(config, opts);
      try {
        await runSearch(config, {
          out, resume, workers: opts.workers, evaluator, signal: opts.signal, log: opts.note,
          onEpisode: (e) => {
            saveWall();
            opts.onEpisode?.(label, e);
          },
        });
      } catch (e) {
        // A search that found nothing feasible is a result of the experiment (its row says so), not its end.
        if (!(e instanceof NoFeasibleError)) throw e;
        opts.note?.(`${label}: ${e.message}`);
      } finally {
        await evaluator.close();
      }
      if (opts.signal?.aborted) throw Object.assign(new Error(`experiment interrupted during ${label}; run it again to resume`), { userError: true });
      const wallSeconds = elapsed();
      saveWall();
      runs.push({ variant: v.label, seed, records: readJournal(path.join(out, 'journal.jsonl')).records, wallSeconds, budget });
    }
  }
  const finals =
    opts.final === false
      ? { ...preset.final(tiny), baseline: NaN, runs: {} }
      : await retrainFinal(preset, parseConfig({ ...withSynthetic(preset.config(b, tiny)), budget: { episodes: 1 } }), baseline, runs, tiny, opts);
  const summary = summarizeExperiment(preset, baseline, runs, finals);
  writeFileAtomic(path.join(opts.out, 'results.json'), JSON.stringify(summary, null, 2) + '\n');
  writeFileAtomic(path.join(opts.out, 'results.md'), summary.markdown);
  return summary;
}

function makeEvaluator(config: SearchConfig, opts: ExperimentOptions): Evaluator {
  return createEvaluator(config, { workers: opts.workers ?? 1, script: opts.workerScript });
}

/**
 * Retrains the baseline and every run's best configuration with the preset's final settings
 * (in parallel on the experiment's workers); cached in <out>/final.json by configuration.
 */
async function retrainFinal(preset: ExperimentPreset, config: SearchConfig, baseline: BaselineResult, runs: RunSummary[], tiny: boolean, opts: ExperimentOptions): Promise<FinalScores> {
  const { trainLimit, epochs } = preset.final(tiny);
  const dataset = typeof config.dataset === 'string' ? { spec: config.dataset } : config.dataset;
  const limit = (dataset['limit'] ?? {}) as Record<string, number>;
  const finalConfig: SearchConfig = { ...config, dataset: { ...dataset, limit: { ...limit, train: trainLimit } }, trainer: { ...config.trainer, epochs } };
  const file = path.join(opts.out, 'final.json');
  const cache = readSaved<Record<string, number>>(file) ?? {};
  // The baseline keeps the original network where the config leaves options unset (templateOptionsFor): then it is another model.
  const keyOf = (values: unknown, isBaseline = false) =>
    canonicalJson({ values, dataset: finalConfig.dataset, trainer: finalConfig.trainer, templateOptions: config.templateOptions, synthetic: config.synthetic ?? null, ...(isBaseline && (config.templateOptions.batchNorm === undefined || config.templateOptions.dropout === undefined) ? { baseline: true } : {}) });
  const todo = new Map<string, { values: Record<string, unknown>; isBaseline: boolean }>();
  for (const [values, isBaseline] of [[baseline.values, true], ...runs.map((r) => [bestOf(r.records)?.values, false])] as [Record<string, unknown> | undefined, boolean][]) {
    if (values && !(keyOf(values, isBaseline) in cache)) todo.set(keyOf(values, isBaseline), { values, isBaseline });
  }
  if (todo.size) {
    opts.log?.(`final training of ${todo.size} models (${trainLimit} images, ${epochs} epochs)`);
    const evaluator = makeEvaluator(finalConfig, opts);
    try {
      const info = await evaluator.prepare();
      const template = getTemplate(config.template);
      const jobs = [...todo.entries()];
      let next = 0;
      const worker = async () => {
        for (let i = next++; i < jobs.length; i = next++) {
          const [key, { values, isBaseline }] = jobs[i];
          const ir = template.instantiate(values, templateOptionsFor(config, info, isBaseline));
          const outcome = await evaluator.evaluate({ proposal: i, values, ir, fidelity: { epochs } }, opts.signal ?? new AbortController().signal);
          cache[key] = qualityOf(outcome) ?? NaN;
          writeFileAtomic(file, JSON.stringify(cache, null, 2) + '\n');
        }
      };
      await Promise.all(Array.from({ length: Math.max(1, opts.workers ?? 1) }, worker));
    } finally {
      await evaluator.close();
    }
  }
  const runsScores: Record<string, number> = {};
  for (const r of runs) {
    const values = bestOf(r.records)?.values;
    if (values) runsScores[`${r.variant}-s${r.seed}`] = cache[keyOf(values)];
  }
  return { trainLimit, epochs, baseline: cache[keyOf(baseline.values, true)], runs: runsScores };
}

/**
 * Trains, exports and profiles the template's baseline exactly as a search evaluates a
 * configuration; cached in <out>/baseline.json (and baseline.onnx) for the same settings.
 */
async function trainBaseline(preset: ExperimentPreset, config: SearchConfig, opts: ExperimentOptions): Promise<BaselineResult> {
  const file = path.join(opts.out, 'baseline.json');
  const key = canonicalJson({ preset: preset.name, template: config.template, templateOptions: config.templateOptions, dataset: config.dataset, trainer: config.trainer, profiler: config.profiler, synthetic: config.synthetic ?? null, seed: config.seed });
  const saved = readSaved<{ key: string; baseline: BaselineResult }>(file);
  if (saved?.key === key) return saved.baseline;
  const evaluator = createEvaluator(config, { workers: 1 });
  try {
    const dataset = await evaluator.prepare();
    const template = getTemplate(config.template);
    const templateOpts = templateOptionsFor(config, dataset, true);
    const values = template.baseline(templateOpts);
    const ir = template.instantiate(values, templateOpts);
    const outcome = await evaluator.evaluate({ proposal: 0, values, ir, fidelity: { epochs: config.trainer.epochs } }, opts.signal ?? new AbortController().signal);
    const { params, macs } = summarize(ir);
    const metrics: Metrics = { ...outcome.metrics, params, macs };
    const baseline: BaselineResult = { values, metrics: metrics as BaselineMetrics, timings: outcome.timings };
    if (outcome.onnx) writeFileAtomic(path.join(opts.out, 'baseline.onnx'), outcome.onnx);
    writeFileAtomic(file, JSON.stringify({ key, baseline }, null, 2) + '\n');
    return baseline;
  } finally {
    await evaluator.close();
  }
}
