import { measure, resolveOptions, type Measurement, type MeasureOptions } from '@marl-hpo/profiler';
import { jsonFlag, table, UsageError, type Command } from '../cli';

const kebab = (k: string) => `--${k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;

/** Flags shared by `profile` and `profile calibrate`: one per MeasureOptions field. */
export const measureFlags = {
  backend: { type: 'string' },
  threads: { type: 'string' },
  'inter-op-threads': { type: 'string' },
  batch: { type: 'string' },
  warmup: { type: 'string' },
  'min-runs': { type: 'string' },
  'max-runs': { type: 'string' },
  'max-seconds': { type: 'string' },
  'target-rel-ci': { type: 'string' },
  'graph-opt': { type: 'string' },
  ep: { type: 'string', multiple: true },
  seed: { type: 'string' },
  url: { type: 'string' },
  token: { type: 'string' },
  'timeout-ms': { type: 'string' },
  calibration: { type: 'string' },
  extra: { type: 'string' },
} as const;

const NUMERIC: [flag: string, key: keyof MeasureOptions][] = [
  ['threads', 'threads'],
  ['inter-op-threads', 'interOpThreads'],
  ['batch', 'batch'],
  ['warmup', 'warmup'],
  ['min-runs', 'minRuns'],
  ['max-runs', 'maxRuns'],
  ['max-seconds', 'maxSeconds'],
  ['target-rel-ci', 'targetRelCI'],
  ['seed', 'seed'],
  ['timeout-ms', 'timeoutMs'],
];

/** MeasureOptions from flags, checked by the profiler with errors naming the flag. */
export function optionsFromFlags(values: Record<string, unknown>): MeasureOptions {
  const o: Record<string, unknown> = {};
  for (const [flag, key] of NUMERIC) {
    const raw = values[flag];
    if (raw === undefined) continue;
    const n = Number(raw);
    if (String(raw).trim() === '' || !Number.isFinite(n)) throw new UsageError(`--${flag}: expected a number, got '${String(raw)}'`);
    o[key] = n;
  }
  if (typeof values.backend === 'string') o.backend = values.backend.includes(',') ? values.backend.split(',').map((s) => s.trim()) : values.backend;
  if (values['graph-opt'] !== undefined) o.graphOptimizationLevel = values['graph-opt'];
  if (Array.isArray(values.ep)) o.executionProviders = values.ep.flatMap((e) => String(e).split(','));
  for (const key of ['url', 'token', 'calibration'] as const) if (values[key] !== undefined) o[key] = values[key];
  if (values.ops === true) o.ops = true;
  if (values.extra !== undefined) o.extra = jsonFlag(values, 'extra');
  const flagOf = (k: string) => NUMERIC.find(([, key]) => key === k)?.[0] ?? { graphOptimizationLevel: 'graph-opt', executionProviders: 'ep' }[k];
  resolveOptions(o, (k) => (flagOf(k) ? `--${flagOf(k)}` : kebab(k)));
  return o as MeasureOptions;
}

const ms = (x: number) => (x >= 100 ? x.toFixed(1) : x >= 1 ? x.toFixed(3) : x.toPrecision(3));

export function formatMeasurement(name: string, m: Measurement): string {
  const lines = [
    `${name} on ${m.backend}: ${m.device}`,
    `p50 ${ms(m.p50Ms)} ms  p90 ${ms(m.p90Ms)} ms  mean ${ms(m.meanMs)} ms  std ${ms(m.stdMs)} ms  ${m.runs} runs` +
      (m.relCI !== undefined ? `  (95% CI of the median: +-${(m.relCI * 100).toFixed(1)}%)` : ''),
  ];
  if (m.ops) {
    lines.push('', table(['op type', 'nodes', 'ms/inference', 'share'], m.ops.map((o) => [o.opType, o.nodes, ms(o.ms), `${(o.share * 100).toFixed(1)}%`])));
  }
  return lines.join('\n');
}

export const profile: Command = {
  path: ['profile'],
  usage: 'profile <model.onnx> [--backend ort-cpu] [--threads 1] [--batch 1] [--ops] [--json]',
  summary:
    'Latency of an ONNX model (p50/p90/mean/std) on a backend: ort-cpu, remote (--url, token in MARL_HPO_PROFILER_TOKEN), estimate, or a plug-in package. ' +
    'Also: --inter-op-threads, --warmup, --min-runs, --max-runs, --max-seconds, --target-rel-ci, --graph-opt, --ep, --seed, --timeout-ms, --calibration, --extra \'<json for a plug-in>\'',
  options: { ...measureFlags, ops: { type: 'boolean' }, json: { type: 'boolean' } },
  async run({ positionals, values }, io) {
    if (positionals.length !== 1) throw new UsageError(`expected one ONNX file (usage: marl-hpo ${profile.usage})`);
    const opts = optionsFromFlags(values);
    if (io.isTTY && !values.json) io.err(`measuring ${positionals[0]}...`);
    const m = await measure(positionals[0], opts);
    io.out(values.json ? JSON.stringify(m) : formatMeasurement(positionals[0], m));
  },
};
