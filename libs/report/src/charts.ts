import { qualityOf } from '@marl-hpo/search';
import { firstMax } from './agent-view';
import { choiceFields, int, longChoice, num, shortChoice, slug } from './format';
import type { ReportRecord } from './load';
import type { ReportModel } from './model';
import { barChart } from './svg/bars';
import { formatNumber } from './svg/scale';
import { heatmap } from './svg/heatmap';
import { COLORS, type Chart, type Shape } from './svg/svg';
import { xyChart, type LegendItem, type XYPoint } from './svg/xy';

/** The charts of a report, in page order, grouped by section. */
export interface ReportCharts {
  progress: Chart[];
  tradeoffs: Chart[];
  agents: Chart[];
  best: Chart[];
}

export function allCharts(c: ReportCharts): Chart[] {
  return [...c.progress, ...c.tradeoffs, ...c.agents, ...c.best];
}

function describe(r: ReportRecord, quality: string): string {
  const q = qualityOf(r);
  const parts = [`episode ${r.episode}${r.baseline ? ' (baseline)' : ''}`, `reward ${num(r.reward, 4)}`, r.status];
  if (q !== undefined) parts.push(`${quality} ${num(q, 4)}`);
  if (r.metrics.latencyMs !== undefined) parts.push(`${num(r.metrics.latencyMs)} ms`);
  if (r.metrics.params !== undefined) parts.push(`${int(r.metrics.params)} params`);
  if (r.cachedFrom !== undefined) parts.push(`cached from ${r.cachedFrom}`);
  if (r.status !== 'ok') parts.push(r.error ?? r.violations.join('; '));
  return parts.join(' · ');
}

/** Marker of a record: the baseline and the best stand out; failed and infeasible are not mistaken for results. */
function style(r: ReportRecord, best: ReportRecord | undefined): { color: string; shape: Shape; r: number } {
  if (r === best) return { color: COLORS.best, shape: 'diamond', r: 5 };
  if (r.baseline) return { color: COLORS.baseline, shape: 'diamond', r: 5 };
  if (r.status === 'failed' || r.status === 'diverged') return { color: COLORS.failed, shape: 'cross', r: 3.5 };
  if (r.status === 'infeasible') return { color: COLORS.infeasible, shape: 'triangle', r: 3.5 };
  if (r.cachedFrom !== undefined) return { color: COLORS.cached, shape: 'ring', r: 3.5 };
  if (r.screen) return { color: COLORS.screen, shape: 'square', r: 2.6 };
  return { color: COLORS.ok, shape: 'circle', r: 3.5 };
}

const LEGEND: Record<string, LegendItem> = {
  ok: { label: 'evaluated', color: COLORS.ok, shape: 'circle' },
  screen: { label: 'screening (lower fidelity)', color: COLORS.screen, shape: 'square' },
  cached: { label: 'cached (repeat)', color: COLORS.cached, shape: 'ring' },
  infeasible: { label: 'infeasible', color: COLORS.infeasible, shape: 'triangle' },
  failed: { label: 'failed or diverged', color: COLORS.failed, shape: 'cross' },
  baseline: { label: 'baseline', color: COLORS.baseline, shape: 'diamond' },
  best: { label: 'best', color: COLORS.best, shape: 'diamond' },
};

function legendFor(records: ReportRecord[], m: ReportModel): LegendItem[] {
  const has = (k: string) =>
    records.some((r) => {
      if (r === m.best) return k === 'best';
      if (r.baseline) return k === 'baseline';
      if (r.status !== 'ok') return (r.status === 'diverged' ? 'failed' : r.status) === k;
      if (r.cachedFrom !== undefined) return k === 'cached';
      return k === (r.screen ? 'screen' : 'ok');
    });
  return Object.keys(LEGEND).filter(has).map((k) => LEGEND[k]);
}

function rewardChart(m: ReportModel): Chart {
  const rs = m.run.records;
  const points: XYPoint[] = rs.map((r) => ({ x: r.episode, y: r.reward, ...style(r, m.best), tip: describe(r, m.quality) }));
  const bestSoFar: [number, number][] = [];
  let top = -Infinity;
  const full = new Set(m.full);
  for (const r of rs) {
    if (r.status === 'ok' && full.has(r) && r.reward > top) top = r.reward;
    if (Number.isFinite(top)) bestSoFar.push([r.episode, top]);
  }
  const window = Math.max(5, Math.round(rs.length / 12));
  const mean: [number, number][] = rs.map((r, i) => {
    const slice = rs.slice(Math.max(0, i - window + 1), i + 1);
    return [r.episode, slice.reduce((s, x) => s + x.reward, 0) / slice.length];
  });
  return xyChart({
    id: 'reward',
    title: 'Reward per episode',
    xLabel: 'episode',
    yLabel: 'reward',
    yZero: true,
    points,
    lines: [
      { points: mean, color: COLORS.muted, dash: '4 3', width: 1.2 },
      { points: bestSoFar, color: COLORS.best, step: true, width: 2 },
    ],
    legend: [...legendFor(rs, m), { label: 'best so far', color: COLORS.best, shape: 'line' }, { label: `mean of last ${window}`, color: COLORS.muted, shape: 'line', dash: '4 3' }],
    caption: 'Every evaluation in journal order; failed and infeasible evaluations get the minimum reward. Hover a point for its metrics.',
    empty: 'no evaluations yet',
  });
}

