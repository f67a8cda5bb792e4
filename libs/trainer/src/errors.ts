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

/**
 * An evaluation that failed in the trainer (a command that exited non-zero or timed out, no
 * metrics, an invalid model): the search records it with `log` (the last lines the trainer
 * wrote to stderr) and goes on.
 */
export class TrainerFailure extends Error {
  constructor(
    message: string,
    readonly log: string[] = [],
  ) {
    super(message);
    this.name = 'TrainerFailure';
  }
}
