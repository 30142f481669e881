/**
 * Member and cluster ids computed exactly as etcd computes them, so the same flags give the same ids:
 * member id = first 8 bytes (big-endian) of sha1(sorted peer URLs joined with "" + cluster token
 * [+ unix seconds for members added at runtime]); cluster id = first 8 bytes of sha1 of the sorted member
 * ids, each as 8 big-endian bytes.
 */
import { assert } from '../base/assert.js';
import type { ClusterId, MemberId } from '../base/ids.js';
import { sha1 } from './hash.js';

const encoder = new TextEncoder();

export function computeMemberId(peerUrls: readonly string[], clusterToken: string, unixSeconds?: number): MemberId {
  assert(peerUrls.length > 0, 'a member needs at least one peer URL');
  let text = [...peerUrls].sort().join('') + clusterToken;
  if (unixSeconds !== undefined) text += String(unixSeconds);
  return readUint64BE(sha1(encoder.encode(text)));
}

export function computeClusterId(memberIds: readonly MemberId[]): ClusterId {
  assert(memberIds.length > 0, 'a cluster needs at least one member');
  const sorted = [...memberIds].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const bytes = new Uint8Array(8 * sorted.length);
  const view = new DataView(bytes.buffer);
  sorted.forEach((id, i) => view.setBigUint64(8 * i, id));
  return readUint64BE(sha1(bytes));
}

function readUint64BE(bytes: Uint8Array): bigint {
  return new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0);
}
