export {
  computeReward,
  parseRewardSpec,
  violatedConstraints,
  checkMetricsProduced,
  STATIC_METRICS,
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
export { ConfigError, parseConfig, readConfigFile, configJsonSchema, searchConfigSchema, templateOptionsFor, type SearchConfig, type SearchConfigInput } from './config';
export { readJournal, JournalError, learnedFrom, isFullFidelity, countsAgainstBudget, MAX_STEPS_PER_EVALUATION, type EvaluationRecord, type Fidelity, type JournalRead } from './journal';
export { paretoFront, qualityOf, type ParetoPoint } from './pareto';
export { RunDir, lockFolder, firstDifference } from './run-dir';
export { FolderLock, FolderLockedError, LOCK_FILE, type LockHolder } from './lock';
export { checkStaticFeasibility, NoFeasibleError, INFEASIBLE_LIMIT, INFEASIBLE_PROPOSALS_LIMIT } from './feasibility';
export { writeFileAtomic, DiskError } from './atomic';
export { Promotion, PROMOTION_DEFAULTS, type PromotionRule } from './promotion';
export { runSearch, type EpisodeEvent, type SearchOptions, type SearchResult } from './search';
export type { DatasetInfo, EvalJob, EvalOutcome, Evaluator } from './evaluator';
export { SyntheticEvaluator, type SyntheticOptions } from './synthetic';
export { createEvaluator, createLocalEvaluator } from './evaluators';
export { PipelineEvaluator } from './pipeline';
export { ProcessPoolEvaluator, serveWorker, type PoolOptions } from './pool';
export { EXAMPLE_CONFIG } from './example';
export { stripJsonComments } from './config';
