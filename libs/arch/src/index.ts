export type * from './ir';
export { ArchError } from './errors';
export { analyze, summarize, weightSpecs, INPUT, type AnalyzedLayer, type Analysis, type WeightMap } from './analyze';
export { BATCH_NORM_EPSILON, type WeightSpec } from './nodes/node-def';
export { inceptionConvs } from './nodes/inception';
export { nodeKinds } from './nodes';
export {
  canonicalJson,
  completeValues,
  indexesOf,
  spaceSize,
  valuesOf,
  type Choice,
  type ConfigValues,
  type Configuration,
  type SearchSpace,
  type Slot,
} from './space';
export { inputProblem, type Template, type TemplateOptions } from './templates/template';
export { builtinTemplates, getTemplate, customTemplate, loadCustomTemplate, type CustomTemplateSpec } from './templates';
