export { initBackend, type BackendInfo, type BackendName, type BackendOptions } from './backend';
export { TrainerError, TrainingAborted } from './errors';
export { buildModel, type BuildOptions, type Model } from './model';
export { train, evaluate, predict, checkData, type TrainData, type TrainOptions, type TrainResult, type EpochRecord } from './train';
export { meanIoU, TASK_METRICS, type Metrics, type ClassificationMetrics, type SegmentationMetrics } from './metrics';
export { benchTrain, benchAccuracy, benchArchs, type BenchTrainOptions, type BenchTrainResult, type BenchAccuracyOptions, type BenchAccuracyResult } from './bench';
