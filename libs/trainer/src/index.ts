export { initBackend, type BackendInfo, type BackendName, type BackendOptions } from './backend';
export { TrainerError, TrainingAborted } from './errors';
export { buildModel, type BuildOptions, type InitScheme, type Model } from './model';
export { train, evaluate, predict, checkData, TRAIN_DEFAULTS, type TrainData, type TrainOptions, type TrainResult, type EpochRecord, type StepRecord, type Divergence } from './train';
export { learningRateAt, warmupSteps, type Schedule, type ScheduleKind } from './schedule';
export { meanIoU, TASK_METRICS, type Metrics, type ClassificationMetrics, type SegmentationMetrics } from './metrics';
export { benchTrain, benchAccuracy, benchArchs, type BenchTrainOptions, type BenchTrainResult, type BenchAccuracyOptions, type BenchAccuracyResult } from './bench';
export { profileTrain, cpuInfo, type TrainProfile, type ProfileOptions, type OpProfile, type PhaseProfile, type CpuInfo } from './profile';
