export { loadTable, parseTable, tableMetrics, checkTableMetrics, BenchTableError, type BenchTable } from './table';
export { runSearchBench, tableRewards, summarize, summarizeCosts, randomEquivalentEvals, DEFAULT_CHECKPOINTS, RANDOM_EQUIVALENT_CAP, type AlgorithmResult, type ScreenOptions, type SearchBenchOptions, type SearchBenchResult, type TraceEvent } from './run';
