/**
 * Every command runs through `action`: a UserError becomes its one-line cause plus hint and its
 * exit code; anything else is a bug or an outage, shown briefly (with the stack under --verbose).
 */
import { InvalidArgumentError } from 'commander';
import { UserError } from '../errors.js';

export let verbose = false;
export function setVerbose(value: boolean): void {
  verbose = value;
}

export function action<Args extends unknown[]>(fn: (...args: Args) => Promise<number | void>) {
  return async (...args: Args): Promise<void> => {
    try {
      const code = await fn(...args);
      process.exitCode = code ?? 0;
    } catch (err) {
      process.exitCode = reportError(err);
    }
  };
}

export function reportError(err: unknown): number {
  if (err instanceof UserError) {
    process.stderr.write(`error: ${err.message}\n`);
    if (err.hint) process.stderr.write(`hint: ${err.hint}\n`);
    if (verbose && err.stack) process.stderr.write(`${err.stack}\n`);
    return err.exitCode;
  }
  const message = err instanceof Error ? err.message : String(err);
  process.stderr.write(`error: ${message.split('\n')[0]}\n`);
  if (verbose && err instanceof Error && err.stack) process.stderr.write(`${err.stack}\n`);
  else process.stderr.write('hint: run again with --verbose for details\n');
  return 1;
}

/** Commander option parser for amounts that may be 0. */
export function nonNegativeInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0)
    throw new InvalidArgumentError(`expected a whole number, 0 or more, got "${value}"`);
  return n;
}

/** Commander option parser for counts (> 0). */
export function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError(`expected a whole number above 0, got "${value}"`);
  return n;
}
