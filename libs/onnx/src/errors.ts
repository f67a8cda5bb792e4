/** Errors a user can cause (a file that is not ONNX, weights that do not fit the IR): one line, exit 2. */
export class OnnxError extends Error {
  readonly userError = true;
  constructor(message: string) {
    super(message);
    this.name = 'OnnxError';
  }
}

/** The bytes are not a readable ONNX model; `source` names the file. */
export class OnnxFormatError extends OnnxError {
  constructor(source: string, reason: string) {
    super(`${source}: not a valid ONNX model (${reason.split('\n')[0].trim()})`);
    this.name = 'OnnxFormatError';
  }
}

/** The IR and weights cannot be exported; the message names the layer or weight. */
export class OnnxExportError extends OnnxError {
  constructor(message: string) {
    super(message);
    this.name = 'OnnxExportError';
  }
}