/** Log axis when the values span more than a factor of 20. */
const wide = (xs: number[]) => xs.length > 1 && Math.min(...xs) > 0 && Math.max(...xs) / Math.min(...xs) > 20;

function paretoChart(m: ReportModel): Chart {
  const rs = m.full.filter((r) => r.status === 'ok' && r.cachedFrom === undefined && qualityOf(r) !== undefined && r.metrics.latencyMs !== undefined);
  const onFront = new Set(m.front.map((p) => p.episode));
  const baseline = m.baseline && m.baseline.status === 'ok' && !rs.includes(m.baseline) ? [m.baseline] : [];
  const shown = [...rs, ...baseline];
  const points: XYPoint[] = shown.map((r) => {
    const s = style(r, m.best);
    const front = onFront.has(r.episode) && s.shape === 'circle';
    return { x: r.metrics.latencyMs as number, y: qualityOf(r) as number, ...s, color: front ? COLORS.front : s.color, tip: describe(r, m.quality) + (onFront.has(r.episode) ? ' · Pareto front' : '') };
  });
  const legend = legendFor(shown, m).filter((l) => l.label !== 'cached (repeat)');
  return xyChart({
    id: 'pareto',
    title: `${m.quality} vs latency`,
    xLabel: 'latency p50 (ms)',
    yLabel: m.quality,
    xLog: wide(points.map((p) => p.x)),
    points,
    lines: [{ points: m.front.map((p) => [p.latencyMs, p.quality]), color: COLORS.front, step: true, width: 1.6 }],
    legend: [...legend, { label: 'Pareto front', color: COLORS.front, shape: 'line' }],
    caption: `Feasible evaluations at full fidelity (repeats removed). The front joins the configurations that no other beats on both ${m.quality} and latency.`,
    empty: m.run.records.length ? `no feasible evaluation with ${m.quality} and latency yet` : 'no evaluations yet',
  });
}

function paramsChart(m: ReportModel): Chart {
  const rs = m.full.filter((r) => (r.status === 'ok' || r.baseline) && r.cachedFrom === undefined && qualityOf(r) !== undefined && r.metrics.params !== undefined);
  const points: XYPoint[] = rs.map((r) => ({ x: r.metrics.params as number, y: qualityOf(r) as number, ...style(r, m.best), tip: describe(r, m.quality) }));
  return xyChart({
    id: 'params',
    title: `${m.quality} vs parameters`,
    xLabel: 'parameters (log scale)',
    yLabel: m.quality,
    xLog: true,
    points,
    legend: legendFor(rs, m),
    caption: 'Model size against quality: the smallest model that keeps the baseline\'s quality is the paper\'s headline.',
    empty: m.run.records.length ? `no evaluation with ${m.quality} yet` : 'no evaluations yet',
  });
}

