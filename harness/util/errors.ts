/**
 * An error the user can fix: bad input or a missing tool. The CLI prints its message as one
 * line (with the fix) and exits 2, without a stack trace.
 */
export class UsageError extends Error {
  constructor(
    message: string,
    readonly fix?: string,
  ) {
    super(fix ? `${message} (${fix})` : message);
    this.name = 'UsageError';
  }
}
