/** Shared auth types: who made a request, and the token provider contract (simple or JWT). */

/** The authenticated caller of a request: user name and the auth revision the credential was checked at. */
export interface AuthInfo {
  username: string;
  revision: number;
}

/** Minimal structured logger (pino's call shape); secrets are never passed to it. */
export interface AuthLogger {
  info(fields: Record<string, unknown>, message: string): void;
  warn(fields: Record<string, unknown>, message: string): void;
}

/** What an Authenticate entry carries to the token provider when applied. */
export interface AssignContext {
  /** The raft index of the Authenticate entry (the simple token's suffix). */
  index: number;
  /** The random prefix chosen by the member that proposed the entry ('' for JWT). */
  simpleTokenPrefix: string;
}

/** Issues and resolves tokens (etcd's TokenProvider). */
export interface TokenProvider {
  readonly kind: 'simple' | 'jwt';
  /** The caller behind `token` (revision: the one to check requests against), or undefined if invalid. */
  info(token: string, currentRevision: number): AuthInfo | undefined;
  /** Issues a token for `username`. Throws Error if signing fails. */
  assign(username: string, revision: number, context: AssignContext): string;
  /** A fresh random prefix for a simple token ('' for JWT). */
  genTokenPrefix(): string;
  /** Forgets every token of `username` (deleted user, changed password). */
  invalidateUser(username: string): void;
  enable(): void;
  disable(): void;
}
