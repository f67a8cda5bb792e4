/** A problem the user can fix (bad option, unusable dataset for this model): one line, CLI exit 2. */
export class TrainerError extends Error {
  readonly userError = true;
  constructor(message: string) {
    super(message);
    this.name = 'TrainerError';
  }
}

/** Thrown by train() when its AbortSignal fires. */
export class TrainingAborted extends Error {
  constructor() {
    super('training aborted');
    this.name = 'AbortError';
  }
}
