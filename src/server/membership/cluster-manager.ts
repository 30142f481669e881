/**
 * Membership changes (etcd's Cluster service) on top of Raft conf changes: validation with etcd's
 * errors and strict-reconfig checks, proposing a ConfChangeV2 whose context carries the member record,
 * and applying committed changes to membership, raft and the transport.
 */
import { assert } from '../../base/assert.js';
import { etcdError } from '../../base/errors.js';
import { formatIdHex } from '../../base/ids.js';
import type { ClusterMemberAttrSetRequest, InternalRaftRequest } from '../../proto/gen/etcdserverpb.js';
import type { RawNodeApi } from '../../raft/api.js';
import {
  ConfChangeTransition, ConfChangeType, type ConfChangeV2, type ConfState,
} from '../../raft/types.js';
import type { Logger } from '../../platform/logger.js';
import type { ApplyResult, ClusterApplier } from '../apply/entry-applier.js';
import type { MemberInfo } from '../bootstrap.js';
import type { Transport } from '../transport-api.js';
import { computeMemberId } from '../../platform/member-ids.js';
import { decodeMemberJson, encodeMemberJson } from './member-json.js';
import type { Membership } from './membership.js';

const encoder = new TextEncoder();
const decoder = new TextDecoder();
/** A learner may be promoted once its log reaches this share of the leader's. */
const LEARNER_READY_RATIO = 0.9;
/** At most this many learners at once (etcd 3.5's limit). */
const LEARNERS_MAX = 1;
const CHANGE_NAMES: Record<number, string> = { 0: 'AddNode', 1: 'RemoveNode', 2: 'UpdateNode', 3: 'AddLearnerNode' };

export interface ClusterDeps {
  memberId: bigint;
  node: () => RawNodeApi;
  membership: () => Membership;
  transport: Transport;
  logger: Logger;
  strictReconfigCheck: boolean;
  /** Proposes a conf change and resolves when it is applied (the server owns waits and timeouts). */
  proposeConfChange: (change: ConfChangeV2, requestId: bigint) => Promise<void>;
  nextRequestId: () => bigint;
  onRemovedSelf: () => void;
  /** Called once the conf change proposed under `requestId` is applied (wakes its proposer). */
  confChangeApplied: (requestId: bigint) => void;
  unixSeconds: () => number;
}

export class ClusterManager implements ClusterApplier {
  constructor(private readonly deps: ClusterDeps) {}

  async memberAdd(peerUrls: string[], isLearner: boolean): Promise<MemberInfo> {
    const urls = normalizeUrls(peerUrls);
    const membership = this.deps.membership();
    for (const url of urls) if (membership.hasPeerUrl(url)) throw etcdError('ERR_PEER_URL_EXIST');
    if (isLearner && membership.learnerCount() >= LEARNERS_MAX) throw etcdError('ERR_TOO_MANY_LEARNERS');
    if (!isLearner) this.checkCanAddVoter();
    const member: MemberInfo = {
      id: computeMemberId(urls, '', this.deps.unixSeconds()), name: '', peerUrls: urls, clientUrls: [], isLearner,
    };
    if (membership.get(member.id) !== undefined || membership.isRemoved(member.id)) throw etcdError('ERR_MEMBER_EXIST');
    await this.propose(isLearner ? ConfChangeType.AddLearnerNode : ConfChangeType.AddNode, member);
    return member;
  }

  async memberRemove(id: bigint): Promise<void> {
    const member = this.deps.membership().get(id);
    if (member === undefined) throw etcdError('ERR_MEMBER_NOT_FOUND');
    if (!member.isLearner) this.checkCanRemoveVoter(id);
    await this.propose(ConfChangeType.RemoveNode, member);
  }

  async memberUpdate(id: bigint, peerUrls: string[]): Promise<void> {
    const member = this.deps.membership().get(id);
    if (member === undefined) throw etcdError('ERR_MEMBER_NOT_FOUND');
    const urls = normalizeUrls(peerUrls);
    const others = this.deps.membership().list().filter((m) => m.id !== id);
    if (urls.some((url) => others.some((m) => m.peerUrls.includes(url)))) throw etcdError('ERR_PEER_URL_EXIST');
    await this.propose(ConfChangeType.UpdateNode, { ...member, peerUrls: urls });
  }

  /** Promotes a learner that is in sync. Must run on the leader (it needs replication progress). */
  async memberPromote(id: bigint): Promise<void> {
    const member = this.deps.membership().get(id);
    if (member === undefined) throw etcdError('ERR_MEMBER_NOT_FOUND');
    if (!member.isLearner) throw etcdError('ERR_MEMBER_NOT_LEARNER');
    const status = this.deps.node().status();
    const leaderProgress = status.progress.get(this.deps.memberId);
    const learnerProgress = status.progress.get(id);
    if (leaderProgress === undefined) throw etcdError('ERR_NOT_LEADER');
    if (learnerProgress === undefined || learnerProgress.match < leaderProgress.match * LEARNER_READY_RATIO) {
      throw etcdError('ERR_LEARNER_NOT_READY');
    }
    await this.propose(ConfChangeType.AddNode, { ...member, isLearner: false });
  }

  applyConfChange(change: ConfChangeV2, index: number): ConfState {
    const context = decodeContext(change.context);
    for (const single of change.changes) this.applySingle(single.type, single.nodeId, context?.member);
    const confState = this.deps.node().applyConfChange(change);
    this.deps.logger.info({ index,
      change: change.changes.map((c) => `${CHANGE_NAMES[c.type]} ${formatIdHex(c.nodeId)}`),
      voters: confState.voters.map(formatIdHex), learners: confState.learners.map(formatIdHex) }, 'applied a configuration change');
    if (context !== undefined) this.deps.confChangeApplied(context.requestId);
    return confState;
  }

