import fs from 'node:fs';
import path from 'node:path';
import { qualityOf } from '@marl-hpo/search';
import type { ReportCharts } from './charts';
import { int, longChoice, num, shape } from './format';
import type { ReportRecord } from './load';
import { statusLine, type LayerTable, type ReportModel } from './model';
import { esc, type Chart } from './svg/svg';

export interface HtmlOptions {
  /** Extra markup at the top of <main> (the dashboard's navigation). */
  nav?: string;
  /** Links under each chart (the dashboard's SVG/PNG downloads). */
  chartLinks?(chart: Chart): string;
  /** A script in <head> (the dashboard's refresh); the standalone report has none. */
  script?: string;
}

export const CSS = `
*{box-sizing:border-box}
body{margin:0;font:14px/1.45 'DejaVu Sans','Liberation Sans',Arial,sans-serif;color:#20252b;background:#f4f5f7}
main{max-width:1240px;margin:0 auto;padding:20px 24px 40px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 10px;border-bottom:1px solid #d9dde2;padding-bottom:4px}
h3{font-size:14px;margin:16px 0 6px}
.meta{color:#59626d;margin:0}
.status{margin:6px 0 0;font-weight:bold}
.notes{background:#fff8e6;border:1px solid #f0d58c;border-radius:6px;padding:8px 14px 8px 30px;margin:14px 0}
.notes li{margin:2px 0}
.cards{display:flex;flex-wrap:wrap;gap:10px;margin:14px 0}
.card{background:#fff;border:1px solid #d9dde2;border-radius:6px;padding:8px 12px;min-width:130px}
.card b{display:block;font-size:18px}.card span{color:#59626d;font-size:12px}
.charts{display:flex;flex-wrap:wrap;gap:14px;align-items:flex-start}
figure{margin:0;background:#fff;border:1px solid #d9dde2;border-radius:6px;padding:6px;max-width:100%;overflow-x:auto}
figure svg{display:block}
figcaption{color:#59626d;font-size:12px;max-width:560px;padding:4px 4px 2px}
figcaption a{margin-right:8px}
table{border-collapse:collapse;background:#fff;margin:6px 0 10px;font-size:13px}
th,td{border:1px solid #d9dde2;padding:3px 8px;text-align:left;vertical-align:top}
th{background:#eef0f3}td.n{text-align:right;font-variant-numeric:tabular-nums}
tr.best td{background:#eaf6ee}
details{margin:4px 0}summary{cursor:pointer;color:#3b6fb6}
code{font-size:12px}
.muted{color:#6b7480}
footer{color:#6b7480;font-size:12px;margin-top:30px}
`;

const td = (v: string | number, numeric = false) => `<td${numeric ? ' class="n"' : ''}>${esc(String(v))}</td>`;
const th = (v: string) => `<th>${esc(v)}</th>`;

function figure(c: Chart, opts: HtmlOptions): string {
  const links = opts.chartLinks ? opts.chartLinks(c) : '';
  const caption = c.caption || links ? `<figcaption>${c.caption ? esc(c.caption) : ''}${links ? `<br>${links}` : ''}</figcaption>` : '';
  return `<figure id="chart-${esc(c.id)}">${c.svg}${caption}</figure>`;
}

const charts = (cs: Chart[], opts: HtmlOptions) => (cs.length ? `<div class="charts">${cs.map((c) => figure(c, opts)).join('')}</div>` : '');

function layerTableHtml(t: LayerTable | undefined): string {
  if (!t) return '';
  if ('error' in t) return `<p class="muted">No layer table: ${esc(t.error)}</p>`;
  const s = t.summary;
  const rows = s.layers.map(
    (l) => `<tr>${td(l.name)}${td(l.kind)}${td(shape(l.outputShape))}${td(int(l.params), true)}${td(s.params ? `${((100 * l.params) / s.params).toFixed(1)}%` : '-', true)}${td(int(l.macs), true)}${td(s.macs ? `${((100 * l.macs) / s.macs).toFixed(1)}%` : '-', true)}</tr>`,
  );
  rows.push(`<tr><th colspan="3">total</th>${td(int(s.params), true)}${td('', true)}${td(int(s.macs), true)}${td('', true)}</tr>`);
  return `<table class="layers"><tr>${['layer', 'kind', 'output', 'params', '%', 'MACs', '%'].map(th).join('')}</tr>${rows.join('')}</table>`;
}

function valuesTable(r: ReportRecord): string {
  return `<table class="values"><tr>${th('slot')}${th('choice')}</tr>${Object.entries(r.values)
    .map(([k, v]) => `<tr>${td(k)}${td(longChoice(v))}</tr>`)
    .join('')}</table>`;
}

