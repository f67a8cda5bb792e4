/** A dataset problem the user can fix (missing folder, corrupt image, bad option); the message names the file or option. */
export class DataError extends Error {
  readonly userError = true;
  constructor(message: string) {
    super(message);
    this.name = 'DataError';
  }
}

/** A single unusable input file; collected into `skipped` with onBadFile 'skip', thrown as a DataError otherwise. */
export class BadFile extends Error {
  constructor(
    readonly file: string,
    readonly reason: string,
  ) {
    super(`${file}: ${reason}`);
    this.name = 'BadFile';
  }
}
