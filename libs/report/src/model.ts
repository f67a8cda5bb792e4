import { canonicalJson, getTemplate, summarize, type ArchitectureSummary } from '@marl-hpo/arch';
import { countsAgainstBudget, isFullFidelity, paretoFront, qualityOf, templateOptionsFor, type ParetoPoint } from '@marl-hpo/search';
import { agentView, type AgentView } from './agent-view';
import { num } from './format';
import type { ReportRecord, RunData } from './load';

/** A layer table, or why it could not be built. */
export type LayerTable = { summary: ArchitectureSummary } | { error: string };

/** One line of "baseline vs best". */
export interface ComparisonRow {
  metric: string;
  baseline?: number;
  best?: number;
  /** best / baseline, e.g. 0.012 for a model 83x smaller (undefined: a value is missing). */
  ratio?: number;
  /** Readable change, e.g. "83.2x smaller (-98.8%)", or why it is missing. */
  change: string;
}

export interface ReportModel {
  run: RunData;
  title: string;
  /** 'accuracy' or 'mIoU': the quality metric of the task. */
  quality: 'accuracy' | 'mIoU';
  /** Evaluations the budget plans (agents' episodes + the baseline), undefined for a wall-clock budget. */
  planned?: number;
  /** Evaluations that count against the budget (the search's rule: cached, skipped and promoted screens are free). */
  done: number;
  /** Records at the search's full fidelity (multi-fidelity screens excluded): best, front and top-10 come from these. */
  full: ReportRecord[];
  counts: { ok: number; infeasible: number; failed: number; diverged: number; cached: number };
  best?: ReportRecord;
  baseline?: ReportRecord;
  front: ParetoPoint[];
  /** The best distinct configurations by reward (at most 10). */
  top: { record: ReportRecord; layers: LayerTable }[];
  bestLayers?: LayerTable;
  comparison: ComparisonRow[];
  agent: AgentView;
  /** What the report cannot show, one sentence each. */
  missing: string[];
}

/** The best feasible record: highest reward, earliest on ties (the search's own rule). */
export function bestRecord(records: ReportRecord[]): ReportRecord | undefined {
  let best: ReportRecord | undefined;
  for (const r of records) if (r.status === 'ok' && (!best || r.reward > best.reward)) best = r;
  return best;
}

/** Distinct configurations (cached repeats removed) of the feasible records, best reward first, earliest on ties. */
export function topConfigurations(records: ReportRecord[], n = 10): ReportRecord[] {
  const seen = new Set<string>();
  const ok = records.filter((r) => r.status === 'ok').sort((a, b) => b.reward - a.reward || a.episode - b.episode);
  const out: ReportRecord[] = [];
  for (const r of ok) {
    const key = canonicalJson(r.values);
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(r);
    if (out.length === n) break;
  }
  return out;
}

const times = (r: number) => (r >= 10 ? r.toFixed(1) : r.toPrecision(3));
const pct = (r: number) => `${r < 1 ? '-' : '+'}${Math.abs((r - 1) * 100).toFixed(1)}%`;

/** Baseline vs best, the paper's headline numbers: size, latency and training-time ratios, accuracy difference. */
export function compare(baseline: ReportRecord | undefined, best: ReportRecord | undefined, quality: 'accuracy' | 'mIoU', empty = false): ComparisonRow[] {
  const why = empty ? 'no evaluations yet' : !baseline ? 'no baseline in the run' : !best ? 'no feasible configuration yet' : undefined;
  const rows: ComparisonRow[] = [];
  const ratioRow = (metric: string, key: keyof ReportRecord['metrics'], smaller: string, larger: string) => {
    const a = baseline?.metrics[key];
    const b = best?.metrics[key];
    if (why || a === undefined || b === undefined || !(a > 0) || !(b > 0)) {
      const missing = why ?? (a === undefined ? `not measured for the baseline${baseline?.status !== 'ok' ? ` (${baseline?.status}: ${baseline?.error ?? baseline?.violations.join('; ')})` : ''}` : 'not measured for the best');
      rows.push({ metric, baseline: a, best: b, change: missing });
      return;
    }
    const ratio = b / a;
    rows.push({ metric, baseline: a, best: b, ratio, change: ratio <= 1 ? `${times(1 / ratio)}x ${smaller} (${pct(ratio)})` : `${times(ratio)}x ${larger} (${pct(ratio)})` });
  };
  ratioRow('parameters', 'params', 'smaller', 'larger');
  ratioRow('MACs', 'macs', 'fewer', 'more');
  ratioRow('latency (p50 ms)', 'latencyMs', 'faster', 'slower');
  ratioRow('training time (s)', 'trainSeconds', 'shorter', 'longer');
  ratioRow('ONNX size (bytes)', 'onnxBytes', 'smaller', 'larger');
  const a = baseline && qualityOf(baseline);
  const b = best && qualityOf(best);
  if (why || a === undefined || b === undefined) {
    rows.push({ metric: quality, baseline: a, best: b, change: why ?? (a === undefined ? `not measured for the baseline${baseline?.status !== 'ok' ? ` (${baseline?.status})` : ''}` : 'not measured for the best') });
  } else {
    const d = b - a;
    rows.push({ metric: quality, baseline: a, best: b, change: `${d >= 0 ? '+' : '-'}${Math.abs(d * 100).toFixed(2)} points` });
  }
  return rows;
}

