import fs from 'node:fs';
import { canonicalJson, getTemplate, indexesOf, summarize, valuesOf, type ArchitectureIR, type ConfigValues, type SearchSpace, type Template, type TemplateOptions } from '@marl-hpo/arch';
import { createAgent, type Agent } from '@marl-hpo/agents';
import { writeFileAtomic } from './atomic';
import { ConfigError, type SearchConfig } from './config';
import type { DatasetInfo, EvalJob, EvalOutcome, Evaluator } from './evaluator';
import { JournalWriter, readJournal, type EvaluationRecord, type Fidelity } from './journal';
import { paretoFront, qualityOf } from './pareto';
import { computeReward, MIN_REWARD, violatedConstraints, type Metrics, type RewardSpec } from './reward';
import { RunDir } from './run-dir';

/** Agents plan their exploration over this many episodes when the budget is wall-clock only. */
const DEFAULT_AGENT_BUDGET = 100;

export interface SearchOptions {
  /** The run folder, e.g. runs/<name>. */
  out: string;
  resume?: boolean;
  /** Evaluations in flight at once (the evaluator provides the isolation). */
  workers?: number;
  evaluator: Evaluator;
  /** Aborting stops the search cleanly: in-flight evaluations are dropped, everything else is written. */
  signal?: AbortSignal;
  onEpisode?(event: EpisodeEvent): void;
  /** Called once the agents are rebuilt, before the first new evaluation. */
  onStart?(event: { resumed: number; total: number | undefined; dataset: DatasetInfo }): void;
}

export interface EpisodeEvent {
  record: EvaluationRecord;
  best: EvaluationRecord | undefined;
  /** Episodes in the journal, and the planned total (undefined for a wall-clock budget). */
  done: number;
  total: number | undefined;
  elapsedSeconds: number;
  etaSeconds: number | undefined;
}

export interface SearchResult {
  records: EvaluationRecord[];
  best: EvaluationRecord | undefined;
  stopped: 'budget' | 'time' | 'interrupted';
  dir: string;
}

interface Finished {
  job: EvalJob;
  config: number[];
  baseline: boolean;
  outcome?: EvalOutcome;
  error?: string;
  startedAt: number;
}

/** The best feasible record: highest reward, earliest on ties. */
function bestOf(records: EvaluationRecord[]): EvaluationRecord | undefined {
  let best: EvaluationRecord | undefined;
  for (const r of records) if (r.status === 'ok' && (!best || r.reward > best.reward)) best = r;
  return best;
}

const cacheKey = (values: ConfigValues, fidelity: Fidelity) => canonicalJson({ values, fidelity });
const isUserError = (e: unknown) => e instanceof Error && (e as { userError?: unknown }).userError === true;

/**
 * One search: agents propose, the evaluator trains/exports/profiles, the global reward goes
 * back to the agents, and every evaluation is appended to the journal before anything else
 * depends on it. Resuming replays the journal into fresh agents (whose proposals depend only
 * on the seed and the observations), so a run killed at any moment and resumed ends in the
 * state of an uninterrupted one and loses at most the evaluations in flight.
 */