function agentCharts(m: ReportModel): Chart[] {
  const a = m.agent;
  const slots = m.run.agents?.slots ?? [];
  const out: Chart[] = [];
  const fields = (i: number) => (slots[i] ? choiceFields(slots[i].choices) : undefined);
  const axis = (i: number) => `${slots[i]?.name ?? '?'}${fields(i) ? ` (${fields(i)})` : ''}`;
  a.tables?.forEach((t, i) => {
    const cols = slots[i]?.choices.map(shortChoice) ?? t.columns;
    const rows = i === 0 ? ['start'] : (slots[i - 1]?.choices.map(shortChoice) ?? t.rows);
    const long = (k: number, j: number) => (slots[k]?.choices[j] !== undefined ? longChoice(slots[k].choices[j]) : String(j));
    out.push(
      heatmap({
        id: `q-${i + 1}-${slug(t.slot)}`,
        title: `Agent ${i + 1}: ${t.slot}`,
        rowLabel: i === 0 ? 'state' : `previous: ${axis(i - 1)}`,
        colLabel: `choice: ${axis(i)}`,
        rows,
        cols,
        values: t.q,
        tips: t.q.map((row, r) => row.map((q, c) => `${i === 0 ? 'start' : `${t.previousSlot} = ${long(i - 1, r)}`} → ${t.slot} = ${long(i, c)}: Q ${num(q, 4)}, ${t.visits[r]?.[c] ?? 0} visits`)),
        marks: t.q.map((row) => row.map((_, c) => c === firstMax(row))),
        faded: t.visits.map((row) => row.map((v) => v === 0)),
        legend: 'Q',
        cell: [Math.max(10, Math.min(24, Math.floor(300 / cols.length))), Math.max(10, Math.min(20, Math.floor(240 / rows.length)))],
        empty: 'empty table',
      }),
    );
  });
  if (a.path) {
    const width = Math.max(...a.path.map((p) => p.q.length));
    out.push(
      heatmap({
        id: 'q-path',
        title: 'Q-learning: Q values along the greedy path',
        rowLabel: 'slot',
        colLabel: 'choice index',
        rows: a.path.map((p) => p.slot),
        cols: Array.from({ length: width }, (_, j) => String(j)),
        values: a.path.map((p) => Array.from({ length: width }, (_, j) => p.q[j] ?? null)),
        tips: a.path.map((p, i) => p.q.map((q, j) => `${p.slot} = ${slots[i] ? longChoice(slots[i].choices[j]) : j}: Q ${num(q, 4)}`)),
        marks: a.path.map((p) => Array.from({ length: width }, (_, j) => j === firstMax(p.q))),
        legend: 'Q',
        empty: 'empty tree',
      }),
    );
  }
  if (a.tracks && a.history.length) {
    const h = a.history;
    out.push(
      heatmap({
        id: 'greedy',
        title: `The ${a.tracks} over the run`,
        rowLabel: 'slot',
        colLabel: 'after episode',
        rows: slots.map((s) => s.name),
        cols: h.map((s) => String(s.episode)),
        values: slots.map((s, i) => h.map((step) => (s.choices.length > 1 ? step.config[i] / (s.choices.length - 1) : 0.5))),
        tips: slots.map((s, i) => h.map((step) => `after episode ${step.episode}: ${s.name} = ${longChoice(s.choices[step.config[i]])} (choice ${step.config[i] + 1} of ${s.choices.length})`)),
        cell: [Math.max(2, Math.min(16, Math.floor(640 / h.length))), 14],
        caption: `Colour: the choice's position in the slot's list of choices (dark: first, yellow: last). A column is the ${a.tracks} after that episode, replayed from the journal.`,
        empty: 'no history',
      }),
    );
  }
  return out;
}

function bestCharts(m: ReportModel): Chart[] {
  const out: Chart[] = [];
  const layers = m.bestLayers && 'summary' in m.bestLayers ? m.bestLayers.summary.layers.filter((l) => l.params > 0 || l.macs > 0) : undefined;
  if (layers) {
    const total = m.bestLayers && 'summary' in m.bestLayers ? m.bestLayers.summary : undefined;
    const share = (v: number, t: number | undefined) => (t ? ` (${((100 * v) / t).toFixed(1)}%)` : '');
    out.push(
      barChart({
        id: 'best-layers',
        title: `Best model (episode ${m.best?.episode}): parameters and MACs per layer`,
        labels: layers.map((l) => `${l.name} ${l.kind}`),
        panels: [
          { name: 'parameters', values: layers.map((l) => l.params), color: COLORS.ok, format: (v) => `${formatNumber(v)}${share(v, total?.params)}` },
          { name: 'MACs', values: layers.map((l) => l.macs), color: COLORS.baseline, format: (v) => `${formatNumber(v)}${share(v, total?.macs)}` },
        ],
        caption: 'Layers without parameters or MACs (pooling, flatten, dropout) are left out; the full table is below.',
        empty: 'no layers',
      }),
    );
  }
  const ops = m.best?.ops;
  if (ops?.length) {
    out.push(
      barChart({
        id: 'best-ops',
        title: 'Best model: latency per op type (onnxruntime profile)',
        labels: ops.map((o) => `${o.opType} ×${o.nodes}`),
        panels: [{ name: 'ms per inference', values: ops.map((o) => o.ms), color: COLORS.front, format: (v, i) => `${num(v)} ms (${(ops[i].share * 100).toFixed(1)}%)` }],
        caption: 'Kernel time summed over the nodes of each op type, after onnxruntime\'s graph optimisations.',
        empty: 'no ops',
      }),
    );
  }
  return out;
}

export function buildCharts(m: ReportModel): ReportCharts {
  return { progress: [rewardChart(m)], tradeoffs: [paretoChart(m), paramsChart(m)], agents: agentCharts(m), best: bestCharts(m) };
}
