/** A run folder, flag or port the user got wrong; the message names the file or flag. */
export class ReportError extends Error {
  readonly userError = true;
  constructor(message: string) {
    super(message);
    this.name = 'ReportError';
  }
}