/** Builds a record's IR again from its configuration (the journal stores values, not layers). */
function layerTable(run: RunData, values: ReportRecord['values'], baseline = false): LayerTable {
  const agents = run.agents;
  const template = run.config?.template ?? agents?.template;
  if (!agents || !template) return { error: 'agents.json (input shape and classes) is missing' };
  try {
    const ir = getTemplate(template).instantiate(values, templateOptionsFor({ templateOptions: run.config?.templateOptions ?? {} }, agents, baseline));
    return { summary: summarize(ir) };
  } catch (e) {
    return { error: (e as Error).message.split('\n')[0] };
  }
}

/** Everything the report shows, computed from the run folder's files. */
export function buildModel(run: RunData): ReportModel {
  const records = run.records;
  const segmentation = records.some((r) => r.metrics.mIoU !== undefined) || (run.config ? run.config.template === 'unet' : false);
  const quality = segmentation ? 'mIoU' : 'accuracy';
  const counts = { ok: 0, infeasible: 0, failed: 0, diverged: 0, cached: 0 };
  for (const r of records) {
    counts[r.status]++;
    if (r.cachedFrom !== undefined) counts.cached++;
  }
  const config = run.config;
  const planned = config?.budget.episodes === undefined ? undefined : config.budget.episodes + (config.baseline ? 1 : 0);
  const done = records.filter(countsAgainstBudget).length;
  const full = records.filter(isFullFidelity);
  const best = bestRecord(full);
  const baseline = records.find((r) => r.baseline);
  const missing: string[] = [];

  if (records.length === 0) missing.push('No evaluations yet: the journal is empty or missing, so there are no charts of results, no best model and no comparison.');
  else if (planned !== undefined && done < planned) missing.push(`Run in progress or stopped: ${done} of ${planned} planned evaluations are in the journal (a stopped run continues with marl-hpo search --resume).`);
  if (run.truncatedTail) missing.push('The journal ends with a half-written line (an evaluation being written, or a crash during the write): it is ignored.');
  if (records.length > 0 && !best) missing.push('No feasible evaluation yet: no best model, no Pareto front.');
  if (!baseline && records.length > 0) missing.push(config?.baseline === false ? 'No baseline: the config has "baseline": false, so there is no baseline vs best comparison.' : 'No baseline evaluation in the journal yet.');
  else if (baseline && baseline.status !== 'ok') missing.push(`The baseline is ${baseline.status} (${baseline.error ?? baseline.violations.join('; ')}): only its static cost (parameters, MACs) is known.`);
  if (best && !best.ops) missing.push('No per-op latency for the best model (the evaluation was not profiled with --ops).');
  missing.push(...run.problems);

  const front = paretoFront(full);
  if (best && front.length === 0) missing.push(`No Pareto front: no feasible evaluation has both ${quality} and latency.`);

  return {
    run,
    title: config?.name ?? run.name,
    quality,
    planned,
    done,
    full,
    counts,
    best,
    baseline,
    front,
    top: topConfigurations(full).map((record) => ({ record, layers: layerTable(run, record.values, record.baseline) })),
    bestLayers: best ? layerTable(run, best.values, best.baseline) : undefined,
    comparison: compare(baseline, best, quality, records.length === 0),
    agent: agentView(run.agents, records, config?.algorithm),
    missing,
  };
}

/** One-line status of a run, for the dashboard's list and the CLI. */
export function statusLine(m: ReportModel): string {
  const of = m.planned !== undefined ? ` of ${m.planned}` : '';
  const free = m.run.records.length - m.done;
  const best = m.best ? `best reward ${num(m.best.reward, 4)} (episode ${m.best.episode})` : 'no feasible configuration yet';
  return `${m.done}${of} evaluations${free ? ` (+${free} free: cached, skipped or screened)` : ''}, ${best}`;
}
