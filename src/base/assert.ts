/**
 * Assertions that stay on in production. A failed assertion is a programmer error: it throws an
 * AssertionError that callers must not catch and continue from. Operating errors (bad requests,
 * disk full, peer down) are EtcdError values instead (see errors.ts).
 */
export class AssertionError extends Error {
  override readonly name = 'AssertionError';
}

/** Throws AssertionError with `message` unless `condition` holds. */
export function assert(condition: unknown, message: string): asserts condition {
  if (!condition) throw new AssertionError(message);
}

/** Marks a branch that exhaustive checks prove unreachable (e.g. the default of a switch on a union). */
export function unreachable(value: never, message = 'unreachable'): never {
  throw new AssertionError(`${message}: ${String(value)}`);
}

/** Asserts that `value` is a safe integer (a 64-bit value that survives as a JS number). */
export function assertSafeInteger(value: number, what: string): void {
  if (!Number.isSafeInteger(value)) throw new AssertionError(`${what} is not a safe integer: ${value}`);
}
