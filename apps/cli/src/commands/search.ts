import path from 'node:path';
import { QueueEvaluator, queueConnectionFromEnv } from '@marl-hpo/queue';
import { createEvaluator, readConfigFile, runSearch, type EpisodeEvent, type EvaluationRecord, type SearchResult } from '@marl-hpo/search';
import { intFlag, UsageError, type Command, type Io } from '../cli';

const fmt = (v: number | undefined, digits = 4) => (v === undefined ? '-' : Number(v.toPrecision(digits)).toString());
const duration = (s: number | undefined) => (s === undefined ? '?' : s >= 3600 ? `${Math.floor(s / 3600)}h${Math.round((s % 3600) / 60)}m` : s >= 60 ? `${Math.floor(s / 60)}m${Math.round(s % 60)}s` : `${Math.round(s)}s`);

function quality(r: EvaluationRecord): string {
  const m = r.metrics;
  if (m.accuracy !== undefined) return `acc ${fmt(m.accuracy, 3)}`;
  if (m.mIoU !== undefined) return `mIoU ${fmt(m.mIoU, 3)}`;
  return '';
}

/** Episodes rejected before training are summarised, not listed: they are many and free. */
function progressPrinter(io: Io): (e: EpisodeEvent) => void {
  let skipped = 0;
  return (e) => {
    if (e.record.skipped) {
      skipped++;
      return;
    }
    if (skipped) io.err(`  (${skipped} configuration${skipped > 1 ? 's' : ''} rejected by a hard constraint before training)`);
    skipped = 0;
    io.err(progressLine(e));
  };
}

function progressLine(e: EpisodeEvent): string {
  const r = e.record;
  const what = r.status === 'ok' ? `${quality(r)}  ${fmt(r.metrics.latencyMs, 3)} ms  ${fmt(r.metrics.params, 3)} params` : r.status === 'failed' ? `failed: ${r.error}` : r.status === 'diverged' ? (r.error ?? 'diverged') : `infeasible: ${r.violations.join('; ')}`;
  const cached = r.cachedFrom !== undefined ? ` (cached from ${r.cachedFrom})` : '';
  const best = e.best ? `best ${fmt(e.best.reward)} (#${e.best.episode})` : 'best -';
  return `evaluation ${e.done}/${e.total ?? '?'}  #${r.episode}  reward ${fmt(r.reward)}  ${best}  ${what}${cached}  ETA ${duration(e.etaSeconds)}`;
}

function summary({ best, records, dir, bestOnnx }: SearchResult): string {
  if (!best) return `no feasible configuration yet (${records.length} episodes); journal: ${path.join(dir, 'journal.jsonl')}`;
  const baseline = records.find((r) => r.baseline && r.status === 'ok');
  const lines = [
    `best: #${best.episode} in the journal, reward ${fmt(best.reward)}, ${quality(best)}, latency ${fmt(best.metrics.latencyMs, 3)} ms, ${best.metrics.params?.toLocaleString('en-US')} params`,
    `config: ${JSON.stringify(best.values)}`,
  ];
  if (baseline && baseline !== best) {
    const ratio = (a?: number, b?: number) => (a && b ? `${fmt(a / b, 3)}x` : '-');
    lines.push(`vs baseline: ${ratio(baseline.metrics.params, best.metrics.params)} smaller, ${ratio(baseline.metrics.latencyMs, best.metrics.latencyMs)} faster`);
  }
  if (bestOnnx) lines.push(`wrote ${bestOnnx} (and best.json, journal.jsonl, results.csv, pareto.json, agents.json)`);
  else lines.push(`wrote ${path.join(dir, 'best.json')} (no best.onnx: see above), journal.jsonl, results.csv, pareto.json, agents.json`);
  return lines.join('\n');
}

export const search: Command = {
  path: ['search'],
  usage: 'search --config <search.json> [--out runs/<name>] [--resume] [--workers N | --queue redis://host:6379/0 [--in-flight K]] [--json | --quiet]',
  summary: 'Run a hyperparameter search: train, export ONNX and profile each configuration the agents propose',
  options: { config: { type: 'string' }, out: { type: 'string' }, resume: { type: 'boolean' }, workers: { type: 'string' }, queue: { type: 'string' }, 'in-flight': { type: 'string' }, json: { type: 'boolean' }, quiet: { type: 'boolean' } },
  async run({ values }, io: Io) {
    if (typeof values['config'] !== 'string') throw new UsageError(`--config <search.json> is required (usage: marl-hpo ${search.usage})`);
    const configFile = values['config'];
    const config = readConfigFile(configFile);
    const queue = typeof values['queue'] === 'string' ? values['queue'] : undefined;
    if (queue && values['workers'] !== undefined) throw new UsageError('--workers and --queue exclude each other: with --queue, start workers with marl-hpo worker and set --in-flight');
    if (!queue && values['in-flight'] !== undefined) throw new UsageError('--in-flight needs --queue');
    // With --queue this process coordinates: up to --in-flight evaluations wait on the queue at once.
    const workers = queue ? intFlag(values, 'in-flight', 1, 1) : intFlag(values, 'workers', 1, 1);
    const out = typeof values['out'] === 'string' ? values['out'] : path.join('runs', config.name ?? path.basename(configFile).replace(/\.jsonc?$/, ''));
    const json = values['json'] === true;
    // Progress: one plain line per evaluation on stderr (a terminal or a log file alike); --json streams it on stdout instead.
    const progress = !json && values['quiet'] !== true;
    const printProgress = progressPrinter(io);
    // Notes on what the search waits for or found in its run folder: always, on stderr.
    const note = (line: string) => io.err(`marl-hpo: ${line}`);
    const evaluator = queue
      ? new QueueEvaluator({ connection: queueConnectionFromEnv(queue), config, out, log: note })
      : createEvaluator(config, { workers, script: path.join(__dirname, 'eval.worker.js') });

    const ac = new AbortController();
    const onSigint = () => {
      if (ac.signal.aborted) process.exit(130);
      io.err('marl-hpo: stopping after writing the run state (Ctrl-C again to quit now)');
      ac.abort();
    };
    process.on('SIGINT', onSigint);
    try {
      const result = await runSearch(config, {
        out,
        resume: values['resume'] === true,
        workers,
        evaluator,
        signal: ac.signal,
        log: note,
        onStart: ({ resumed, total, dataset }) => {
          if (progress) io.err(`${config.algorithm} search on ${config.template}, input ${dataset.input.join('x')}, ${dataset.classes} classes: ${total ?? '?'} episodes${resumed ? `, resuming after ${resumed}` : ''} -> ${out}`);
        },
        onEpisode: (e) => {
          if (json) io.out(JSON.stringify({ type: 'episode', episode: e.record.episode, done: e.done, total: e.total, status: e.record.status, reward: e.record.reward, bestReward: e.best?.reward, bestEpisode: e.best?.episode, metrics: e.record.metrics, values: e.record.values, cachedFrom: e.record.cachedFrom, error: e.record.error, elapsedSeconds: e.elapsedSeconds, etaSeconds: e.etaSeconds }));
          else if (progress) printProgress(e);
        },
      });
      if (json) io.out(JSON.stringify({ type: 'done', stopped: result.stopped, episodes: result.records.length, dir: result.dir, best: result.best ?? null }));
      else io.out(summary(result));
      if (result.stopped === 'interrupted') {
        io.err(`marl-hpo: interrupted after ${result.records.length} episodes; continue with --resume --out ${out}`);
        return 130;
      }
    } finally {
      process.off('SIGINT', onSigint);
      await evaluator.close();
    }
  },
};