export async function runSearch(config: SearchConfig, opts: SearchOptions): Promise<SearchResult> {
  const run = new RunDir(opts.out);
  run.open(config, opts.resume ?? false);
  const { records } = readJournal(run.journal);
  const dataset = await opts.evaluator.prepare();
  const template = getTemplate(config.template);
  if (template.task !== dataset.task) {
    throw new ConfigError(`template: '${config.template}' is a ${template.task} template but dataset '${datasetSpec(config)}' is for ${dataset.task}`);
  }
  const templateOpts: TemplateOptions = { input: dataset.input, classes: dataset.classes };
  const space = template.space(templateOpts);
  const spec: RewardSpec = { objectives: config.objectives, constraints: config.constraints };
  const fidelity: Fidelity = { epochs: config.trainer.epochs };
  const agentEpisodes = config.budget.episodes;
  const total = agentEpisodes === undefined ? undefined : agentEpisodes + (config.baseline ? 1 : 0);
  const agent = createAgent(config.algorithm, space, { ...config.agent, seed: config.seed, budget: agentEpisodes ?? DEFAULT_AGENT_BUDGET });

  // Rebuild from the journal: agents, cache, best model.
  const cache = new Map<string, EvaluationRecord>();
  for (const r of records) {
    agent.observe(r.config, r.reward);
    if (r.cachedFrom === undefined && r.status !== 'failed') cache.set(cacheKey(r.values, r.fidelity), r);
  }
  let best = bestOf(records);
  restoreBest(run, best);
  const journal = new JournalWriter(run.journal, readJournal(run.journal).validBytes);
  opts.onStart?.({ resumed: records.length, total, dataset });

  const started = Date.now();
  const resumed = records.length;
  const workers = Math.max(1, opts.workers ?? 1);
  const abort = new AbortController();
  const onAbort = () => abort.abort();
  opts.signal?.addEventListener('abort', onAbort);
  const inFlight = new Map<number, Promise<Finished>>();
  let dispatched = 0;
  let fatal: unknown;
  let stopped: SearchResult['stopped'] = 'budget';

  const baselineDone = records.some((r) => r.baseline);
  const wantBaseline = () => config.baseline && !baselineDone && dispatched === 0;
  const timeUp = () => config.budget.seconds !== undefined && (Date.now() - started) / 1000 >= config.budget.seconds;
  const budgetLeft = () => total === undefined || records.length + inFlight.size < total;

  const dispatch = () => {
    const baseline = wantBaseline();
    const config = baseline ? indexesOf(space, template.baseline(templateOpts)) : agent.propose();
    const proposal = dispatched++;
    inFlight.set(proposal, evaluate(proposal, valuesOf(space, config), config, baseline));
  };

  const evaluate = async (proposal: number, values: ConfigValues, configIdx: number[], baseline: boolean): Promise<Finished> => {
    const startedAt = Date.now();
    let ir: ArchitectureIR;
    try {
      ir = template.instantiate(values, templateOpts);
    } catch (e) {
      return { job: { proposal, values, ir: undefined as never, fidelity }, config: configIdx, baseline, error: `cannot build: ${(e as Error).message}`, startedAt };
    }
    const job: EvalJob = { proposal, values, ir, fidelity };
    const cached = cache.get(cacheKey(values, fidelity));
    const cost = summarize(ir);
    if (cached || violatedConstraints(spec, { params: cost.params, macs: cost.macs }).length) return { job, config: configIdx, baseline, startedAt };
    try {
      return { job, config: configIdx, baseline, outcome: await opts.evaluator.evaluate(job, abort.signal), startedAt };
    } catch (e) {
      if (abort.signal.aborted) throw e;
      if (isUserError(e)) {
        fatal ??= e;
        abort.abort();
        throw e;
      }
      return { job, config: configIdx, baseline, error: e instanceof Error ? e.message.split('\n')[0] : String(e), startedAt };
    }
  };

  const commit = (f: Finished) => {
    const episode = records.length;
    const record = toRecord(episode, f, spec, cache.get(cacheKey(f.job.values, fidelity)));
    const improves = record.status === 'ok' && (!best || record.reward > best.reward);
    if (improves && f.outcome?.onnx) writeFileAtomic(run.modelFile(episode), f.outcome.onnx);
    journal.append(record);
    records.push(record);
    agent.observe(record.config, record.reward);
    if (record.cachedFrom === undefined && record.status !== 'failed') cache.set(cacheKey(record.values, record.fidelity), record);
    if (improves) {
      best = record;
      restoreBest(run, best);
    }
    writeState(run, agent, space, records, template, templateOpts);
    const elapsedSeconds = (Date.now() - started) / 1000;
    const perEpisode = elapsedSeconds / (records.length - resumed);
    opts.onEpisode?.({ record, best, done: records.length, total, elapsedSeconds, etaSeconds: total === undefined ? undefined : Math.max(0, total - records.length) * perEpisode });
  };

  try {
    writeState(run, agent, space, records, template, templateOpts);
    for (;;) {
      while (!abort.signal.aborted && inFlight.size < workers && budgetLeft() && !timeUp()) dispatch();
      if (inFlight.size === 0) break;
      const settled = await Promise.race([...inFlight.entries()].map(([k, p]) => p.then((f) => ({ k, f }), (e) => ({ k, e }))));
      inFlight.delete(settled.k);
      if ('f' in settled) commit(settled.f);
      if (abort.signal.aborted) {
        await Promise.allSettled(inFlight.values());
        inFlight.clear();
        break;
      }
    }
  } finally {
    opts.signal?.removeEventListener('abort', onAbort);
    journal.close();
  }
  if (fatal) throw fatal;
  if (opts.signal?.aborted) stopped = 'interrupted';
  else if (timeUp() && budgetLeft()) stopped = 'time';
  return { records, best, stopped, dir: run.dir };
}

