/** Validation of DataOptions: invalid values fail before any file is read, naming the option. */
import { cacheDirOrigin } from './cache';
import { checkImageSize } from './decode';
import { DataError } from './errors';
import type { DataOptions, Progress, SplitName } from './types';

export interface ResolvedOptions {
  shape?: [number, number, number];
  normalize?: { mean: number[]; std: number[] };
  valFraction: number;
  seed: number;
  limit: Partial<Record<SplitName, number>>;
  onBadFile: 'error' | 'skip';
  palette?: [number, number, number][];
  classes?: string[];
  cacheDir: string;
  /** What chose cacheDir, for error messages. */
  cacheDirFrom: string;
  onProgress?: (p: Progress) => void;
  warn: (message: string) => void;
  /** How messages name an option: "data option 'shape'" by default, '--shape' in the CLI, 'dataset.shape' in a search config. */
  field: (key: string) => string;
}

export const defaultField = (key: string) => `data option '${key}'`;


const isInt = (v: unknown, min: number): v is number => typeof v === 'number' && Number.isInteger(v) && v >= min;

export function resolveOptions(o: DataOptions = {}, field: (key: string) => string = defaultField): ResolvedOptions {
  const bad = (name: string, expected: string, got: unknown) => new DataError(`${field(name)}: expected ${expected}, got ${JSON.stringify(got) ?? String(got)}`);
  if (o.shape !== undefined) {
    const s = o.shape as unknown;
    if (!Array.isArray(s) || s.length !== 3 || !isInt(s[0], 1) || !isInt(s[1], 1) || (s[2] !== 1 && s[2] !== 3)) {
      throw bad('shape', '[H, W, C] with positive integers H, W and C 1 or 3', s);
    }
    checkImageSize(o.shape, `${field('shape')}: `);
  }
  if (o.normalize !== undefined) {
    const { mean, std } = (o.normalize ?? {}) as { mean?: unknown; std?: unknown };
    const finite = (a: unknown): a is number[] => Array.isArray(a) && a.length > 0 && a.every((v) => typeof v === 'number' && Number.isFinite(v));
    if (!finite(mean)) throw bad('normalize.mean', 'an array of numbers', mean);
    if (!finite(std) || std.some((v) => v <= 0)) throw bad('normalize.std', 'an array of positive numbers', std);
  }
  const valFraction = o.valFraction ?? 0.1;
  if (typeof valFraction !== 'number' || !(valFraction >= 0 && valFraction < 1)) throw bad('valFraction', 'a number in [0, 1)', valFraction);
  const seed = o.seed ?? 0;
  if (!isInt(seed, 0)) throw bad('seed', 'an integer >= 0', seed);
  const limit = o.limit ?? {};
  for (const [k, v] of Object.entries(limit)) {
    if (k !== 'train' && k !== 'val' && k !== 'test') throw bad(`limit.${k}`, 'one of limit.train, limit.val, limit.test', k);
    if (v !== undefined && !isInt(v, 0)) throw bad(`limit.${k}`, 'an integer >= 0', v);
  }
  const onBadFile = o.onBadFile ?? 'error';
  if (onBadFile !== 'error' && onBadFile !== 'skip') throw bad('onBadFile', "'error' or 'skip'", onBadFile);
  if (o.palette !== undefined) {
    const p = o.palette as unknown;
    const byte = (v: unknown) => isInt(v, 0) && v <= 255;
    if (!Array.isArray(p) || p.length < 1 || p.length > 256 || !p.every((c) => Array.isArray(c) && c.length === 3 && c.every(byte))) {
      throw bad('palette', 'a list of 1..256 [r, g, b] colours (0..255), index = class id', p);
    }
    const seen = new Set(p.map((c: number[]) => c.join(',')));
    if (seen.size !== p.length) throw bad('palette', 'distinct colours', p);
  }
  if (o.classes !== undefined) {
    const c = o.classes as unknown;
    if (!Array.isArray(c) || c.length < 1 || c.length > 256 || !c.every((n) => typeof n === 'string' && n.length > 0)) {
      throw bad('classes', 'a list of 1..256 non-empty names', c);
    }
    if (new Set(c).size !== c.length) throw bad('classes', 'distinct names', c);
  }
  if (o.palette && o.classes && o.palette.length !== o.classes.length) {
    throw new DataError(`${field('palette')}: ${o.palette.length} colours but ${field('classes')} names ${o.classes.length} classes`);
  }
  if (o.cacheDir !== undefined && (typeof o.cacheDir !== 'string' || o.cacheDir === '')) throw bad('cacheDir', 'a folder path', o.cacheDir);
  const cache = o.cacheDir !== undefined ? { dir: o.cacheDir, from: field('cacheDir') } : cacheDirOrigin();
  return {
    shape: o.shape,
    normalize: o.normalize,
    valFraction,
    seed,
    limit,
    onBadFile,
    palette: o.palette,
    classes: o.classes,
    cacheDir: cache.dir,
    cacheDirFrom: cache.from,
    onProgress: o.onProgress,
    warn: o.warn ?? ((m) => process.stderr.write(`marl-hpo: warning: ${m}\n`)),
    field,
  };
}

/** Broadcasts one mean/std value to C channels; the default scales pixels to [0, 1]. */
export function resolveNormalize({ normalize: n, field }: ResolvedOptions, C: number): { mean: number[]; std: number[] } {
  if (!n) return { mean: Array(C).fill(0), std: Array(C).fill(1) };
  const fit = (a: number[], name: string) => {
    if (a.length === C) return [...a];
    if (a.length === 1) return Array(C).fill(a[0]);
    throw new DataError(`${field(`normalize.${name}`)}: ${a.length} values for ${C} channels`);
  };
  return { mean: fit(n.mean, 'mean'), std: fit(n.std, 'std') };
}
