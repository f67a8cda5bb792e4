export type { Batch, Conversions, Split, Dataset, DataOptions, DatasetReport, Progress, SkippedFile, SplitName, Task } from './types';
export { loadDataset, inspectDataset } from './load';
export { DataError } from './errors';
export { defaultCacheDir } from './cache';
export { exportArrays, npyHeader, type ArrayFiles, type DatasetArrays } from './arrays';
