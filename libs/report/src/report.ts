import fs from 'node:fs';
import path from 'node:path';
import { writeFileAtomic } from '@marl-hpo/search';
import { allCharts, buildCharts, type ReportCharts } from './charts';
import { ReportError } from './errors';
import { reportHtml, type HtmlOptions } from './html';
import { writeImages, type ImageFormat } from './images';
import { loadRun } from './load';
import { buildModel, type ReportModel } from './model';

export interface Report {
  model: ReportModel;
  charts: ReportCharts;
  html: string;
}

/** Reads a run folder (never writes to it) and renders its report. */
export function buildReport(dir: string, opts: HtmlOptions = {}): Report {
  const model = buildModel(loadRun(dir));
  const charts = buildCharts(model);
  return { model, charts, html: reportHtml(model, charts, opts) };
}

export interface WriteReportOptions {
  /** The HTML file; default <run>/report.html. */
  out?: string;
  /** Also write every chart to this folder. */
  images?: string;
  formats?: ImageFormat[];
}

export interface WrittenReport {
  report: Report;
  out: string;
  images: string[];
}

/** `marl-hpo report`: one self-contained HTML file, and the charts as images on request. */
export async function writeReport(dir: string, opts: WriteReportOptions = {}): Promise<WrittenReport> {
  const report = buildReport(dir);
  const out = opts.out ?? path.join(dir, 'report.html');
  try {
    fs.mkdirSync(path.dirname(out), { recursive: true });
    // Often written into the run folder while a search runs there: whole or not at all.
    writeFileAtomic(out, report.html);
  } catch (e) {
    throw new ReportError(`${out}: cannot write the report (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  const images = opts.images ? await writeImages(allCharts(report.charts), opts.images, opts.formats) : [];
  return { report, out, images };
}