  replayConfChange(change: ConfChangeV2): ConfState {
    for (const single of change.changes) {
      const member = this.deps.membership().get(single.nodeId);
      if (single.nodeId === this.deps.memberId) continue;
      if (single.type === ConfChangeType.RemoveNode) this.deps.transport.removePeer(single.nodeId);
      else if (member !== undefined) this.deps.transport.updatePeer(single.nodeId, member.peerUrls);
    }
    return this.deps.node().applyConfChange(change);
  }

  applyClusterRequest(request: InternalRaftRequest): ApplyResult | undefined {
    const attrs: ClusterMemberAttrSetRequest | undefined = request.clusterMemberAttrSet;
    if (attrs === undefined) return undefined;
    const membership = this.deps.membership();
    const member = membership.get(attrs.memberID);
    if (member !== undefined) {
      membership.save({ ...member, name: attrs.memberAttributes?.name ?? '',
        clientUrls: attrs.memberAttributes?.clientUrls ?? [] });
      this.deps.logger.info({ 'member-id': formatIdHex(attrs.memberID), name: attrs.memberAttributes?.name },
        'published local member attributes to cluster');
    }
    return {};
  }

  private applySingle(type: ConfChangeType, id: bigint, member: MemberInfo | undefined): void {
    const membership = this.deps.membership();
    switch (type) {
      case ConfChangeType.AddNode:
      case ConfChangeType.AddLearnerNode: {
        if (membership.isRemoved(id)) return;
        const existing = membership.get(id);
        const record = existing !== undefined
          ? { ...existing, isLearner: type === ConfChangeType.AddLearnerNode }
          : { ...(member ?? { id, name: '', peerUrls: [], clientUrls: [] }), id,
            isLearner: type === ConfChangeType.AddLearnerNode };
        membership.save(record);
        if (id !== this.deps.memberId) this.deps.transport.addPeer(id, record.peerUrls);
        return;
      }
      case ConfChangeType.RemoveNode:
        membership.remove(id);
        if (id === this.deps.memberId) this.deps.onRemovedSelf();
        else this.deps.transport.removePeer(id);
        return;
      case ConfChangeType.UpdateNode: {
        const existing = membership.get(id);
        if (existing === undefined || member === undefined) return;
        membership.save({ ...existing, peerUrls: member.peerUrls });
        if (id !== this.deps.memberId) this.deps.transport.updatePeer(id, member.peerUrls);
        return;
      }
    }
  }

  private async propose(type: ConfChangeType, member: MemberInfo): Promise<void> {
    const requestId = this.deps.nextRequestId();
    const context = encoder.encode(`{"requestId":"${requestId}","member":${encodeMemberJson(member)}}`);
    const change: ConfChangeV2 = { transition: ConfChangeTransition.Auto, changes: [{ type, nodeId: member.id }],
      context };
    await this.deps.proposeConfChange(change, requestId);
  }

  private isStarted(id: bigint): boolean {
    return id === this.deps.memberId || this.deps.transport.activeForMs(id) !== undefined;
  }

  /** etcd's IsReadyToAddVoterMember: after the add, a quorum of voters must already be started. */
  private checkCanAddVoter(): void {
    if (!this.deps.strictReconfigCheck) return;
    const voters = this.deps.membership().list().filter((m) => !m.isLearner);
    const started = voters.filter((m) => this.isStarted(m.id));
    // etcd's exception: a started one-member cluster (after --force-new-cluster or a restore) may grow.
    if (voters.length === 1 && started.length === 1) return;
    if (started.length < Math.floor((voters.length + 1) / 2) + 1) throw etcdError('ERR_MEMBER_NOT_ENOUGH_STARTED');
  }

  /** etcd's mayRemoveMember: the remaining voters must keep a started quorum. */
  private checkCanRemoveVoter(id: bigint): void {
    if (!this.deps.strictReconfigCheck) return;
    const remaining = this.deps.membership().list().filter((m) => !m.isLearner && m.id !== id);
    const started = remaining.filter((m) => this.isStarted(m.id));
    if (started.length < Math.floor(remaining.length / 2) + 1) throw etcdError('ERR_MEMBER_NOT_ENOUGH_STARTED');
  }
}

export function decodeContext(context: Uint8Array): { requestId: bigint; member: MemberInfo } | undefined {
  if (context.length === 0) return undefined;
  const text = decoder.decode(context);
  const idMatch = /"requestId":"(\d+)"/.exec(text);
  const memberStart = text.indexOf('"member":');
  assert(idMatch !== null && memberStart >= 0, `bad conf change context: ${text}`);
  return { requestId: BigInt(idMatch[1]!), member: decodeMemberJson(text.slice(memberStart + 9, -1)) };
}

function normalizeUrls(peerUrls: string[]): string[] {
  if (peerUrls.length === 0) throw etcdError('ERR_MEMBER_BAD_URLS');
  return peerUrls.map((text) => {
    let url: URL;
    try { url = new URL(text); } catch { throw etcdError('ERR_MEMBER_BAD_URLS'); }
    if (!['http:', 'https:'].includes(url.protocol) || url.port === '') throw etcdError('ERR_MEMBER_BAD_URLS');
    return `${url.protocol}//${url.host}`;
  });
}
