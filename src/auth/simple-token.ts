/**
 * etcd's "simple" tokens: `<16 random letters>.<raft index of the Authenticate entry>`, kept only in
 * memory on every member (each applies the Authenticate entry and records the token). A token expires
 * after `ttlMs` without use; every use renews it. Not cryptographically signed (etcd warns the same).
 */
import { randomInt } from 'node:crypto';
import type { AssignContext, AuthInfo, TokenProvider } from './types.js';

const PREFIX_LETTERS = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ';
export const SIMPLE_TOKEN_PREFIX_CHARS = 16;
/** How often expired tokens are swept (lookups also check the deadline, so this only frees memory). */
const SWEEP_INTERVAL_MS = 1000;

interface Entry { username: string; deadlineMs: number }

export class SimpleTokenProvider implements TokenProvider {
  readonly kind = 'simple';
  private readonly tokens = new Map<string, Entry>();
  private sweeper: NodeJS.Timeout | undefined;
  private enabled = false;

  constructor(private readonly ttlMs: number, private readonly nowMs: () => number = () => performance.now()) {}

  info(token: string, currentRevision: number): AuthInfo | undefined {
    const entry = this.tokens.get(token);
    if (entry === undefined) return undefined;
    const now = this.nowMs();
    if (now >= entry.deadlineMs) {
      this.tokens.delete(token);
      return undefined;
    }
    entry.deadlineMs = now + this.ttlMs;
    return { username: entry.username, revision: currentRevision };
  }

  assign(username: string, _revision: number, context: AssignContext): string {
    const token = `${context.simpleTokenPrefix}.${context.index}`;
    if (this.enabled) this.tokens.set(token, { username, deadlineMs: this.nowMs() + this.ttlMs });
    return token;
  }

  genTokenPrefix(): string {
    let prefix = '';
    for (let i = 0; i < SIMPLE_TOKEN_PREFIX_CHARS; i++) prefix += PREFIX_LETTERS[randomInt(PREFIX_LETTERS.length)]!;
    return prefix;
  }

  invalidateUser(username: string): void {
    for (const [token, entry] of this.tokens) if (entry.username === username) this.tokens.delete(token);
  }

  enable(): void {
    this.enabled = true;
    if (this.sweeper !== undefined) return;
    this.sweeper = setInterval(() => this.sweep(), SWEEP_INTERVAL_MS);
    this.sweeper.unref();
  }

  disable(): void {
    this.enabled = false;
    this.tokens.clear();
    if (this.sweeper !== undefined) clearInterval(this.sweeper);
    this.sweeper = undefined;
  }

  /** The index a token was issued at, or undefined if it is not shaped like a simple token. */
  static indexOf(token: string): number | undefined {
    const parts = token.split('.');
    if (parts.length !== 2 || !/^\d+$/.test(parts[1]!)) return undefined;
    const index = Number(parts[1]);
    return Number.isSafeInteger(index) ? index : undefined;
  }

  private sweep(): void {
    const now = this.nowMs();
    for (const [token, entry] of this.tokens) if (now >= entry.deadlineMs) this.tokens.delete(token);
  }
}
