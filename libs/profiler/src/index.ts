/**
 * @marl-hpo/profiler: latency of ONNX models on pluggable backends.
 * Built in: 'ort-cpu' (onnxruntime-node), 'remote' (apps/profiler-server), 'estimate'.
 */
export type { GraphOptimizationLevel, Measurement, MeasureOptions, OpTime, PluginApi, ProfilerBackend, ResolvedMeasureOptions, TimingStats } from './types';
export { InvalidModelError, ProfilerError, RemoteProfilerError } from './errors';
export { DEFAULT_OPTIONS, resolveOptions } from './options';
export { listBackends, registerBackend, resolveBackend } from './registry';
export { ensureBackend, pluginApi } from './plugins';
export { timeLoop } from './harness';
export { measure, profilerMetrics, readModelFile } from './measure';
export { OPTIONS_HEADER, REMOTE_OPTION_KEYS, TOKEN_ENV, remoteHealth } from './backends/remote';
export { graphCost, type GraphCost } from './estimate/graph-cost';
export { calibrate, type CalibrateOptions, type CalibrationModel, type CalibrationPoint } from './estimate/calibrate';
export { checkCalibration, DEFAULT_CALIBRATION, loadCalibration, type Calibration } from './estimate/calibration';
export { generateCalibrationModels, type GenerateOptions } from './estimate/generate';
