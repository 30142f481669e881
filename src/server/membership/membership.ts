/**
 * The cluster's membership as applied from the Raft log: members (voters and learners) and removed ids,
 * persisted in the backend's `members` and `members_removed` buckets (keys: member id in hex) in the same
 * apply turn as the conf change, so it is atomic with the consistent index.
 */
import { assert } from '../../base/assert.js';
import { formatIdHex } from '../../base/ids.js';
import type { Backend } from '../../backend/backend.js';
import type { MemberInfo } from '../bootstrap.js';
import { decodeMemberJson, encodeMemberJson } from './member-json.js';

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const REMOVED = encoder.encode('removed');

export class Membership {
  private readonly members = new Map<bigint, MemberInfo>();
  private readonly removed = new Set<bigint>();

  constructor(private readonly backend: Backend) {
    for (const [, value] of backend.range('members', new Uint8Array([0]))) {
      const member = decodeMemberJson(decoder.decode(value));
      this.members.set(member.id, member);
    }
    for (const [key] of backend.range('members_removed', new Uint8Array([0]))) {
      this.removed.add(BigInt(`0x${decoder.decode(key)}`));
    }
  }

  list(): MemberInfo[] {
    return [...this.members.values()].sort((a, b) => (a.id < b.id ? -1 : 1)).map((m) => ({ ...m }));
  }

  get(id: bigint): MemberInfo | undefined {
    const m = this.members.get(id);
    return m === undefined ? undefined : { ...m };
  }

  isRemoved(id: bigint): boolean {
    return this.removed.has(id);
  }

  /** Adds or replaces a member record (bootstrap, AddNode/AddLearnerNode, promotion, attribute updates). */
  save(member: MemberInfo): void {
    assert(!this.removed.has(member.id), `member ${formatIdHex(member.id)} was removed and cannot come back`);
    this.members.set(member.id, { ...member });
    this.backend.put('members', encoder.encode(formatIdHex(member.id)), encoder.encode(encodeMemberJson(member)));
  }

  remove(id: bigint): void {
    this.members.delete(id);
    this.removed.add(id);
    this.backend.delete('members', encoder.encode(formatIdHex(id)));
    this.backend.put('members_removed', encoder.encode(formatIdHex(id)), REMOVED);
  }

  hasPeerUrl(url: string): boolean {
    return [...this.members.values()].some((m) => m.peerUrls.includes(url));
  }

  learnerCount(): number {
    return [...this.members.values()].filter((m) => m.isLearner).length;
  }
}
