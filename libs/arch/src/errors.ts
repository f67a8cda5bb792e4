/** A configuration, template option or IR that cannot be built; the message names the field or layer. */
export class ArchError extends Error {
  readonly userError = true;
  constructor(message: string) {
    super(message);
    this.name = 'ArchError';
  }
}
