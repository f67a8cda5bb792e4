export { loadTable, parseTable, tableMetrics, checkTableMetrics, BenchTableError, type BenchTable } from './table';
export { runSearchBench, tableRewards, summarize, randomEquivalentEvals, DEFAULT_CHECKPOINTS, RANDOM_EQUIVALENT_CAP, type AlgorithmResult, type SearchBenchOptions, type SearchBenchResult } from './run';
