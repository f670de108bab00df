/**
 * An error meant for a person: one line that names the operation and the object.
 * `exitCode` follows the CLI contract: 1 = a check failed, 2 = the work could not start or the input is bad.
 */
export class StoreshiftError extends Error {
  readonly exitCode: number;
  constructor(message: string, options: { exitCode?: number; cause?: unknown } = {}) {
    super(message, { cause: options.cause });
    this.name = "StoreshiftError";
    this.exitCode = options.exitCode ?? 2;
  }
}

/** Bad input from a user: a file, a flag or a fixture. Always exit code 2. */
export class InputError extends StoreshiftError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super(message, { exitCode: 2, cause: options.cause });
    this.name = "InputError";
  }
}

export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}

/** Re-throws `err` with the operation and object prefixed, keeping the original as the cause. */
export function wrapError(operation: string, err: unknown): StoreshiftError {
  if (err instanceof StoreshiftError && err.message.startsWith(operation)) return err;
  const exitCode = err instanceof StoreshiftError ? err.exitCode : 2;
  return new StoreshiftError(`${operation}: ${firstLine(errorMessage(err))}`, { exitCode, cause: err });
}

export function firstLine(text: string): string {
  const line = text.split("\n").find((l) => l.trim() !== "") ?? text;
  return line.trim();
}
