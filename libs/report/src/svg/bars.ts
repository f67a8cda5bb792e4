import { formatNumber } from './scale';
import { COLORS, el, emptyChart, svgDoc, text, textWidth, tip, type Chart } from './svg';

export interface BarPanel {
  name: string;
  values: number[];
  color: string;
  /** Value label at the end of each bar (default: compact number). */
  format?: (v: number, i: number) => string;
}

export interface BarSpec {
  id: string;
  title: string;
  /** One row per label; every panel has one bar per row. */
  labels: string[];
  panels: BarPanel[];
  caption?: string;
  empty: string;
}

/** Horizontal bars, one panel per measure side by side (params | MACs; ms per op type). */
export function barChart(spec: BarSpec): Chart {
  const n = spec.labels.length;
  if (n === 0 || spec.panels.length === 0) return { ...emptyChart(spec.id, spec.title, spec.empty), caption: spec.caption };
  const rowH = 16;
  const left = 16 + Math.max(...spec.labels.map((l) => textWidth(l, 10)));
  const panelW = 280;
  const top = 48;
  const width = Math.max(left + spec.panels.length * (panelW + 16) + 8, textWidth(spec.title, 13) + 30);
  const height = top + n * rowH + 14;
  const parts: string[] = [];
  spec.labels.forEach((l, i) => parts.push(text(left - 6, top + i * rowH + rowH / 2 + 3.5, l, { anchor: 'end', size: 10, color: COLORS.axis })));
  spec.panels.forEach((p, k) => {
    const x0 = left + k * (panelW + 16);
    const max = Math.max(0, ...p.values.filter(Number.isFinite));
    const labels = p.values.map((v, i) => (Number.isFinite(v) ? (p.format ? p.format(v, i) : formatNumber(v)) : '-'));
    const labelRoom = 8 + Math.max(...labels.map((l) => textWidth(l, 9.5)));
    const scale = (v: number) => (max > 0 ? (Math.max(0, v) / max) * (panelW - labelRoom) : 0);
    parts.push(text(x0, top - 10, p.name, { size: 11, weight: 'bold', color: COLORS.muted }), el('line', { x1: x0, y1: top - 2, x2: x0, y2: top + n * rowH, stroke: COLORS.axis, 'stroke-width': 0.8 }));
    p.values.forEach((v, i) => {
      const y = top + i * rowH + 2;
      const label = labels[i];
      parts.push(
        el('rect', { x: x0, y, width: Math.max(Number.isFinite(v) && v > 0 ? 1 : 0, scale(v)), height: rowH - 4, fill: p.color }, tip(`${spec.labels[i]}: ${p.name} ${label}`)),
        text(x0 + scale(v) + 4, y + rowH / 2 + 1.5, label, { size: 9.5, color: COLORS.muted }),
      );
    });
  });
  return { id: spec.id, title: spec.title, width, height, svg: svgDoc(spec.id, width, height, spec.title, parts.join('')), caption: spec.caption };
}
