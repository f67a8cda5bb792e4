import { ProfilerError } from './errors';
import type { GraphOptimizationLevel, MeasureOptions, ResolvedMeasureOptions } from './types';

export const DEFAULT_OPTIONS: ResolvedMeasureOptions = {
  backend: 'ort-cpu',
  backends: ['ort-cpu'],
  threads: 1,
  interOpThreads: 1,
  batch: 1,
  warmup: 5,
  minRuns: 10,
  maxRuns: 1000,
  maxSeconds: 10,
  targetRelCI: 0.02,
  graphOptimizationLevel: 'all',
  executionProviders: ['cpu'],
  ops: false,
  seed: 0,
  timeoutMs: 120_000,
  source: 'model',
};

const LEVELS: GraphOptimizationLevel[] = ['disabled', 'basic', 'extended', 'all'];
const KEYS = new Set<string>([...Object.keys(DEFAULT_OPTIONS).filter((k) => k !== 'backends'), 'url', 'token', 'calibration', 'extra']);

/**
 * Checks options from a config file or flags and fills in defaults. `where` names a field in
 * errors: a prefix ('profiler' gives "profiler.threads: expected ...") or a function (the
 * CLI maps 'threads' to '--threads').
 */
export function resolveOptions(raw: unknown, where: string | ((key: string) => string) = 'profiler'): ResolvedMeasureOptions {
  const f = typeof where === 'string' ? (k: string) => `${where}.${k}` : where;
  if (raw === undefined || raw === null) raw = {};
  if (typeof raw !== 'object' || Array.isArray(raw)) throw new ProfilerError(`${typeof where === 'string' ? where : 'options'}: expected an object`);
  const o = raw as Record<string, unknown>;
  for (const k of Object.keys(o)) {
    if (!KEYS.has(k)) throw new ProfilerError(`${f(k)}: unknown option (known: ${[...KEYS].join(', ')})`);
  }
  const int = (k: keyof MeasureOptions, min: number) => {
    const v = o[k] ?? DEFAULT_OPTIONS[k as keyof ResolvedMeasureOptions];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min) throw new ProfilerError(`${f(k)}: expected an integer >= ${min}, got ${JSON.stringify(v)}`);
    return v;
  };
  const num = (k: keyof MeasureOptions, lo: number, hi: number) => {
    const v = o[k] ?? DEFAULT_OPTIONS[k as keyof ResolvedMeasureOptions];
    if (typeof v !== 'number' || !(v > lo && v <= hi)) throw new ProfilerError(`${f(k)}: expected a number in (${lo}, ${hi}], got ${JSON.stringify(v)}`);
    return v;
  };
  const str = (k: 'url' | 'token' | 'calibration' | 'source') => {
    const v = o[k];
    if (v !== undefined && (typeof v !== 'string' || v === '')) throw new ProfilerError(`${f(k)}: expected a non-empty string`);
    return v as string | undefined;
  };
  const backend = o.backend ?? DEFAULT_OPTIONS.backend;
  const backends = typeof backend === 'string' ? [backend] : backend;
  if (!Array.isArray(backends) || backends.length === 0 || !backends.every((b) => typeof b === 'string' && b !== '')) {
    throw new ProfilerError(`${f('backend')}: expected a backend name or npm package name, or a non-empty list of them`);
  }
  const level = o.graphOptimizationLevel ?? DEFAULT_OPTIONS.graphOptimizationLevel;
  if (!LEVELS.includes(level as GraphOptimizationLevel)) throw new ProfilerError(`${f('graphOptimizationLevel')}: expected one of ${LEVELS.join(', ')}, got ${JSON.stringify(level)}`);
  const eps = o.executionProviders ?? DEFAULT_OPTIONS.executionProviders;
  if (!Array.isArray(eps) || eps.length === 0 || !eps.every((e) => typeof e === 'string' && e !== '')) {
    throw new ProfilerError(`${f('executionProviders')}: expected a non-empty list of names, e.g. ["cpu"]`);
  }
  const ops = o.ops ?? false;
  if (typeof ops !== 'boolean') throw new ProfilerError(`${f('ops')}: expected true or false`);
  const extra = o.extra;
  if (extra !== undefined && (typeof extra !== 'object' || extra === null || Array.isArray(extra))) throw new ProfilerError(`${f('extra')}: expected an object`);
  const url = str('url');
  if (url !== undefined && !/^https?:\/\/[^/]/.test(url)) throw new ProfilerError(`${f('url')}: expected an http:// or https:// URL, got '${url}'`);

  const r: ResolvedMeasureOptions = {
    backend: backends[0],
    backends: [...backends],
    threads: int('threads', 1),
    interOpThreads: int('interOpThreads', 1),
    batch: int('batch', 1),
    warmup: int('warmup', 0),
    minRuns: int('minRuns', 1),
    maxRuns: int('maxRuns', 1),
    maxSeconds: num('maxSeconds', 0, 86_400),
    targetRelCI: num('targetRelCI', 0, 1),
    graphOptimizationLevel: level as GraphOptimizationLevel,
    executionProviders: [...(eps as string[])],
    ops,
    seed: int('seed', 0),
    timeoutMs: int('timeoutMs', 1),
    url,
    token: str('token'),
    calibration: str('calibration'),
    extra: extra as Record<string, unknown> | undefined,
    source: str('source') ?? DEFAULT_OPTIONS.source,
  };
  if (r.maxRuns < r.minRuns) throw new ProfilerError(`${f('maxRuns')}: must be >= minRuns (${r.minRuns}), got ${r.maxRuns}`);
  return r;
}
