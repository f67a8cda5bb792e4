import { band, formatNumber } from './scale';
import { COLORS, el, emptyChart, px, svgDoc, text, textWidth, tip, viridis, type Chart } from './svg';

export interface HeatmapSpec {
  id: string;
  title: string;
  rowLabel: string;
  colLabel: string;
  rows: string[];
  cols: string[];
  /** values[row][col]; null draws an empty cell (e.g. a slot with fewer choices). */
  values: (number | null)[][];
  tips: string[][];
  /** Cells to mark with a dot (e.g. each row's greedy choice). */
  marks?: boolean[][];
  /** Cells drawn faded (e.g. Q entries no observation ever updated). */
  faded?: boolean[][];
  /** Colour legend title; omit for categorical maps whose colours are explained by the tooltips. */
  legend?: string;
  /** Cell size in pixels: [width, height]. Default: fit about 420 x 320. */
  cell?: [number, number];
  caption?: string;
  empty: string;
}

/** Every k-th label so that labels are at least `min` pixels apart. */
const every = (size: number, min: number) => Math.max(1, Math.ceil(min / size));

/** Matrix of coloured cells (Q-tables, greedy configuration over episodes). */
export function heatmap(spec: HeatmapSpec): Chart {
  const nr = spec.rows.length;
  const nc = spec.cols.length;
  if (nr === 0 || nc === 0) return { ...emptyChart(spec.id, spec.title, spec.empty), caption: spec.caption };
  const [cw, ch] = spec.cell ?? [Math.max(6, Math.min(28, Math.floor(420 / nc))), Math.max(6, Math.min(22, Math.floor(320 / nr)))];
  const rowStep = every(ch, 12);
  const colStep = every(cw, 13);
  const rowW = Math.max(...spec.rows.filter((_, i) => i % rowStep === 0).map((r) => textWidth(r, 10)));
  const colH = Math.max(...spec.cols.filter((_, i) => i % colStep === 0).map((c) => textWidth(c, 10))) * 0.72 + 12;
  const left = 16 + rowW;
  const top = 44;
  const gridW = cw * nc;
  const gridH = ch * nr;
  const legendW = spec.legend ? 86 : 0;
  const legendH = spec.legend ? Math.max(60, Math.min(gridH, 140)) : 0;
  const width = Math.max(left + gridW + legendW + 16, textWidth(spec.title, 13) + 30, textWidth(spec.rowLabel, 10.5) + legendW + 30, 260);
  const height = Math.max(top + gridH + colH + 24, top + legendH + 16);

  const finite = spec.values.flat().filter((v): v is number => v !== null && Number.isFinite(v));
  const lo = finite.length ? Math.min(...finite) : 0;
  const hi = finite.length ? Math.max(...finite) : 1;
  const t = (v: number) => (hi > lo ? (v - lo) / (hi - lo) : 0.5);

  const xs = band(nc, [left, left + gridW]);
  const ys = band(nr, [top, top + gridH]);
  const cells: string[] = [];
  spec.values.forEach((row, i) =>
    row.forEach((v, j) => {
      if (v === null || !Number.isFinite(v)) {
        cells.push(el('rect', { x: xs.at(j), y: ys.at(i), width: cw, height: ch, fill: '#f3f4f6' }));
        return;
      }
      cells.push(el('rect', { x: xs.at(j), y: ys.at(i), width: cw, height: ch, fill: viridis(t(v)), 'fill-opacity': spec.faded?.[i]?.[j] ? 0.28 : undefined, stroke: cw >= 8 ? '#ffffff' : undefined, 'stroke-width': 0.5 }, tip(spec.tips[i]?.[j] ?? '')));
      if (spec.marks?.[i]?.[j]) cells.push(el('circle', { cx: xs.at(j) + cw / 2, cy: ys.at(i) + ch / 2, r: Math.max(1.5, Math.min(cw, ch) / 5), fill: t(v) > 0.6 || spec.faded?.[i]?.[j] ? '#20252b' : '#ffffff', 'pointer-events': 'none' }));
    }),
  );
  const labels: string[] = [];
  spec.rows.forEach((r, i) => i % rowStep === 0 && labels.push(text(left - 5, ys.at(i) + ch / 2 + 3.5, r, { anchor: 'end', size: 10, color: COLORS.axis })));
  spec.cols.forEach((c, j) => {
    if (j % colStep !== 0) return;
    const x = xs.at(j) + cw / 2 + 3;
    labels.push(text(x, top + gridH + 8, c, { anchor: 'end', size: 10, color: COLORS.axis, rotate: -45 }));
  });
  labels.push(text(left + gridW / 2, height - 6, spec.colLabel, { anchor: 'middle', size: 11 }), text(12, 36, spec.rowLabel, { size: 10.5, color: COLORS.muted }));

  let legend = '';
  if (spec.legend) {
    const lx = Math.max(left + gridW + 22, width - legendW);
    const lh = legendH;
    const stops = Array.from({ length: 11 }, (_, k) => el('stop', { offset: `${k * 10}%`, 'stop-color': viridis(1 - k / 10) })).join('');
    const gid = `grad-${spec.id}`;
    legend =
      el('defs', {}, el('linearGradient', { id: gid, x1: 0, y1: 0, x2: 0, y2: 1 }, stops)) +
      el('rect', { x: lx, y: top, width: 12, height: lh, fill: `url(#${gid})`, stroke: COLORS.grid }) +
      text(lx + 16, top + 8, formatNumber(hi), { size: 10, color: COLORS.axis }) +
      text(lx + 16, top + lh, formatNumber(lo), { size: 10, color: COLORS.axis }) +
      text(lx, top - 6, spec.legend, { size: 10, color: COLORS.muted });
  }
  const body = `<g class="cells">${cells.join('')}</g>${labels.join('')}${legend}`;
  return { id: spec.id, title: spec.title, width, height: Number(px(height)), svg: svgDoc(spec.id, width, height, spec.title, body), caption: spec.caption };
}
