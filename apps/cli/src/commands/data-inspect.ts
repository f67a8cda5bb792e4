import { builtinTemplates, inputProblem } from '@marl-hpo/arch';
import { inspectDataset, type Conversions, type DataOptions, type SplitName } from '@marl-hpo/data';
import { intFlag, jsonFlag, table, UsageError, type Command } from '../cli';

function shapeFlag(raw: unknown): DataOptions['shape'] {
  if (raw === undefined) return undefined;
  const parts = String(raw).split(/[x,]/).map(Number);
  if (parts.length !== 3 || !parts.every((n) => Number.isInteger(n) && n > 0)) throw new UsageError(`--shape: expected HxWxC, e.g. 28x28x1, got '${String(raw)}'`);
  return parts as [number, number, number];
}

/** The flag of each data option this command sets, for error messages. */
const FLAGS: Record<string, string> = { shape: '--shape', seed: '--seed', valFraction: '--val-fraction', classes: '--classes', palette: '--palette', onBadFile: '--on-bad-file', cacheDir: '--cache-dir' };

const CONVERSION_TEXT: Record<keyof Conversions, string> = {
  colourToGrey: "colour -> grey (ITU-R 601 luma, as PIL's convert('L'))",
  greyToRgb: 'grey -> RGB (replicated)',
  alphaDropped: 'alpha dropped',
  resized: 'resized (Lanczos3)',
};

/** One line of what was converted to the dataset's shape, or undefined when nothing was. */
function conversionLine(c: Conversions): string | undefined {
  const parts = (Object.keys(CONVERSION_TEXT) as (keyof Conversions)[]).filter((k) => c[k] > 0).map((k) => `${c[k]} ${CONVERSION_TEXT[k]}`);
  return parts.length ? `converted to the dataset's shape: ${parts.join(', ')}` : undefined;
}

export const dataInspect: Command = {
  path: ['data', 'inspect'],
  usage: 'data inspect <spec> [--json] [--shape HxWxC] [--on-bad-file skip|error]',
  summary:
    'Classes, per-split counts, shape, conversions, skipped files and the built-in templates that cannot take the images, of folder:, seg:, idx:, builtin:mnist or builtin:shapes data; also --seed N, --val-fraction F, --classes a,b, --palette JSON, --cache-dir DIR',
  options: {
    json: { type: 'boolean' },
    shape: { type: 'string' },
    seed: { type: 'string' },
    'val-fraction': { type: 'string' },
    classes: { type: 'string' },
    palette: { type: 'string' },
    'on-bad-file': { type: 'string' },
    'cache-dir': { type: 'string' },
  },
  async run({ positionals, values }, io) {
    if (positionals.length !== 1) throw new UsageError(`expected one dataset spec (usage: marl-hpo ${dataInspect.usage})`);
    const spec = positionals[0];
    const json = Boolean(values['json']);
    const valFraction = values['val-fraction'] === undefined ? undefined : Number(values['val-fraction']);
    if (valFraction !== undefined && !(valFraction >= 0 && valFraction < 1)) throw new UsageError(`--val-fraction: expected a number in [0, 1), got '${String(values['val-fraction'])}'`);
    const onBadFile = values['on-bad-file'] ?? 'skip';
    if (onBadFile !== 'skip' && onBadFile !== 'error') throw new UsageError(`--on-bad-file: expected skip or error, got '${String(onBadFile)}'`);
    let last = 0;
    const opts: DataOptions = {
      shape: shapeFlag(values['shape']),
      seed: intFlag(values, 'seed', 0),
      valFraction,
      classes: values['classes'] === undefined ? undefined : String(values['classes']).split(','),
      palette: jsonFlag(values, 'palette') as DataOptions['palette'],
      onBadFile,
      cacheDir: values['cache-dir'] as string | undefined,
      onProgress:
        io.isTTY && !json
          ? (p) => {
              const now = Date.now();
              if (now - last < 2000 && p.done !== p.total) return;
              last = now;
              io.err(`decoding ${spec}: ${p.done}/${p.total}`);
            }
          : undefined,
    };
    const r = await inspectDataset(spec, opts, (key) => FLAGS[key] ?? `data option '${key}'`);
    // Images too small for a template's pooling are known here, before any search.
    const templates = builtinTemplates
      .filter((t) => t.task === r.task)
      .map((t) => ({ template: t.name, problem: inputProblem(t, { input: r.shape, classes: r.classes.length }) }))
      .filter((t): t is { template: string; problem: string } => t.problem !== undefined);
    if (json) {
      io.out(JSON.stringify({ classes: r.classes, counts: r.counts, shape: r.shape, skipped: r.skipped, conversions: r.conversions, unusableTemplates: templates }));
      return;
    }
    const splits = (['train', 'val', 'test'] as SplitName[]).filter((s) => r.counts[s]);
    io.out(`${spec}: ${r.task}, ${r.classes.length} classes, shape [${r.shape.join(', ')}]`);
    if (r.task === 'segmentation') io.out('(class counts are images in which the class appears)');
    const rows = r.classes.map((c) => [c, ...splits.map((s) => r.counts[s]?.[c] ?? 0)]);
    io.out(table(['class', ...splits], [...rows, ['(samples)', ...splits.map((s) => r.sizes[s] ?? 0)]]));
    const converted = conversionLine(r.conversions);
    if (converted) io.out(`\n${converted}`);
    for (const t of templates) io.out(`\ntemplate ${t.template} cannot take these images: ${t.problem}`);
    if (r.skipped.length) io.out(`\nskipped ${r.skipped.length} file${r.skipped.length === 1 ? '' : 's'}:\n${r.skipped.map((s) => `  ${s.file}: ${s.reason}`).join('\n')}`);
  },
};
