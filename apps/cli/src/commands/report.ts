import { writeReport, type ImageFormat } from '@marl-hpo/report';
import { UsageError, type Command } from '../cli';

/** --format svg|png|both (default both) for --images. */
export function imageFormats(values: Record<string, unknown>): ImageFormat[] {
  const f = values['format'] ?? 'both';
  if (f === 'both') return ['svg', 'png'];
  if (f === 'svg' || f === 'png') return [f];
  throw new UsageError(`--format: expected svg, png or both, got '${String(f)}'`);
}

export const report: Command = {
  path: ['report'],
  usage: 'report <run-folder> [--out report.html] [--images dir] [--format svg|png|both] [--json]',
  summary: 'Write a self-contained HTML report of a search (charts, Q-tables, top configurations, baseline vs best)',
  options: { out: { type: 'string' }, images: { type: 'string' }, format: { type: 'string' }, json: { type: 'boolean' } },
  async run({ positionals, values }, io) {
    if (positionals.length !== 1) throw new UsageError(`expected one run folder (usage: marl-hpo ${report.usage})`);
    const formats = imageFormats(values);
    if (values['format'] !== undefined && values['images'] === undefined) throw new UsageError('--format: only with --images <dir>');
    const written = await writeReport(positionals[0], {
      out: typeof values['out'] === 'string' ? values['out'] : undefined,
      images: typeof values['images'] === 'string' ? values['images'] : undefined,
      formats,
    });
    const m = written.report.model;
    if (values['json']) {
      io.out(
        JSON.stringify({
          out: written.out,
          images: written.images,
          evaluations: m.done,
          planned: m.planned ?? null,
          records: m.run.records.length,
          best: m.best ? { episode: m.best.episode, reward: m.best.reward } : null,
          baseline: m.baseline ? { episode: m.baseline.episode, status: m.baseline.status } : null,
          comparison: m.comparison,
          top: m.top.map((t) => t.record.episode),
          missing: m.missing,
        }),
      );
      return;
    }
    io.out(`wrote ${written.out} (${m.done} evaluations${m.best ? `, best episode ${m.best.episode}` : ''})`);
    if (written.images.length) io.out(`wrote ${written.images.length} images to ${values['images']}`);
    for (const line of m.missing) io.err(`note: ${line}`);
  },
};
