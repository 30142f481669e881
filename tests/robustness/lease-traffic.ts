/**
 * Short-lease traffic (the `lease` profile): each client grants leases with a TTL of 2-5 s and a fate
 * drawn at grant time: `keep` (kept alive for a while, then revoked), `expire` (never renewed: the
 * server must delete its keys after the TTL, not before) or `revoke` (revoked after a moment). Keys
 * `lk*` are put with these leases (sometimes with one that already expired: the put must then fail).
 */
import type { Rng } from './rng.js';
import type { Caller } from './traffic.js';

type Fate = 'keep' | 'expire' | 'revoke';

interface ShortLease { id: bigint; ttlS: number; fate: Fate; grantedMs: number; renewedMs: number }

/** TTLs drawn for short leases (seconds). */
const LEASE_TTL_S_MIN = 2;
const LEASE_TTL_S_MAX = 5;
/** Leases one client holds at most (older ones are dropped from its list). */
const LEASES_PER_CLIENT_MAX = 6;
/** A kept-alive lease is revoked after this long. */
const KEEP_FOR_MS = 15_000;
/** A lease fated to be revoked is revoked after this long. */
const REVOKE_AFTER_MS = 1_000;
/** An expired lease is still used (puts, keepalives) this long after its TTL: these must fail. */
const EXPIRED_LINGER_MS = 3_000;

/** One client's short leases and the step that exercises them. */
export class LeaseClient {
  /** Fraction of a client's requests that are lease requests. */
  readonly share = 0.35;
  private readonly leases: ShortLease[] = [];

  constructor(private readonly rng: Rng, private readonly leaseKeys: readonly string[]) {}

  /** Issues one lease request through `call`; `nowMs` is the recorder's clock. */
  async step(call: Caller, value: () => string, nowMs: number): Promise<void> {
    this.forget(nowMs);
    const due = this.leases.find((l) => (l.fate === 'keep' && nowMs - l.renewedMs > (l.ttlS * 1000) / 3) ||
      (l.fate === 'revoke' && nowMs - l.grantedMs > REVOKE_AFTER_MS) ||
      (l.fate === 'keep' && nowMs - l.grantedMs > KEEP_FOR_MS));
    if (due !== undefined && this.rng.next() < 0.7) {
      if (due.fate === 'keep' && nowMs - due.grantedMs <= KEEP_FOR_MS) {
        const ttl = await call.leaseKeepAlive(due.id);
        if (ttl !== undefined && ttl > 0) due.renewedMs = nowMs;
      } else {
        this.leases.splice(this.leases.indexOf(due), 1);
        await call.leaseRevoke(due.id);
      }
      return;
    }
    if (this.leases.length === 0 || this.rng.next() < 0.25) {
      await this.grant(call, nowMs);
      return;
    }
    const lease = this.rng.pick(this.leases);
    if (lease.fate === 'expire' && this.rng.next() < 0.2) await call.leaseKeepAlive(lease.id); // an expired one: TTL 0
    else await call.put(this.rng.pick(this.leaseKeys), value(), lease.id);
  }

  private async grant(call: Caller, nowMs: number): Promise<void> {
    const ttlS = LEASE_TTL_S_MIN + this.rng.int(LEASE_TTL_S_MAX - LEASE_TTL_S_MIN + 1);
    const granted = await call.leaseGrantTtl(ttlS);
    if (granted === undefined) return;
    const fate = this.rng.weighted({ keep: 2, expire: 3, revoke: 1 });
    this.leases.push({ id: granted.id, ttlS: granted.ttlS, fate, grantedMs: nowMs, renewedMs: nowMs });
    while (this.leases.length > LEASES_PER_CLIENT_MAX) this.leases.shift();
  }

  /** Drops leases that expired long enough ago. */
  private forget(nowMs: number): void {
    for (let i = this.leases.length - 1; i >= 0; i--) {
      const l = this.leases[i]!;
      if (nowMs - l.renewedMs > l.ttlS * 1000 + EXPIRED_LINGER_MS) this.leases.splice(i, 1);
    }
  }
}
