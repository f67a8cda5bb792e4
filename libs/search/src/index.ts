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
export { runSearchBench, tableRewards, summarize, DEFAULT_CHECKPOINTS, type AlgorithmResult, type SearchBenchOptions, type SearchBenchResult } from './bench/run';
