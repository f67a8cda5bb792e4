import { decodeModel } from '@marl-hpo/onnx';
import { ProfilerError } from '../errors';
import { measure } from '../measure';
import { resolveOptions } from '../options';
import type { MeasureOptions } from '../types';
import type { Calibration } from './calibration';
import { BASE_FEATURES, featureNames, featureVector, fitNonNegative, predict, relativeErrors } from './fit';
import { graphCost, type GraphCost } from './graph-cost';

export interface CalibrationModel {
  name: string;
  bytes: Uint8Array;
}

export interface CalibrateOptions {
  /** How the models are measured (backend, threads, batch, ...); the fit is valid for these. */
  measure?: MeasureOptions;
  /** Fraction of the models kept out of the fit to report its error; default 0.25. */
  holdout?: number;
  /** Seed of the fit / held-out split; default 0. */
  seed?: number;
  onProgress?: (done: number, total: number, name: string) => void;
}

export interface CalibrationPoint {
  name: string;
  set: 'fit' | 'heldOut';
  measuredMs: number;
  estimatedMs: number;
  cost: GraphCost;
}

/** Seeded Fisher-Yates (mulberry32), so the same seed holds out the same models. */
function shuffled<T>(xs: T[], seed: number): T[] {
  let a = seed >>> 0;
  const rand = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const out = [...xs];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

/**
 * Measures every model on a backend, fits the estimate's coefficients on most of them and
 * reports the relative error on the ones held out.
 */
export async function calibrate(models: CalibrationModel[], opts: CalibrateOptions = {}): Promise<{ calibration: Calibration; points: CalibrationPoint[] }> {
  const measureOpts = resolveOptions(opts.measure ?? {}, 'calibrate');
  if (measureOpts.backends.includes('estimate')) throw new ProfilerError("calibrate: the backend must measure; 'estimate' would fit itself");
  const holdout = opts.holdout ?? 0.25;
  if (!(holdout > 0 && holdout < 1)) throw new ProfilerError(`calibrate.holdout: expected a fraction in (0, 1), got ${holdout}`);
  const nHeld = Math.max(1, Math.round(models.length * holdout));
  if (models.length - nHeld < BASE_FEATURES.length) {
    throw new ProfilerError(`calibrate: ${models.length} models are too few; need at least ${BASE_FEATURES.length} to fit plus ${nHeld} held out`);
  }
  const points: Omit<CalibrationPoint, 'set' | 'estimatedMs'>[] = [];
  let device = '';
  let backend = '';
  for (const [i, m] of models.entries()) {
    opts.onProgress?.(i, models.length, m.name);
    const cost = graphCost(decodeModel(m.bytes, m.name), measureOpts.batch);
    const r = await measure(m.bytes, { ...opts.measure, source: m.name, ops: false });
    device = r.device;
    backend = r.backend;
    points.push({ name: m.name, measuredMs: r.p50Ms, cost });
  }
  opts.onProgress?.(models.length, models.length, '');
  const order = shuffled(points, opts.seed ?? 0);
  const held = new Set(order.slice(0, nHeld));
  const fitSet = points.filter((p) => !held.has(p));
  const heldSet = points.filter((p) => held.has(p));
  const features = featureNames(fitSet.map((p) => p.cost));
  const X = (ps: typeof points) => ps.map((p) => featureVector(p.cost, features));
  const y = (ps: typeof points) => ps.map((p) => p.measuredMs);
  const coefficients = fitNonNegative(X(fitSet), y(fitSet));
  const calibration: Calibration = {
    version: 1,
    features,
    coefficients,
    backend,
    device,
    threads: measureOpts.threads,
    batch: measureOpts.batch,
    createdAt: new Date().toISOString(),
    fitModels: fitSet.length,
    heldOutModels: heldSet.length,
    fitError: relativeErrors(coefficients, X(fitSet), y(fitSet)),
    heldOutError: relativeErrors(coefficients, X(heldSet), y(heldSet)),
  };
  return {
    calibration,
    points: points.map((p) => ({ ...p, set: held.has(p) ? 'heldOut' : 'fit', estimatedMs: predict(coefficients, featureVector(p.cost, features)) })),
  };
}
