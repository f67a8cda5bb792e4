import fs from 'node:fs';
import { canonicalJson, getTemplate, indexesOf, spaceSize, summarize, valuesOf, type ArchitectureIR, type ConfigValues, type SearchSpace, type Template, type TemplateOptions } from '@marl-hpo/arch';
import { createAgent, type Agent } from '@marl-hpo/agents';
import { decodeModel } from '@marl-hpo/onnx';
import { DiskError, fsyncDir, writeFileAtomic } from './atomic';
import { ConfigError, templateOptionsFor, type SearchConfig } from './config';
import type { DatasetInfo, EvalJob, EvalOutcome, Evaluator } from './evaluator';
import { checkStaticFeasibility, hopeless, NoFeasibleError, noFeasibleMessage } from './feasibility';
import { countsAgainstBudget as costly, isFullFidelity as isFull, JournalWriter, MAX_STEPS_PER_EVALUATION, learnedFrom, readJournal, type EvaluationRecord, type Fidelity } from './journal';
import { paretoFront, qualityOf } from './pareto';
import { Promotion } from './promotion';
import { checkMetricsProduced, computeReward, MIN_REWARD, STATIC_METRICS, violatedConstraints, type Metrics, type RewardSpec } from './reward';
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
  /** Notes for a person about the run folder: a stale lock taken over, leftovers removed, a damaged model. */
  log?(line: string): void;
}

export interface EpisodeEvent {
  record: EvaluationRecord;
  best: EvaluationRecord | undefined;
  /** Episodes the agents learned from so far, and the planned total (undefined for a wall-clock budget). */
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
  /** best.onnx, once checked to be the best record's model (undefined: no model to write). */
  bestOnnx: string | undefined;
}

/** One evaluation to run: an agent proposal (or the baseline) at one fidelity. */
interface Task {
  config: number[];
  values: ConfigValues;
  fidelity: Fidelity;
  baseline: boolean;
  /** A cheap screening evaluation (multi-fidelity). */
  screen: boolean;
  /** The screening episode this full evaluation was promoted from. */
  promotedFrom?: number;
}

interface Finished {
  task: Task;
  ir?: ArchitectureIR;
  outcome?: EvalOutcome;
  error?: string;
  /** The trainer's last stderr lines, for a failed evaluation. */
  log?: string[];
  seconds: number;
}

/** The baseline may be built with other template options (no batch norm): it never shares results with a proposal. */
const cacheKey = (values: ConfigValues, fidelity: Fidelity, baseline = false) => canonicalJson(baseline ? { values, fidelity, baseline } : { values, fidelity });
const isUserError = (e: unknown) => e instanceof Error && (e as { userError?: unknown }).userError === true;

/**
 * One search: agents propose, the evaluator trains/exports/profiles, the global reward goes
 * back to the agents, and every evaluation is appended to the journal before anything else
 * depends on it. Resuming replays the journal into fresh agents (whose proposals depend only
 * on the seed and the observations), so a run killed at any moment and resumed ends in the
 * state of an uninterrupted one and loses at most the evaluations in flight.
 *
 * With `multiFidelity`, each proposal is first screened (fewer epochs, a fraction of the
 * data); only those the promotion rule picks (./promotion.ts) are trained fully, and the agents
 * learn from the full evaluation (from the screen for the others).
 */
export async function runSearch(config: SearchConfig, opts: SearchOptions): Promise<SearchResult> {
  const run = new RunDir(opts.out);
  run.open(config, opts.resume ?? false, opts.log);
  try {
    return await search(run, config, opts);
  } catch (e) {
    if (e instanceof DiskError) throw new DiskError(`${e.message}; what the run wrote is intact: make room, then continue with --resume`, e.code);
    throw e;
  } finally {
    run.close();
  }
}

