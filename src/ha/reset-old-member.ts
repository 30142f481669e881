/**
 * Old-cluster refusal: before a member restarts on an existing data dir, it asks its peers for their
 * membership (`GET /members` on the peer port). If a reachable peer no longer lists this member (the
 * cluster was reset or restored, or the member was removed), the member must not start: with its old
 * data it could form a quorum of the old configuration with another stale peer and split the cluster.
 * The decision is here (pure); the server wiring is src/embed/k3s-reset.ts.
 */
import { formatIdHex } from '../base/ids.js';

/** One peer's answer to `GET /members`. */
export interface PeerMembership {
  peerUrl: string;
  clusterId: bigint;
  memberIds: bigint[];
}

/** This member as its data dir describes it. */
export interface LocalMember {
  memberId: bigint;
  name: string;
  dataDir: string;
}

/** Refusal of a member whose data belongs to an old cluster. */
export class OldClusterMemberError extends Error {
  override readonly name = 'OldClusterMemberError';
  readonly code = 'ERR_OLD_CLUSTER_MEMBER';
}

/**
 * Undefined if the member may start, else the actionable refusal message: any reachable peer that does
 * not list this member refuses it (a peer that merely lags behind this member's own addition is not
 * distinguished; it would have to have missed the whole time this member ran).
 */
export function oldMemberRefusal(self: LocalMember, answers: readonly PeerMembership[]): string | undefined {
  const refusing = answers.find((a) => !a.memberIds.includes(self.memberId));
  if (refusing === undefined) return undefined;
  return `member ${self.name} (${formatIdHex(self.memberId)}) has data from an old cluster: the cluster at ` +
    `${refusing.peerUrl} (cluster ${formatIdHex(refusing.clusterId)}) no longer has this member (it was reset, ` +
    'restored with --cluster-reset-restore-path, or removed this member). Starting it would risk splitting the ' +
    `cluster, so it is refused. Back up and delete ${self.dataDir}, then rejoin (tetcd server --server URL ` +
    '--token TOKEN, or etcdctl member add + --initial-cluster-state existing)';
}

/**
 * Parses a peer's `GET /members` body (`{"clusterId":"<hex>","members":[{"id":<decimal>,...},...]}`),
 * reading ids textually (they do not fit a double).
 * @throws Error if the body has no cluster id.
 */
export function parsePeerMembers(peerUrl: string, body: string): PeerMembership {
  const cluster = /"clusterId":"([0-9a-f]{1,16})"/.exec(body);
  if (cluster === null) throw new Error(`peer ${peerUrl}: no cluster id in /members`);
  const memberIds = [...body.matchAll(/"id":\s*(\d+)/g)].map((m) => BigInt(m[1]!));
  return { peerUrl, clusterId: BigInt(`0x${cluster[1]!}`), memberIds };
}