function datasetSpec(config: SearchConfig): string {
  return typeof config.dataset === 'string' ? config.dataset : config.dataset.spec;
}

function toRecord(episode: number, f: Finished, spec: RewardSpec, cached: EvaluationRecord | undefined): EvaluationRecord {
  const base = { type: 'evaluation' as const, episode, config: f.config, values: f.job.values, fidelity: f.job.fidelity, ...(f.baseline ? { baseline: true } : {}), time: new Date().toISOString() };
  const seconds = (Date.now() - f.startedAt) / 1000;
  if (f.error !== undefined && !f.job.ir) {
    return { ...base, status: 'infeasible', metrics: {}, reward: MIN_REWARD, violations: [f.error], error: f.error, timings: { total: seconds } };
  }
  const cost = summarize(f.job.ir);
  const staticMetrics: Metrics = { params: cost.params, macs: cost.macs };
  if (cached && !f.outcome && f.error === undefined) {
    return { ...base, status: cached.status, metrics: cached.metrics, reward: cached.reward, violations: cached.violations, cachedFrom: cached.episode, timings: { total: seconds } };
  }
  if (f.error !== undefined) {
    return { ...base, status: 'failed', metrics: staticMetrics, reward: MIN_REWARD, violations: [], error: f.error, timings: { total: seconds } };
  }
  if (!f.outcome) {
    // Skipped: a hard constraint on the static cost model failed, no training.
    return { ...base, status: 'infeasible', metrics: staticMetrics, reward: MIN_REWARD, violations: violatedConstraints(spec, staticMetrics), timings: { total: seconds } };
  }
  const metrics: Metrics = { ...staticMetrics, ...f.outcome.metrics };
  const r = computeReward(spec, metrics);
  return {
    ...base,
    status: r.feasible ? 'ok' : 'infeasible',
    metrics,
    reward: r.reward,
    violations: r.feasible ? [] : [r.reason ?? 'infeasible'],
    timings: { ...f.outcome.timings, total: seconds },
  };
}

/** best.onnx and best.json follow the journal's best (restored from models/ after a crash). */
function restoreBest(run: RunDir, best: EvaluationRecord | undefined): void {
  if (!best) return;
  const model = run.modelFile(best.episode);
  if (fs.existsSync(model)) writeFileAtomic(run.bestOnnx, fs.readFileSync(model));
  run.writeJson(run.bestJson, { ...best, onnx: fs.existsSync(model) ? 'best.onnx' : undefined, quality: qualityOf(best) });
}

function writeState(run: RunDir, agent: Agent, space: SearchSpace, records: EvaluationRecord[], template: Template, opts: TemplateOptions): void {
  run.writeJson(run.agents, { template: template.name, input: opts.input, classes: opts.classes, slots: space.slots, agent: agent.state() });
  run.writeResults(records, space.slots);
  run.writeJson(run.pareto, { front: paretoFront(records) });
}
