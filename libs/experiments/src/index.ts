export { runExperiment, getPreset, type ExperimentOptions } from './run';
export { presets as experimentPresets, type ExperimentPreset } from './presets';
export type { ExperimentSummary, VariantSummary, Stat } from './summary';
export type { BaselineResult, FinalScores } from './types';