/** The search in a run folder that this process has locked. */
async function search(run: RunDir, config: SearchConfig, opts: SearchOptions): Promise<SearchResult> {
  const { records } = readJournal(run.journal);
  const dataset = await opts.evaluator.prepare();
  const template = getTemplate(config.template);
  if (template.task !== dataset.task) {
    throw new ConfigError(`template: '${config.template}' is a ${template.task} template but dataset '${datasetSpec(config)}' is for ${dataset.task}`);
  }
  const templateOpts: TemplateOptions = templateOptionsFor(config, dataset);
  const baselineOpts: TemplateOptions = templateOptionsFor(config, dataset, true);
  const space = template.space(templateOpts);
  const spec: RewardSpec = { objectives: config.objectives, constraints: config.constraints };
  // A metric nothing produces would make every evaluation infeasible: refuse it before training.
  checkMetricsProduced(spec, [...dataset.metrics, ...STATIC_METRICS]);
  const witness = checkStaticFeasibility(template, templateOpts, space, spec, template.baseline(templateOpts));
  const full: Fidelity = { epochs: config.trainer.epochs };
  const mf = config.multiFidelity;
  const screenFidelity: Fidelity | undefined = mf && { epochs: mf.screen.epochs, trainFraction: mf.screen.trainFraction };
  const total = config.budget.episodes === undefined ? undefined : config.budget.episodes + (config.baseline ? 1 : 0);
  const agent = createAgent(config.algorithm, space, { ...config.agent, seed: config.seed, budget: config.budget.episodes ?? DEFAULT_AGENT_BUDGET });

  // Rebuild from the journal: agents, cache, best model, promotions still to train.
  const cache = new Map<string, EvaluationRecord>();
  const remember = (r: EvaluationRecord) => r.cachedFrom === undefined && r.status !== 'failed' && cache.set(cacheKey(r.values, r.fidelity, r.baseline), r);
  for (const r of records) {
    if (learnedFrom(r)) agent.observe(r.config, r.reward);
    remember(r);
  }
  const promotedDone = new Set(records.map((r) => r.promotedFrom));
  const queue: Task[] = records
    .filter((r) => r.promoted && !promotedDone.has(r.episode))
    .map((r) => ({ config: r.config, values: r.values, fidelity: full, baseline: false, screen: false, promotedFrom: r.episode }));
  for (let i = 0; i < queue.length; i++) agent.propose(); // they were proposed before the restart
  let best = bestOf(records.filter(isFull));
  let bestOnnx = restoreBest(run, best, opts.log);
  const journal = new JournalWriter(run.journal, readJournal(run.journal).validBytes);
  let steps = records.filter(learnedFrom).length;
  let episodes = records.filter(costly).length;
  const resumedEpisodes = episodes;
  opts.onStart?.({ resumed: episodes, total, dataset });

  const started = Date.now();
  const workers = Math.max(1, opts.workers ?? 1);
  const abort = new AbortController();
  const onAbort = () => abort.abort();
  opts.signal?.addEventListener('abort', onAbort);
  const inFlight = new Map<number, Promise<Finished>>();
  /** Proposals dispatched whose episode has not ended (their screen or full evaluation is pending). */
  let openProposals = queue.length;
  let nextTask = 0;
  let fatal: unknown;

  const timeUp = () => config.budget.seconds !== undefined && (Date.now() - started) / 1000 >= config.budget.seconds;
  // Nothing left to learn once every configuration has a result at full fidelity.
  const exhausted = () => [...cache.values()].filter(isFull).length >= spaceSize(space);
  // Constraints that (almost) no configuration meets: stop after a bounded number of tries.
  const budgetLeft = () => !exhausted() && !hopeless(records) && (total === undefined || (episodes + openProposals < total && steps + openProposals < total * MAX_STEPS_PER_EVALUATION));
  let baselineWanted = config.baseline && !records.some((r) => r.baseline);

  const nextProposal = (): Task => {
    openProposals++;
    if (baselineWanted) {
      baselineWanted = false;
      const values = template.baseline(baselineOpts);
      return { config: indexesOf(space, values), values, fidelity: full, baseline: true, screen: false };
    }
    const configIdx = agent.propose();
    const values = valuesOf(space, configIdx);
    return screenFidelity ? { config: configIdx, values, fidelity: screenFidelity, baseline: false, screen: true } : { config: configIdx, values, fidelity: full, baseline: false, screen: false };
  };

  const evaluate = async (task: Task, proposal: number): Promise<Finished> => {
    const started = Date.now();
    const done = (f: Omit<Finished, 'task' | 'seconds'>): Finished => ({ task, seconds: (Date.now() - started) / 1000, ...f });
    let ir: ArchitectureIR;
    try {
      ir = template.instantiate(task.values, task.baseline ? baselineOpts : templateOpts);
    } catch (e) {
      return done({ error: `cannot build: ${(e as Error).message}` });
    }
    const cost = summarize(ir);
    if (cache.has(cacheKey(task.values, task.fidelity, task.baseline)) || violatedConstraints(spec, { params: cost.params, macs: cost.macs }).length) return done({ ir });
    const job: EvalJob = { proposal, values: task.values, ir, fidelity: task.fidelity };
    try {
      return done({ ir, outcome: await opts.evaluator.evaluate(job, abort.signal) });
    } catch (e) {
      if (abort.signal.aborted) throw e;
      if (isUserError(e)) {
        fatal ??= e;
        abort.abort();
        throw e;
      }
      const log = (e as { log?: unknown })?.log;
      return done({ ir, error: e instanceof Error ? e.message.split('\n')[0] : String(e), ...(Array.isArray(log) && log.length ? { log: log.map(String) } : {}) });
    }
  };

  // The promotion rule sees the screens in journal order, so a resumed run decides as an uninterrupted one.
  const promotion = mf && new Promotion(mf);
  const promote = (r: EvaluationRecord): boolean => !!promotion && r.status === 'ok' && promotion.screen(r.reward);
  for (const r of records) if (r.screen) promote(r);

  const commit = (f: Finished) => {
    const episode = records.length;
    const record = toRecord(episode, f, spec, cache.get(cacheKey(f.task.values, f.task.fidelity, f.task.baseline)));
    if (f.task.screen) {
      record.screen = true;
      record.promoted = promote(record);
      if (record.promoted) record.observed = false;
    }
    if (f.task.promotedFrom !== undefined) record.promotedFrom = f.task.promotedFrom;
    const improves = record.status === 'ok' && isFull(record) && (!best || record.reward > best.reward);
    // The model first, so the journal never names a best whose model is not on disk.
    const model = improves && f.outcome?.onnx ? run.modelFile(episode) : undefined;
    if (model) writeFileAtomic(model, f.outcome?.onnx as Uint8Array);
    try {
      journal.append(record);
    } catch (e) {
      if (model) fs.rmSync(model, { force: true });
      throw e;
    }
    records.push(record);
    remember(record);
    if (record.promoted) {
      queue.push({ config: record.config, values: record.values, fidelity: full, baseline: false, screen: false, promotedFrom: episode });
    } else {
      agent.observe(record.config, record.reward);
      steps++;
      if (costly(record)) episodes++;
      openProposals--;
    }
    if (improves) {
      best = record;
      bestOnnx = restoreBest(run, best, opts.log);
    }
    writeState(run, agent, space, records, template, templateOpts);
    const elapsedSeconds = (Date.now() - started) / 1000;
    const perEpisode = elapsedSeconds / Math.max(1, episodes - resumedEpisodes);
    opts.onEpisode?.({ record, best, done: episodes, total, elapsedSeconds, etaSeconds: total === undefined ? undefined : Math.max(0, total - episodes) * perEpisode });
  };

  try {
    writeState(run, agent, space, records, template, templateOpts);
    for (;;) {
      while (!abort.signal.aborted && inFlight.size < workers && (queue.length || (budgetLeft() && !timeUp()))) {
        const proposal = nextTask++;
        inFlight.set(proposal, evaluate(queue.shift() ?? nextProposal(), proposal));
      }
      if (inFlight.size === 0) break;
      const settled = await Promise.race([...inFlight.entries()].map(([k, p]) => p.then((f) => ({ k, f }), () => ({ k }))));
      inFlight.delete(settled.k);
      if ('f' in settled) commit(settled.f);
      if (abort.signal.aborted) {
        await Promise.allSettled(inFlight.values());
        break;
      }
    }
  } catch (e) {
    // A write failed (full disk): stop the evaluations in flight, keep what is written.
    abort.abort();
    await Promise.allSettled(inFlight.values());
    throw e;
  } finally {
    opts.signal?.removeEventListener('abort', onAbort);
    journal.close();
  }
  if (fatal) throw fatal;
  const stopped = opts.signal?.aborted ? 'interrupted' : timeUp() && budgetLeft() ? 'time' : 'budget';
  if (!best && stopped !== 'interrupted') throw new NoFeasibleError(noFeasibleMessage(records, spec, witness));
  return { records, best, stopped, dir: run.dir, bestOnnx };
}

