/** SVG building blocks shared by the chart kinds: escaping, elements, fonts, colours. */

/** One rendered chart: inline in the HTML report, or written as .svg/.png by --images. */
export interface Chart {
  /** File-name-safe id, unique within a report (e.g. "reward", "q-b1c2"). */
  id: string;
  title: string;
  width: number;
  height: number;
  svg: string;
  caption?: string;
}

/** Fonts present on Debian (for sharp's PNG rendering) first, then the browser's defaults. */
export const FONT = "'DejaVu Sans', 'Liberation Sans', Arial, Helvetica, sans-serif";

export const COLORS = {
  ok: '#3b6fb6',
  infeasible: '#e08a2c',
  failed: '#c8323c',
  cached: '#8c96a3',
  screen: '#8fb3dc',
  best: '#1a9850',
  baseline: '#7b3fa0',
  front: '#d6336c',
  line: '#20252b',
  grid: '#e3e6ea',
  axis: '#59626d',
  text: '#20252b',
  muted: '#6b7480',
} as const;

export function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** Pixel values with at most 2 decimals keep the SVG small. */
export const px = (v: number) => String(Math.round(v * 100) / 100);

type Attr = string | number | undefined;

export function el(tag: string, attrs: Record<string, Attr>, children = ''): string {
  const a = Object.entries(attrs)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => ` ${k}="${typeof v === 'number' ? px(v) : esc(v as string)}"`)
    .join('');
  return children === '' ? `<${tag}${a}/>` : `<${tag}${a}>${children}</${tag}>`;
}

/** A tooltip: browsers show an element's <title> child on hover. */
export const tip = (text: string) => `<title>${esc(text)}</title>`;

/** Approximate rendered width of a label (DejaVu Sans averages ~0.6 em per character). */
export function textWidth(s: string, size = 11): number {
  return s.length * size * 0.6;
}

export function text(x: number, y: number, s: string, opts: { size?: number; anchor?: 'start' | 'middle' | 'end'; color?: string; weight?: string; rotate?: number; baseline?: string } = {}): string {
  return el(
    'text',
    {
      x,
      y,
      'font-size': opts.size ?? 11,
      'text-anchor': opts.anchor,
      fill: opts.color ?? COLORS.text,
      'font-weight': opts.weight,
      'dominant-baseline': opts.baseline,
      transform: opts.rotate ? `rotate(${opts.rotate} ${px(x)} ${px(y)})` : undefined,
    },
    esc(s),
  );
}

/** A standalone SVG document (valid as a file and inline in HTML), white background for PNG export. */
export function svgDoc(id: string, width: number, height: number, title: string, body: string): string {
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" class="chart" data-chart="${esc(id)}" role="img" aria-label="${esc(title)}" ` +
    `width="${px(width)}" height="${px(height)}" viewBox="0 0 ${px(width)} ${px(height)}" font-family="${esc(FONT)}">` +
    `<title>${esc(title)}</title>` +
    el('rect', { x: 0, y: 0, width, height, fill: '#ffffff' }) +
    text(12, 18, title, { size: 13, weight: 'bold' }) +
    body +
    '</svg>'
  );
}

/** A chart that has nothing to draw yet still renders, saying why. */
export function emptyChart(id: string, title: string, message: string, width = 560, height = 160): Chart {
  const body = el('rect', { x: 12, y: 30, width: width - 24, height: height - 42, fill: '#f6f7f9', stroke: COLORS.grid }) + text(width / 2, height / 2 + 12, message, { anchor: 'middle', color: COLORS.muted, size: 12 });
  return { id, title, width, height, svg: svgDoc(id, width, height, title, body) };
}

/** Viridis colour map (matplotlib's), t in [0, 1]: perceptually uniform, readable in grey. */
const VIRIDIS = ['#440154', '#482878', '#3e4989', '#31688e', '#26828e', '#1f9e89', '#35b779', '#6ece58', '#b5de2b', '#fde725'];

export function viridis(t: number): string {
  const x = Math.min(1, Math.max(0, Number.isFinite(t) ? t : 0)) * (VIRIDIS.length - 1);
  const i = Math.min(VIRIDIS.length - 2, Math.floor(x));
  const f = x - i;
  const a = parseInt(VIRIDIS[i].slice(1), 16);
  const b = parseInt(VIRIDIS[i + 1].slice(1), 16);
  const mix = (shift: number) => Math.round(((a >> shift) & 255) * (1 - f) + ((b >> shift) & 255) * f);
  return `#${[16, 8, 0].map((s) => mix(s).toString(16).padStart(2, '0')).join('')}`;
}

/** Marker shapes, centred on (x, y). */
export type Shape = 'circle' | 'ring' | 'diamond' | 'square' | 'cross' | 'triangle';

export function marker(shape: Shape, x: number, y: number, r: number, color: string, extra = ''): string {
  const fill = { fill: color, 'fill-opacity': 0.8, stroke: '#ffffff', 'stroke-width': 0.6 };
  switch (shape) {
    case 'circle':
      return el('circle', { cx: x, cy: y, r, ...fill }, extra);
    case 'ring':
      return el('circle', { cx: x, cy: y, r, fill: 'none', stroke: color, 'stroke-width': 1.4 }, extra);
    case 'square':
      return el('rect', { x: x - r, y: y - r, width: 2 * r, height: 2 * r, ...fill }, extra);
    case 'diamond':
      return el('path', { d: `M${px(x)} ${px(y - r * 1.4)}L${px(x + r * 1.4)} ${px(y)}L${px(x)} ${px(y + r * 1.4)}L${px(x - r * 1.4)} ${px(y)}Z`, ...fill, stroke: '#20252b', 'stroke-width': 0.8 }, extra);
    case 'triangle':
      return el('path', { d: `M${px(x)} ${px(y - r * 1.3)}L${px(x + r * 1.2)} ${px(y + r)}L${px(x - r * 1.2)} ${px(y + r)}Z`, ...fill }, extra);
    case 'cross':
      return el('path', { d: `M${px(x - r)} ${px(y - r)}L${px(x + r)} ${px(y + r)}M${px(x - r)} ${px(y + r)}L${px(x + r)} ${px(y - r)}`, stroke: color, 'stroke-width': 1.6, fill: 'none' }, extra);
  }
}
