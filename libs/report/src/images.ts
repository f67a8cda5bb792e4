import fs from 'node:fs';
import path from 'node:path';
import { writeFileAtomic } from '@marl-hpo/search';
import { ReportError } from './errors';
import type { Chart } from './svg/svg';

export type ImageFormat = 'svg' | 'png';

/** Renders a chart's SVG to PNG with sharp (librsvg), at `scale` times its CSS pixel size. */
export async function svgToPng(svg: string, scale = 2): Promise<Buffer> {
  // Loaded on first use: the report and the dashboard need the native module only for PNGs.
  const sharp = (await import('sharp')).default;
  return sharp(Buffer.from(svg), { density: 72 * scale }).png().toBuffer();
}

/** Writes every chart as <dir>/<id>.svg and/or .png (for papers and slides); returns the files written. */
export async function writeImages(charts: Chart[], dir: string, formats: ImageFormat[] = ['svg', 'png']): Promise<string[]> {
  try {
    fs.mkdirSync(dir, { recursive: true });
  } catch (e) {
    throw new ReportError(`--images ${dir}: cannot create the folder (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  const written: string[] = [];
  for (const c of charts) {
    for (const f of formats) {
      const file = path.join(dir, `${c.id}.${f}`);
      const data = f === 'svg' ? `<?xml version="1.0" encoding="UTF-8"?>\n${c.svg}\n` : await svgToPng(c.svg);
      try {
        writeFileAtomic(file, data);
      } catch (e) {
        throw new ReportError(`${file}: cannot write (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
      }
      written.push(file);
    }
  }
  return written;
}
