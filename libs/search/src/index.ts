export {
  computeReward,
  parseRewardSpec,
  violatedConstraints,
  METRICS,
  MIN_REWARD,
  RewardSpecError,
  type Constraint,
  type GoalObjective,
  type MetricName,
  type Metrics,
  type Objective,
  type RewardResult,
  type RewardSpec,
  type TargetObjective,
} from './reward';
export { loadTable, parseTable, BenchTableError, type BenchTable } from './bench/table';
export { runSearchBench, tableRewards, summarize, DEFAULT_CHECKPOINTS, RANDOM_EQUIVALENT_CAP, type AlgorithmResult, type SearchBenchOptions, type SearchBenchResult } from './bench/run';
export { ConfigError, parseConfig, readConfigFile, configJsonSchema, searchConfigSchema, type SearchConfig, type SearchConfigInput } from './config';
export { readJournal, JournalError, learnedFrom, isFullFidelity, countsAgainstBudget, type EvaluationRecord, type Fidelity, type JournalRead } from './journal';
export { paretoFront, qualityOf, type ParetoPoint } from './pareto';
export { RunDir } from './run-dir';
export { runSearch, type EpisodeEvent, type SearchOptions, type SearchResult } from './search';
export type { DatasetInfo, EvalJob, EvalOutcome, Evaluator } from './evaluator';
export { SyntheticEvaluator, type SyntheticOptions } from './synthetic';
export { createEvaluator, createLocalEvaluator } from './evaluators';
export { PipelineEvaluator } from './pipeline';
export { ProcessPoolEvaluator, serveWorker, type PoolOptions } from './pool';
export { QueueEvaluator, QueueWorkerError, QueueConnectionError, queueConnectionFromEnv, startQueueWorker, type QueueEvaluatorOptions, type QueueConnectionOptions, type QueueWorker, type QueueWorkerEvent, type QueueWorkerOptions } from './queue';
export { EXAMPLE_CONFIG } from './example';
export { stripJsonComments } from './config';
export { runExperiment, getPreset, type ExperimentOptions, type BaselineResult } from './experiment/run';
export { presets as experimentPresets, type ExperimentPreset } from './experiment/presets';
export type { ExperimentSummary, VariantSummary, Stat } from './experiment/summary';
