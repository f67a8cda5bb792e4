import { readFile } from 'node:fs/promises';
import { ProfilerError } from '../errors';
import { isFeature } from './fit';
import defaultFit from './default-fit.json';

/** A saved fit of the estimate backend (what `marl-hpo profile calibrate` writes). */
export interface Calibration {
  version: 1;
  features: string[];
  /** Milliseconds per unit of each feature. */
  coefficients: number[];
  /** Backend, device and options the fit was measured with. */
  backend: string;
  device: string;
  threads: number;
  batch: number;
  createdAt: string;
  /** Models measured for the fit, and for the held-out check. */
  fitModels: number;
  heldOutModels: number;
  /** Relative error of the fit on its own models and on models it never saw. */
  fitError: { mean: number; max: number };
  heldOutError: { mean: number; max: number };
}

export const DEFAULT_CALIBRATION = defaultFit as Calibration;

/** Checks a parsed calibration, naming the file and field on error. */
export function checkCalibration(raw: unknown, source: string): Calibration {
  const c = raw as Partial<Calibration>;
  if (typeof c !== 'object' || c === null || c.version !== 1) throw new ProfilerError(`${source}: not a marl-hpo calibration (expected "version": 1)`);
  if (!Array.isArray(c.features) || !c.features.every((f) => typeof f === 'string' && isFeature(f))) {
    throw new ProfilerError(`${source}: features: expected names like "macs" or "count:Conv", got ${JSON.stringify(c.features)}`);
  }
  if (!Array.isArray(c.coefficients) || c.coefficients.length !== c.features.length || !c.coefficients.every((v) => typeof v === 'number' && v >= 0 && Number.isFinite(v))) {
    throw new ProfilerError(`${source}: coefficients: expected ${c.features.length} non-negative numbers, one per feature`);
  }
  return c as Calibration;
}

const cache = new Map<string, Promise<Calibration>>();

export function loadCalibration(file: string | undefined): Promise<Calibration> {
  if (!file) return Promise.resolve(DEFAULT_CALIBRATION);
  let p = cache.get(file);
  if (!p) {
    p = (async () => {
      let text: string;
      try {
        text = await readFile(file, 'utf8');
      } catch (e) {
        throw new ProfilerError(`${file}: cannot read the calibration (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
      }
      try {
        return checkCalibration(JSON.parse(text), file);
      } catch (e) {
        if (e instanceof SyntaxError) throw new ProfilerError(`${file}: malformed JSON (${e.message})`);
        throw e;
      }
    })();
    cache.set(file, p);
    p.catch(() => cache.delete(file));
  }
  return p;
}
