import { linearScale, logScale, type Scale } from './scale';
import { COLORS, el, emptyChart, marker, px, svgDoc, text, textWidth, tip, type Chart, type Shape } from './svg';

export interface XYPoint {
  x: number;
  y: number;
  color: string;
  shape?: Shape;
  /** Radius in pixels (default 3.5). */
  r?: number;
  tip: string;
}

export interface XYLine {
  points: [number, number][];
  color: string;
  width?: number;
  dash?: string;
  /** Draw as a step function (horizontal then vertical), e.g. best-so-far. */
  step?: boolean;
}

export interface LegendItem {
  label: string;
  color: string;
  /** A marker shape, or 'line' (with the dash of the matching line). */
  shape: Shape | 'line';
  dash?: string;
}

export interface XYSpec {
  id: string;
  title: string;
  xLabel: string;
  yLabel: string;
  xLog?: boolean;
  yLog?: boolean;
  /** Include 0 in the y domain. */
  yZero?: boolean;
  points: XYPoint[];
  lines?: XYLine[];
  legend?: LegendItem[];
  width?: number;
  height?: number;
  caption?: string;
  /** Shown instead of the plot when there is nothing to draw. */
  empty: string;
}

function legendSvg(items: LegendItem[], x0: number, y: number, maxX: number): { svg: string; rows: number } {
  let x = x0;
  let rows = 1;
  const parts: string[] = [];
  for (const item of items) {
    const w = 18 + textWidth(item.label, 10.5) + 14;
    if (x + w > maxX && x > x0) {
      x = x0;
      y += 15;
      rows++;
    }
    parts.push(
      item.shape === 'line'
        ? el('line', { x1: x, y1: y - 3.5, x2: x + 14, y2: y - 3.5, stroke: item.color, 'stroke-width': 2, 'stroke-dasharray': item.dash })
        : marker(item.shape, x + 7, y - 3.5, 3.5, item.color),
      text(x + 18, y, item.label, { size: 10.5, color: COLORS.muted }),
    );
    x += w;
  }
  return { svg: parts.join(''), rows };
}

function axes(x: Scale, y: Scale, box: { left: number; top: number; right: number; bottom: number }, xLabel: string, yLabel: string): string {
  const parts: string[] = [];
  for (const t of y.ticks) {
    const py = y.map(t);
    parts.push(el('line', { x1: box.left, y1: py, x2: box.right, y2: py, stroke: COLORS.grid }), text(box.left - 6, py + 3.5, y.format(t), { anchor: 'end', size: 10, color: COLORS.axis }));
  }
  for (const t of x.ticks) {
    const pxv = x.map(t);
    parts.push(el('line', { x1: pxv, y1: box.top, x2: pxv, y2: box.bottom, stroke: COLORS.grid }), text(pxv, box.bottom + 14, x.format(t), { anchor: 'middle', size: 10, color: COLORS.axis }));
  }
  parts.push(
    el('rect', { x: box.left, y: box.top, width: box.right - box.left, height: box.bottom - box.top, fill: 'none', stroke: COLORS.axis, 'stroke-width': 0.8 }),
    text((box.left + box.right) / 2, box.bottom + 30, xLabel, { anchor: 'middle', size: 11 }),
    text(14, (box.top + box.bottom) / 2, yLabel, { anchor: 'middle', size: 11, rotate: -90 }),
  );
  return parts.join('');
}

function path(points: [number, number][], step: boolean): string {
  return points
    .map(([x, y], i) => {
      if (i === 0) return `M${px(x)} ${px(y)}`;
      return step ? `H${px(x)}V${px(y)}` : `L${px(x)} ${px(y)}`;
    })
    .join('');
}

/** Scatter plot with optional lines (best-so-far, Pareto front) and a legend. */
export function xyChart(spec: XYSpec): Chart {
  const width = spec.width ?? 560;
  const height = spec.height ?? 320;
  const usable = (p: { x: number; y: number }) => Number.isFinite(p.x) && Number.isFinite(p.y) && (!spec.xLog || p.x > 0) && (!spec.yLog || p.y > 0);
  const points = spec.points.filter(usable);
  if (points.length === 0) return { ...emptyChart(spec.id, spec.title, spec.empty, width, 160), caption: spec.caption };
  const lines = (spec.lines ?? []).map((l) => ({ ...l, points: l.points.filter(([x, y]) => usable({ x, y })) }));

  const legend = spec.legend?.length ? legendSvg(spec.legend, 12, 36, width - 12) : { svg: '', rows: 0 };
  const xs = [...points.map((p) => p.x), ...lines.flatMap((l) => l.points.map((p) => p[0]))];
  const ys = [...points.map((p) => p.y), ...lines.flatMap((l) => l.points.map((p) => p[1]))];
  const top = 30 + legend.rows * 15 + 10;
  const box = { left: 0, top, right: width - 16, bottom: height - 42 };
  const y = spec.yLog ? logScale(ys, [box.bottom, box.top]) : linearScale(ys, [box.bottom, box.top], { zero: spec.yZero });
  box.left = 30 + Math.max(...y.ticks.map((t) => textWidth(y.format(t), 10)));
  const x = spec.xLog ? logScale(xs, [box.left, box.right]) : linearScale(xs, [box.left, box.right]);
  // Scales from the data above map onto the final box (y's range did not depend on box.left).

  const body = [
    legend.svg,
    axes(x, y, box, spec.xLabel, spec.yLabel),
    ...lines.map((l) =>
      el('path', {
        d: path(l.points.map(([a, b]) => [x.map(a), y.map(b)]), l.step ?? false),
        fill: 'none',
        stroke: l.color,
        'stroke-width': l.width ?? 1.5,
        'stroke-dasharray': l.dash,
        'stroke-linejoin': 'round',
      }),
    ),
    `<g class="marks">${points.map((p) => marker(p.shape ?? 'circle', x.map(p.x), y.map(p.y), p.r ?? 3.5, p.color, tip(p.tip))).join('')}</g>`,
  ].join('');
  return { id: spec.id, title: spec.title, width, height, svg: svgDoc(spec.id, width, height, spec.title, body), caption: spec.caption };
}