function cards(m: ReportModel): string {
  const c = m.counts;
  const b = m.best;
  const items: [string, string][] = [
    [`${m.done}${m.planned !== undefined ? ` / ${m.planned}` : ''}`, 'evaluations (budget)'],
    [String(m.run.records.length), 'journal records'],
    [`${c.ok} / ${c.infeasible} / ${c.failed} / ${c.diverged}`, 'ok / infeasible / failed / diverged'],
    [String(c.cached), 'cached repeats'],
    [b ? num(b.reward, 4) : '-', b ? `best reward (episode ${b.episode})` : 'best reward'],
    [b ? num(qualityOf(b), 4) : '-', `best's ${m.quality}`],
    [b ? `${num(b.metrics.latencyMs)} ms` : '-', "best's latency p50"],
    [b ? int(b.metrics.params) : '-', "best's parameters"],
  ];
  return `<div class="cards">${items.map(([v, l]) => `<div class="card"><b>${esc(v)}</b><span>${esc(l)}</span></div>`).join('')}</div>`;
}

function header(m: ReportModel): string {
  const cfg = m.run.config;
  const dataset = cfg ? (typeof cfg.dataset === 'string' ? cfg.dataset : cfg.dataset.spec) : undefined;
  const objectives = cfg?.objectives.map((o) => ('goal' in o ? `${o.goal} ${o.metric}` : `${o.metric} target ${o.target} weight ${o.weight}`)).join(', ');
  const constraints = cfg?.constraints.map((c) => `${c.min !== undefined ? `${c.min} ≤ ` : ''}${c.metric}${c.max !== undefined ? ` ≤ ${c.max}` : ''}`).join(', ');
  const meta = [
    cfg ? `${cfg.algorithm} search on template ${cfg.template}` : m.run.agents ? `template ${m.run.agents.template}` : undefined,
    dataset && `dataset ${dataset}`,
    m.run.agents && `input ${shape(m.run.agents.input)}, ${m.run.agents.classes} classes`,
    cfg && `seed ${cfg.seed}`,
  ].filter(Boolean);
  const last = m.run.records[m.run.records.length - 1];
  return `<header><h1>${esc(m.title)}</h1><p class="meta">${esc(meta.join(' · '))}</p>${objectives ? `<p class="meta">objectives: ${esc(objectives)}${constraints ? ` · constraints: ${esc(constraints)}` : ''}</p>` : ''}<p class="status" id="status">${esc(statusLine(m))}${last ? esc(` · last evaluation ${last.time}`) : ''}</p></header>`;
}

function missingHtml(m: ReportModel): string {
  if (!m.missing.length) return '';
  return `<section id="missing"><ul class="notes">${m.missing.map((s) => `<li>${esc(s)}</li>`).join('')}</ul></section>`;
}

function comparisonHtml(m: ReportModel): string {
  const fmt = (metric: string, v: number | undefined) => (v === undefined ? '-' : metric === 'parameters' || metric === 'MACs' || metric.startsWith('ONNX') ? int(v) : num(v, 4));
  const rows = m.comparison.map((r) => `<tr>${td(r.metric)}${td(fmt(r.metric, r.baseline), true)}${td(fmt(r.metric, r.best), true)}${td(r.change)}</tr>`).join('');
  const eps = m.baseline || m.best ? ` (baseline: ${m.baseline ? `episode ${m.baseline.episode}` : 'none'}; best: ${m.best ? `episode ${m.best.episode}` : 'none'})` : '';
  return `<section id="baseline"><h2>Baseline vs best${esc(eps)}</h2><table><tr>${['', 'baseline', 'best', 'change'].map(th).join('')}</tr>${rows}</table></section>`;
}

function agentsHtml(m: ReportModel, c: ReportCharts, opts: HtmlOptions): string {
  const a = m.agent;
  const slots = m.run.agents?.slots ?? [];
  const parts = [`<section id="agents"><h2>What the agents learned (${esc(a.algorithm)})</h2>`];
  const options = m.run.agents?.agent.options;
  if (options) parts.push(`<p class="meta">options: <code>${esc(JSON.stringify(options))}</code></p>`);
  if (a.notes.length) parts.push(`<ul class="notes">${a.notes.map((n) => `<li>${esc(n)}</li>`).join('')}</ul>`);
  if (a.tables) parts.push('<p class="meta">One Q-table per agent: rows are the previous agent\'s choice (its state), columns this agent\'s choices; a dot marks each row\'s greedy choice (ties: the first); faded cells were never updated by an observation (they hold the initial Q). Hover a cell for its Q value and visits.</p>');
  parts.push(charts(c.agents, opts));
  if (a.history.length) {
    const changes: string[] = [];
    a.history.forEach((h, k) => {
      const prev = a.history[k - 1];
      const diff = slots.map((s, i) => (prev && prev.config[i] !== h.config[i] ? `${s.name}: ${longChoice(s.choices[prev.config[i]])} → ${longChoice(s.choices[h.config[i]])}` : '')).filter(Boolean);
      if (!prev || diff.length) changes.push(`<tr>${td(h.episode, true)}${td(prev ? diff.join('; ') : 'start')}</tr>`);
    });
    const final = a.history[a.history.length - 1].config;
    const evaluated = m.run.records.find((r) => r.config.join() === final.join() && r.cachedFrom === undefined);
    const status = evaluated ? `evaluated at episode ${evaluated.episode}: reward ${num(evaluated.reward, 4)} (${evaluated.status})` : 'not evaluated yet';
    parts.push(
      `<h3>Changes of the ${esc(a.tracks ?? '')}</h3><p class="meta">Now: ${esc(slots.map((s, i) => `${s.name} ${longChoice(s.choices[final[i]])}`).join(' · '))}; ${esc(status)}.</p>`,
      `<details${changes.length <= 12 ? ' open' : ''}><summary>${changes.length - 1} changes</summary><table><tr>${th('after episode')}${th('changed slots')}</tr>${changes.join('')}</table></details>`,
    );
  }
  if (a.population?.length) {
    const pop = a.population.slice().sort((x, y) => y.reward - x.reward);
    parts.push(
      `<h3>Population (${pop.length})</h3><table><tr>${th('reward')}${th('configuration')}</tr>${pop
        .map((p) => `<tr>${td(num(p.reward, 4), true)}${td(slots.map((s, i) => `${s.name} ${longChoice(s.choices[p.config[i]])}`).join(' · '))}</tr>`)
        .join('')}</table>`,
    );
  }
  if (a.states !== undefined) parts.push(`<p class="meta">${a.states} prefixes have a Q row.</p>`);
  parts.push('</section>');
  return parts.join('');
}

