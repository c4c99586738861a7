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

/** A wait that ran out: the scenario stops there, and the judges see how far it got. */
export class WaitExpired extends Error {
  override name = 'WaitExpired';
}

/** What a step or fault would act on no longer exists (a guest that is gone): an observation too. */
export class Unavailable extends Error {
  override name = 'Unavailable';
}
