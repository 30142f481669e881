/**
 * 64-bit identifiers. Member, cluster and lease ids may use all 64 bits, so they are bigint end to end
 * and are never converted to a JS number. Raft index/term and MVCC revisions are numbers, asserted to be
 * safe integers wherever they are decoded (2^53 revisions is far beyond any real store).
 */
export type MemberId = bigint;
export type ClusterId = bigint;
export type LeaseId = bigint;

/** Formats a 64-bit id as etcd does in logs and etcdctl output: lower-case hex without padding. */
export function formatIdHex(id: bigint): string {
  return BigInt.asUintN(64, id).toString(16);
}

/** Formats a 64-bit id as 16 hex digits (etcdctl's `%016x`). */
export function formatIdHex16(id: bigint): string {
  return BigInt.asUintN(64, id).toString(16).padStart(16, '0');
}

/** Parses a hex id as etcdctl accepts it ("8e9e05c52164694d"); throws RangeError on bad input. */
export function parseIdHex(text: string): bigint {
  if (!/^[0-9a-fA-F]{1,16}$/.test(text)) throw new RangeError(`bad hex id: ${JSON.stringify(text)}`);
  return BigInt(`0x${text}`);
}