function datasetSpec(config: SearchConfig): string {
  return typeof config.dataset === 'string' ? config.dataset : config.dataset.spec;
}

/** The best feasible record: highest reward, earliest on ties. */
function bestOf(records: EvaluationRecord[]): EvaluationRecord | undefined {
  let best: EvaluationRecord | undefined;
  for (const r of records) if (r.status === 'ok' && (!best || r.reward > best.reward)) best = r;
  return best;
}

function toRecord(episode: number, f: Finished, spec: RewardSpec, cached: EvaluationRecord | undefined): EvaluationRecord {
  const { task } = f;
  const base = {
    type: 'evaluation' as const,
    episode,
    config: task.config,
    values: task.values,
    fidelity: task.fidelity,
    ...(task.baseline ? { baseline: true } : {}),
    time: new Date().toISOString(),
  };
  const timings = { ...f.outcome?.timings, total: f.seconds };
  if (!f.ir) return { ...base, status: 'infeasible', skipped: true, metrics: {}, reward: MIN_REWARD, violations: [f.error ?? 'cannot build'], error: f.error, timings };
  const cost = summarize(f.ir);
  const staticMetrics: Metrics = { params: cost.params, macs: cost.macs };
  if (f.error !== undefined) return { ...base, status: 'failed', metrics: staticMetrics, reward: MIN_REWARD, violations: [], error: f.error, ...(f.log ? { log: f.log } : {}), timings };
  if (!f.outcome) {
    if (cached) return { ...base, status: cached.status, metrics: cached.metrics, reward: cached.reward, violations: cached.violations, cachedFrom: cached.episode, ...(cached.ops ? { ops: cached.ops } : {}), ...(cached.diverged ? { error: cached.error, diverged: cached.diverged } : {}), timings };
    // A hard constraint on the static cost model failed: no training.
    return { ...base, status: 'infeasible', skipped: true, metrics: staticMetrics, reward: MIN_REWARD, violations: violatedConstraints(spec, staticMetrics), timings };
  }
  const { ops, diverged } = f.outcome;
  const metrics: Metrics = { ...staticMetrics, ...f.outcome.metrics };
  if (diverged) return { ...base, status: 'diverged', metrics, reward: MIN_REWARD, violations: [], error: `diverged: loss ${diverged.loss} at step ${diverged.step} (epoch ${diverged.epoch})`, diverged, timings };
  const r = computeReward(spec, metrics);
  return { ...base, status: r.feasible ? 'ok' : 'infeasible', metrics, reward: r.reward, violations: r.feasible ? [] : [r.reason ?? 'infeasible'], ...(ops ? { ops } : {}), timings };
}

