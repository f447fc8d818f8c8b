/**
 * Errors meant for the person at the terminal: a one-line cause, an optional hint, and the
 * exit code the CLI ends with (2 = bad input, 1 = something failed at run time).
 */
export class UserError extends Error {
  constructor(
    message: string,
    readonly hint?: string,
    readonly exitCode: 1 | 2 = 1,
  ) {
    super(message);
    this.name = 'UserError';
  }
}

/** Bad input: a flag, a spec, a job id. Nothing was created. */
export class UsageError extends UserError {
  constructor(message: string, hint?: string) {
    super(message, hint, 2);
    this.name = 'UsageError';
  }
}

/** What was asked for is not there (no such job, unit or pipeline). */
export class NotFoundError extends UsageError {
  constructor(message: string, hint?: string) {
    super(message, hint);
    this.name = 'NotFoundError';
  }
}

/** The request does not fit the job's state now (approve a RUNNING job, pause an ended one). */
export class ConflictError extends UserError {
  constructor(message: string, hint?: string) {
    super(message, hint);
    this.name = 'ConflictError';
  }
}
