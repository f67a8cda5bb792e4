import { decodeModel } from '@marl-hpo/onnx';
import { loadCalibration } from '../estimate/calibration';
import { featureVector, predict } from '../estimate/fit';
import { graphCost } from '../estimate/graph-cost';
import type { Measurement, ProfilerBackend, ResolvedMeasureOptions } from '../types';

/**
 * Latency without running the model: MACs and memory traffic read from the ONNX graph, times
 * coefficients fitted on measured runs (`marl-hpo profile calibrate`; a built-in fit otherwise).
 */
export function createEstimateBackend(): ProfilerBackend {
  return {
    async init() {},
    async measure(model: Uint8Array, opts: ResolvedMeasureOptions): Promise<Measurement> {
      const cal = await loadCalibration(opts.calibration);
      const cost = graphCost(decodeModel(model, opts.source), opts.batch);
      const ms = predict(cal.coefficients, featureVector(cost, cal.features));
      const missing = cost.unknownOps.length ? `; ops not costed: ${cost.unknownOps.join(', ')}` : '';
      return {
        p50Ms: ms,
        p90Ms: ms,
        meanMs: ms,
        stdMs: 0,
        runs: 0,
        backend: opts.backend,
        device: `estimate of ${cal.backend} on ${cal.device}, ${cal.threads} thread(s) (${opts.calibration ?? 'built-in fit'}${missing})`,
      };
    },
  };
}