/**
 * best.onnx and best.json follow the journal's best. best.onnx is written from
 * models/<episode>.onnx (or kept, if it already is that model) only once the bytes decode as
 * ONNX and are that evaluation's model (its size and configuration); otherwise no best.onnx
 * is better than a wrong one. Returns best.onnx's path when it holds the best model.
 */
function restoreBest(run: RunDir, best: EvaluationRecord | undefined, log?: (line: string) => void): string | undefined {
  if (!best) return undefined;
  const read = (file: string) => (fs.existsSync(file) ? fs.readFileSync(file) : undefined);
  const model = read(run.modelFile(best.episode));
  const current = read(run.bestOnnx);
  const problem = model && modelProblem(model, best);
  const source = model && !problem ? model : current && !modelProblem(current, best) ? current : undefined;
  if (source && source !== current && !current?.equals(source)) writeFileAtomic(run.bestOnnx, source);
  if (!source && current) fs.rmSync(run.bestOnnx);
  if (!source && (model || current)) log?.(`${model ? run.modelFile(best.episode) : run.bestOnnx}: ${problem ?? modelProblem(current as Buffer, best)}: best.onnx (episode ${best.episode}) not written`);
  run.writeJson(run.bestJson, { ...best, onnx: source ? 'best.onnx' : undefined, quality: qualityOf(best) });
  return source ? run.bestOnnx : undefined;
}

/** Why `bytes` are not the model of `record` (undefined: they are). */
function modelProblem(bytes: Uint8Array, record: EvaluationRecord): string | undefined {
  let configuration: string | undefined;
  try {
    configuration = decodeModel(bytes).metadata_props?.find((p) => p.key === 'configuration')?.value;
  } catch (e) {
    return `not a whole ONNX model (${(e as Error).message})`;
  }
  const size = record.metrics.onnxBytes;
  if (size !== undefined && size !== bytes.length) return `${bytes.length} bytes where the journal says ${size}`;
  if (configuration === undefined) return undefined;
  try {
    if (canonicalJson(JSON.parse(configuration)) === canonicalJson(record.values)) return undefined;
  } catch {
    // unreadable metadata: not ours
  }
  return 'the model of another configuration';
}

function writeState(run: RunDir, agent: Agent, space: SearchSpace, records: EvaluationRecord[], template: Template, opts: TemplateOptions): void {
  // After every episode: one folder fsync for the three files (each is renamed whole anyway).
  const batch = { syncDir: false };
  run.writeJson(run.agents, { template: template.name, input: opts.input, classes: opts.classes, slots: space.slots, agent: agent.state() }, batch);
  run.writeResults(records, space.slots, batch);
  run.writeJson(run.pareto, { front: paretoFront(records.filter(isFull)) }, batch);
  fsyncDir(run.dir);
}
