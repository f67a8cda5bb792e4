export * from './types';
export { encodeModel, decodeModel, encodeMessage, decodeMessage } from './codec';
export { tensorValues, type TensorValues } from './tensor';
export { summarizeModel, readOnnxFile, type OnnxSummary, type ValueSummary } from './inspect';
export { OnnxError, OnnxFormatError, OnnxExportError } from './errors';
export { exportOnnx, buildOnnxModel, INPUT_NAME, OUTPUT_NAME, BATCH_DIM, OPSET_VERSION, IR_VERSION, METADATA_KEYS, type ExportOptions } from './export';
