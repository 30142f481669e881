/** src/lease public API. */
export { Lessor, LEASES_MAX, type Lease, type LeaseBackend, type LeaseObserver } from './lessor.js';
export { LeaseExpiry, REVOKE_RETRY_MS } from './expiry.js';
export { LeaseApplier, type LeaseApplyOutcome, type LeaseWriteStore } from './lease-applier.js';
export { decodeLeaseKey, decodeLeaseRecord, encodeLeaseKey, encodeLeaseRecord, type LeaseRecord } from './lease-codec.js';
export { minLeaseTtlSeconds, remainingTtlSeconds } from './ttl.js';