function bestHtml(m: ReportModel, c: ReportCharts, opts: HtmlOptions): string {
  const b = m.best;
  if (!b) return `<section id="best"><h2>Best model</h2><p class="muted">No feasible configuration yet.</p></section>`;
  const ops = b.ops?.length
    ? `<h3>Latency per op type</h3><table><tr>${['op type', 'nodes', 'ms', 'share'].map(th).join('')}</tr>${b.ops.map((o) => `<tr>${td(o.opType)}${td(o.nodes, true)}${td(num(o.ms, 4), true)}${td(`${(o.share * 100).toFixed(1)}%`, true)}</tr>`).join('')}</table>`
    : '<p class="muted">No per-op latency: the best evaluation was not profiled with --ops.</p>';
  return `<section id="best"><h2>Best model: episode ${b.episode}, reward ${esc(num(b.reward, 4))}</h2>${charts(c.best, opts)}<div class="charts"><div><h3>Layers</h3>${layerTableHtml(m.bestLayers)}</div><div><h3>Configuration</h3>${valuesTable(b)}</div></div>${ops}</section>`;
}

function topHtml(m: ReportModel): string {
  if (!m.top.length) return `<section id="top"><h2>Top configurations</h2><p class="muted">No feasible configuration yet.</p></section>`;
  const head = ['#', 'episode', 'reward', m.quality, 'latency ms', 'params', 'MACs', 'train s'].map(th).join('');
  const rows = m.top
    .map(({ record: r, layers }, i) => {
      const cells = [td(i + 1, true), td(`${r.episode}${r.baseline ? ' (baseline)' : ''}`, true), td(num(r.reward, 4), true), td(num(qualityOf(r), 4), true), td(num(r.metrics.latencyMs), true), td(int(r.metrics.params), true), td(int(r.metrics.macs), true), td(num(r.metrics.trainSeconds), true)];
      const detail = `<tr><td></td><td colspan="7"><details><summary>layers and configuration</summary><div class="charts">${layerTableHtml(layers)}${valuesTable(r)}</div></details></td></tr>`;
      return `<tr${r === m.best ? ' class="best"' : ''}>${cells.join('')}</tr>${detail}`;
    })
    .join('');
  return `<section id="top"><h2>Top ${m.top.length} configurations</h2><p class="meta">Distinct configurations by reward (repeats served from the cache count once).</p><table><tr>${head}</tr>${rows}</table></section>`;
}

/** The inside of <main>: what the dashboard swaps when a run changes. */
export function reportBody(m: ReportModel, c: ReportCharts, opts: HtmlOptions = {}): string {
  const files = ['config.json', 'journal.jsonl', 'agents.json'].filter((f) => fs.existsSync(path.join(m.run.dir, f)) && !m.run.problems.some((p) => p.startsWith(f)));
  return [
    opts.nav ?? '',
    header(m),
    missingHtml(m),
    cards(m),
    comparisonHtml(m),
    `<section id="progress"><h2>Progress</h2>${charts(c.progress, opts)}</section>`,
    `<section id="tradeoffs"><h2>Trade-offs</h2>${charts(c.tradeoffs, opts)}</section>`,
    agentsHtml(m, c, opts),
    bestHtml(m, c, opts),
    topHtml(m),
    `<footer>marl-hpo report of ${esc(m.run.dir)} from ${esc(files.join(', '))}; ${m.run.records.length} journal records${m.run.truncatedTail ? ' (a half-written last line ignored)' : ''}.</footer>`,
  ].join('\n');
}

/** One self-contained HTML file: inline CSS and SVG, no script, no external resource. */
export function reportHtml(m: ReportModel, c: ReportCharts, opts: HtmlOptions = {}): string {
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(m.title)}: marl-hpo report</title><style>${CSS}</style>${opts.script ? `<script>${opts.script}</script>` : ''}</head>
<body><main id="report">
${reportBody(m, c, opts)}
</main></body></html>
`;
}
