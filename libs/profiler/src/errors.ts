/** Errors a user can cause: the CLI prints the message as one line and exits 2. */
export class ProfilerError extends Error {
  readonly userError = true;
  constructor(message: string) {
    super(message);
    this.name = 'ProfilerError';
  }
}

/** The bytes are not a model onnxruntime can load; `source` names the file or request. */
export class InvalidModelError extends ProfilerError {
  constructor(source: string, reason: string) {
    super(`${source}: not a valid ONNX model (${firstLine(reason)})`);
    this.name = 'InvalidModelError';
  }
}

/** A profiler server could not be used; the message names its URL. */
export class RemoteProfilerError extends ProfilerError {
  constructor(
    readonly url: string,
    reason: string,
    readonly status?: number,
  ) {
    super(`profiler server ${url}: ${firstLine(reason)}`);
    this.name = 'RemoteProfilerError';
  }
}

export function firstLine(s: string): string {
  return s.split('\n')[0].trim();
}
